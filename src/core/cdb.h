// cdb.h — constant-database lookups and creation through tinycdb (libcdb),
// for morercpthosts.cdb, users/cdb and other compiled tables.
//
// The file format is parsed by the library, not by us; this wrapper owns the
// handles, bounds every key and value size before it reaches the library's
// 32-bit interface, and turns its -1 returns into errors.
#pragma once

#include <cdb.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

enum class CdbErrc {
  not_a_cdb,        // cdb_init refused the file (too short, unreadable)
  corrupt,          // a lookup ran into an inconsistent file
  key_too_large,    // key longer than the limit
  value_too_large,  // value longer than the caller's maximum
  write_failed,     // creating the database failed (sys_errno)
};

struct CdbError {
  CdbErrc code = CdbErrc::corrupt;
  int sys_errno = 0;
};

std::string_view describe(CdbErrc code) noexcept;

// Longest key accepted for lookup or creation (a domain or an address).
inline constexpr std::size_t cdb_key_max = 4096;

class CdbReader {
 public:
  // Takes ownership of an open, readable cdb file.
  static Result<CdbReader, CdbError> open(UniqueFd fd);
  ~CdbReader();
  CdbReader(CdbReader&& other) noexcept;
  CdbReader& operator=(CdbReader&&) = delete;
  CdbReader(const CdbReader&) = delete;
  CdbReader& operator=(const CdbReader&) = delete;

  // The first value stored under `key`, nullopt if there is none.
  Result<std::optional<std::string>, CdbError> find(std::string_view key, std::size_t max_value) const;

  // Calls `visit(key, value)` for every record in file order; keys longer
  // than cdb_key_max or values longer than `max_value` are an error.
  Status<CdbError> each(std::size_t max_value,
                        const std::function<Status<CdbError>(std::string_view, std::string_view)>& visit) const;

 private:
  CdbReader() = default;
  UniqueFd fd_;
  mutable struct cdb db_ {};
  bool initialised_ = false;
};

// Writes a cdb to a descriptor (the caller writes to a temporary name and
// renames it into place, as qmail-newmrh and qmail-newu do).
class CdbWriter {
 public:
  static Result<CdbWriter, CdbError> start(int fd);
  CdbWriter(CdbWriter&& other) noexcept;
  CdbWriter& operator=(CdbWriter&&) = delete;
  CdbWriter(const CdbWriter&) = delete;
  CdbWriter& operator=(const CdbWriter&) = delete;
  ~CdbWriter();

  Status<CdbError> add(std::string_view key, std::string_view value);
  Status<CdbError> finish();

 private:
  CdbWriter() = default;
  // Heap-held: struct cdb_make points into itself (cdb_bpos into cdb_buf),
  // so it must never move.
  std::unique_ptr<struct cdb_make> make_;
  bool active_ = false;
};

}  // namespace qcell
