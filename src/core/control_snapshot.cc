// control_snapshot.cc — builds and reads the sealed control snapshot.
#include "core/control_snapshot.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "core/control.h"
#include "core/limits.h"

namespace qcell {

namespace {

constexpr std::string_view file_prefix = "file:";
constexpr std::string_view morercpthosts_prefix = "morercpthosts:";
constexpr std::string_view extra_prefix = "extra:";

std::string errno_text(int error) { return ::strerror(error); }

}  // namespace

Result<UniqueFd, std::string> build_control_snapshot(const DirFd& control, std::span<const std::string_view> files,
                                                     std::span<const SnapshotExtra> extras) {
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
  for (const SnapshotExtra& extra : extras) {
    if (extra.content.size() > snapshot_extra_max) {
      return fail("control snapshot: " + extra.name + " is larger than " + std::to_string(snapshot_extra_max) + " bytes");
    }
    total += extra.content.size();
    if (auto added = writer->add(std::string(extra_prefix) + extra.name, extra.content); !added) {
      return fail("control snapshot: cannot add " + extra.name);
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

Result<std::optional<std::string>, CdbError> ControlSnapshot::extra(std::string_view name) const {
  return reader_.find(std::string(extra_prefix) + std::string(name), snapshot_extra_max);
}

Result<bool, CdbError> ControlSnapshot::morercpthosts(std::string_view key) const {
  auto found = reader_.find(std::string(morercpthosts_prefix) + std::string(key), limits::control_line);
  if (!found) return fail(found.error());
  return found->has_value();
}

namespace {

Result<std::optional<std::string>, std::string> raw(const ControlSnapshot& snapshot, std::string_view name) {
  auto content = snapshot.file(name);
  if (!content) return fail("control snapshot: cannot read control/" + std::string(name));
  return std::move(content.value());
}

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text.data(), text.size())); }

}  // namespace

Result<std::string, std::string> snapshot_value(const ControlSnapshot& snapshot, std::string_view name,
                                                std::string fallback) {
  auto content = raw(snapshot, name);
  if (!content) return fail(content.error());
  if (!*content) return fallback;
  auto value = parse_control_value(bytes_of(**content));
  if (!value) return fail(format_control_error(name, value.error()));
  if (value->empty()) return fallback;
  return std::move(value.value());
}

Result<std::vector<std::string>, std::string> snapshot_list(const ControlSnapshot& snapshot, std::string_view name,
                                                            bool required) {
  auto content = raw(snapshot, name);
  if (!content) return fail(content.error());
  if (!*content) {
    if (required) return fail("control/" + std::string(name) + ": required file is missing");
    return std::vector<std::string>{};
  }
  auto parsed = parse_control_list(bytes_of(**content));
  if (!parsed) return fail(format_control_error(name, parsed.error()));
  return std::move(parsed.value());
}

Result<std::uint64_t, std::string> snapshot_number(const ControlSnapshot& snapshot, std::string_view name) {
  const ControlEntry* entry = find_control(name);
  if (entry == nullptr || entry->kind != ControlKind::number) std::abort();  // a programming error
  auto content = raw(snapshot, name);
  if (!content) return fail(content.error());
  if (!*content) return entry->default_number;
  auto parsed = parse_control_number(bytes_of(**content), entry->minimum, entry->maximum);
  if (!parsed) return fail(format_control_error(name, parsed.error()));
  return parsed->value_or(entry->default_number);
}

}  // namespace qcell
