// cdb.cc — RAII and size checks around tinycdb.
#include "core/cdb.h"

#include <errno.h>

#include <cstdint>
#include <utility>

#include "core/limits.h"

namespace qcell {

namespace {
// tinycdb's lengths are `unsigned`; every size we pass must fit.
bool fits_unsigned(std::size_t n) noexcept { return n <= UINT32_MAX; }
}  // namespace

std::string_view describe(CdbErrc code) noexcept {
  switch (code) {
    case CdbErrc::not_a_cdb: return "not a cdb file";
    case CdbErrc::corrupt: return "cdb file is corrupt";
    case CdbErrc::key_too_large: return "cdb key too long";
    case CdbErrc::value_too_large: return "cdb value too long";
    case CdbErrc::write_failed: return "cannot write cdb file";
  }
  return "unknown cdb error";
}

Result<CdbReader, CdbError> CdbReader::open(UniqueFd fd) {
  CdbReader reader;
  reader.fd_ = std::move(fd);
  if (::cdb_init(&reader.db_, reader.fd_.get()) != 0) return fail(CdbError{CdbErrc::not_a_cdb, errno});
  reader.initialised_ = true;
  return reader;
}

CdbReader::CdbReader(CdbReader&& other) noexcept
    : fd_(std::move(other.fd_)), db_(other.db_), initialised_(std::exchange(other.initialised_, false)) {
  other.db_ = {};
}

CdbReader::~CdbReader() {
  if (initialised_) ::cdb_free(&db_);
}

Result<std::optional<std::string>, CdbError> CdbReader::find(std::string_view key, std::size_t max_value) const {
  if (key.size() > cdb_key_max || !fits_unsigned(key.size())) return fail(CdbError{CdbErrc::key_too_large, 0});
  int found = ::cdb_find(&db_, key.data(), static_cast<unsigned>(key.size()));
  if (found < 0) return fail(CdbError{CdbErrc::corrupt, errno});
  if (found == 0) return std::optional<std::string>{};
  unsigned length = cdb_datalen(&db_);
  if (length > max_value) return fail(CdbError{CdbErrc::value_too_large, 0});
  const void* data = ::cdb_get(&db_, length, cdb_datapos(&db_));
  if (data == nullptr) return fail(CdbError{CdbErrc::corrupt, errno});
  return std::optional<std::string>(std::string(static_cast<const char*>(data), length));
}

Status<CdbError> CdbReader::each(
    std::size_t max_value, const std::function<Status<CdbError>(std::string_view, std::string_view)>& visit) const {
  unsigned position = 0;
  cdb_seqinit(&position, &db_);
  for (;;) {
    int more = ::cdb_seqnext(&position, &db_);
    if (more < 0) return fail(CdbError{CdbErrc::corrupt, errno});
    if (more == 0) return {};
    const unsigned key_length = cdb_keylen(&db_);
    const unsigned value_length = cdb_datalen(&db_);
    if (key_length > cdb_key_max) return fail(CdbError{CdbErrc::key_too_large, 0});
    if (value_length > max_value) return fail(CdbError{CdbErrc::value_too_large, 0});
    const void* key = ::cdb_get(&db_, key_length, cdb_keypos(&db_));
    if (key == nullptr) return fail(CdbError{CdbErrc::corrupt, errno});
    const std::string key_text(static_cast<const char*>(key), key_length);
    const void* value = ::cdb_get(&db_, value_length, cdb_datapos(&db_));
    if (value == nullptr) return fail(CdbError{CdbErrc::corrupt, errno});
    auto visited = visit(key_text, std::string_view(static_cast<const char*>(value), value_length));
    if (!visited) return visited;
  }
}

Result<CdbWriter, CdbError> CdbWriter::start(int fd) {
  CdbWriter writer;
  writer.make_ = std::make_unique<struct cdb_make>();
  if (::cdb_make_start(writer.make_.get(), fd) != 0) return fail(CdbError{CdbErrc::write_failed, errno});
  writer.active_ = true;
  return writer;
}

CdbWriter::CdbWriter(CdbWriter&& other) noexcept
    : make_(std::move(other.make_)), active_(std::exchange(other.active_, false)) {}

CdbWriter::~CdbWriter() {
  // An unfinished writer leaves an incomplete file that the caller never
  // renames into place; finishing it is the library's way to free its lists.
  if (active_) (void)::cdb_make_finish(make_.get());
}

Status<CdbError> CdbWriter::add(std::string_view key, std::string_view value) {
  if (key.size() > cdb_key_max) return fail(CdbError{CdbErrc::key_too_large, 0});
  if (!fits_unsigned(value.size()) || value.size() > limits::message_size_ceiling) {
    return fail(CdbError{CdbErrc::value_too_large, 0});
  }
  if (::cdb_make_add(make_.get(), key.data(), static_cast<unsigned>(key.size()), value.data(),
                     static_cast<unsigned>(value.size())) != 0) {
    return fail(CdbError{CdbErrc::write_failed, errno});
  }
  return {};
}

Status<CdbError> CdbWriter::finish() {
  if (!active_) return fail(CdbError{CdbErrc::write_failed, EINVAL});
  active_ = false;
  if (::cdb_make_finish(make_.get()) != 0) return fail(CdbError{CdbErrc::write_failed, errno});
  return {};
}

}  // namespace qcell
