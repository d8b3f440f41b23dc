// control_snapshot.cc — builds and reads the sealed control snapshot.
#include "core/control_snapshot.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/control.h"
#include "core/limits.h"

namespace qcell {

namespace {

constexpr std::string_view file_prefix = "file:";
constexpr std::string_view morercpthosts_prefix = "morercpthosts:";

std::string errno_text(int error) { return ::strerror(error); }

}  // namespace

Result<UniqueFd, std::string> build_control_snapshot(const DirFd& control, std::span<const std::string_view> files) {
  UniqueFd memory(::memfd_create("qcell-control", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memory) return fail("control snapshot: memfd_create: " + errno_text(errno));
  auto writer = CdbWriter::start(memory.get());
  if (!writer) return fail("control snapshot: cannot start the cdb: " + errno_text(writer.error().sys_errno));
  std::size_t total = 0;
  for (std::string_view name : files) {
    auto content = read_control_file(control, name);
    if (!content) return fail(format_control_error(name, content.error()));
    if (!*content) continue;
    total += (*content)->size();
    if (auto added = writer->add(std::string(file_prefix) + std::string(name), **content); !added) {
      return fail("control snapshot: cannot add control/" + std::string(name));
    }
  }
  // morercpthosts.cdb, record by record (qmail-newmrh's keys: lower-case domains).
  auto more = open_beneath(control, "morercpthosts.cdb", O_RDONLY);
  if (more) {
    auto reader = CdbReader::open(std::move(more.value()));
    if (!reader) return fail(std::string("control/morercpthosts.cdb: ") + std::string(describe(reader.error().code)));
    auto copied = reader->each(limits::control_line, [&](std::string_view key, std::string_view value) -> Status<CdbError> {
      total += key.size() + value.size();
      if (total > control_snapshot_max) return fail(CdbError{CdbErrc::value_too_large, 0});
      return writer->add(std::string(morercpthosts_prefix) + std::string(key), value);
    });
    if (!copied) {
      return fail(std::string("control/morercpthosts.cdb: ") + std::string(describe(copied.error().code)) +
                  (total > control_snapshot_max ? " (the snapshot would exceed 64 MiB)" : ""));
    }
  } else if (more.error() != ENOENT) {
    return fail("control/morercpthosts.cdb: cannot open: " + errno_text(more.error()));
  }
  if (auto finished = writer->finish(); !finished) {
    return fail("control snapshot: cannot finish the cdb: " + errno_text(finished.error().sys_errno));
  }
  if (::fcntl(memory.get(), F_ADD_SEALS, memory_file_seals) != 0) {
    return fail("control snapshot: cannot seal: " + errno_text(errno));
  }
  if (::lseek(memory.get(), 0, SEEK_SET) != 0) return fail("control snapshot: lseek: " + errno_text(errno));
  return memory;
}

Result<ControlSnapshot, std::string> ControlSnapshot::open(UniqueFd fd) {
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0) return fail("control snapshot: not a sealed memory file: " + errno_text(errno));
  if ((static_cast<unsigned>(seals) & memory_file_seals) != memory_file_seals) {
    return fail(std::string("control snapshot: not sealed against writing"));
  }
  auto reader = CdbReader::open(std::move(fd));
  if (!reader) return fail("control snapshot: " + std::string(describe(reader.error().code)));
  return ControlSnapshot(std::move(reader.value()));
}

Result<std::optional<std::string>, CdbError> ControlSnapshot::file(std::string_view name) const {
  return reader_.find(std::string(file_prefix) + std::string(name), limits::control_file);
}

Result<bool, CdbError> ControlSnapshot::morercpthosts(std::string_view key) const {
  auto found = reader_.find(std::string(morercpthosts_prefix) + std::string(key), limits::control_line);
  if (!found) return fail(found.error());
  return found->has_value();
}

}  // namespace qcell
