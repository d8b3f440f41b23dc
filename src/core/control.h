// control.h — qmail's control files: pure parsing functions, the table of every
// control file qcell reads with its default, and a reader over a control
// directory descriptor.
//
// Control files are written by the administrator but read by cells that
// face hostile input, so they are still parsed defensively: bounded size,
// no NUL bytes, strict integers, and a precise error with a line number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

enum class ControlErrc {
  file_too_large,  // more than limits::control_file bytes
  nul_byte,        // a NUL byte in a line
  line_too_long,   // a trimmed line of more than limits::control_line bytes
  not_a_number,    // an integer file whose first line is not all digits
  out_of_range,    // an integer outside the entry's allowed range
  empty_value,     // a required single-value file (e.g. me) is empty
  missing,         // a required file (e.g. me) does not exist
  unreadable,      // open or read failed (sys_errno says why)
  unknown_name,    // not a control file qcell knows
};

struct ControlError {
  ControlErrc code = ControlErrc::unreadable;
  std::size_t line = 0;  // 1-based line number where it applies, else 0
  int sys_errno = 0;
};

std::string_view describe(ControlErrc code) noexcept;
// A one-line message naming the file and line, e.g. "control/databytes line 1: not a number".
std::string format_control_error(std::string_view name, const ControlError& error);

// --- pure parsing (qmail's control.c rules) ---------------------------------------
//
// Trimming, as qmail does: trailing spaces and tabs are stripped from each
// line. qcell also strips a trailing CR (a file saved with CRLF line ends
// would otherwise carry an invisible byte into every value; qmail kept it).

// Single-value file: the first line, trimmed. An empty file yields "".
Result<std::string, ControlError> parse_control_value(std::span<const std::byte> content);

// List file: every line trimmed; empty lines and lines starting with '#' skipped.
Result<std::vector<std::string>, ControlError> parse_control_list(std::span<const std::byte> content);

// Integer file: the first line, trimmed, must be decimal digits only and lie
// in [minimum, maximum]. qmail took the leading digits and ignored the rest
// ("10M" meant 10); qcell refuses such a value instead of guessing.
// An empty first line yields nullopt (the default applies).
Result<std::optional<std::uint64_t>, ControlError> parse_control_number(std::span<const std::byte> content,
                                                                        std::uint64_t minimum, std::uint64_t maximum);

// --- the table of control files -------------------------------------------------------

enum class ControlKind { value, list, number, cdb };

enum class ControlDefault {
  none,      // absent means "not set" (e.g. badmailfrom: nobody is refused)
  me,        // absent means the value of control/me
  literal,   // absent means default_text
  number,    // absent means default_number
  required,  // absent is an error: qcell refuses to start
};

struct ControlEntry {
  std::string_view name;
  ControlKind kind;
  ControlDefault default_kind;
  std::string_view default_text;
  std::uint64_t default_number;
  std::uint64_t minimum;  // for numbers
  std::uint64_t maximum;  // for numbers
  std::string_view used_by;
  std::string_view meaning;
  std::string_view qmail_difference;  // empty where qcell behaves as qmail 1.03
};

std::span<const ControlEntry> control_table() noexcept;
const ControlEntry* find_control(std::string_view name) noexcept;

// The documentation table (Markdown) generated from control_table(); the test
// suite checks that docs/control.md contains it verbatim.
std::string control_table_markdown();

// --- reading a control directory ---------------------------------------------------

using ControlValue = std::variant<std::monostate, std::string, std::vector<std::string>, std::uint64_t>;

struct ControlSetting {
  ControlValue value;      // monostate: not set
  bool from_file = false;  // false: the default applied
};

// Every control file of the table, resolved against its default.
class ControlSet {
 public:
  const ControlSetting* find(std::string_view name) const;
  // Convenience accessors; they abort on a name or kind not in the table
  // (a programming error).
  std::string value(std::string_view name) const;  // "" when not set
  const std::vector<std::string>& list(std::string_view name) const;
  std::uint64_t number(std::string_view name) const;
  bool is_set(std::string_view name) const;

  std::map<std::string, ControlSetting, std::less<>> settings;
};

// Reads the raw bytes of control file `name` beneath `dir` (nullopt if it
// does not exist), refusing files larger than limits::control_file.
Result<std::optional<std::string>, ControlError> read_control_file(const DirFd& dir, std::string_view name);

// Reads every control file in the table and applies defaults. Fails on the
// first file that is malformed, or when a required file is missing.
// (cdb entries are only checked for presence here; see cdb.h to read them.)
Result<ControlSet, std::pair<std::string, ControlError>> load_control_set(const DirFd& dir);

}  // namespace qcell
