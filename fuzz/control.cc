// control.cc (fuzz) — parses hostile bytes as a control file in all three
// forms (single value, list, number) and traps when a result breaks the
// documented rules: no NUL, no trailing blanks, no comment or empty lines in
// lists, bounded line length, numbers within the requested range; and the
// single value as control/queuesync (a word it accepts names itself back).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/control.h"
#include "core/limits.h"
#include "core/queue_sync.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


void check_line(const std::string& line) {
  require(line.size() <= qcell::limits::control_line);
  require(line.find('\0') == std::string::npos);
  require(line.find('\n') == std::string::npos);
  if (!line.empty()) {
    char last = line.back();
    require(last != ' ' && last != '\t' && last != '\r');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);

  auto value = qcell::parse_control_value(input);
  if (value) {
    check_line(*value);
    if (auto mode = qcell::queue::parse_sync_mode(*value)) {
      require(value->empty() || qcell::queue::sync_mode_name(*mode) == *value);
    }
  }

  auto list = qcell::parse_control_list(input);
  if (list) {
    for (const std::string& line : *list) {
      check_line(line);
      require(!line.empty() && line.front() != '#');
    }
  }
  // A file is either valid in both forms or invalid in both, except that the
  // single-value form reads only the first line.
  if (list) require(value.ok());

  constexpr std::uint64_t minimum = 5;
  constexpr std::uint64_t maximum = 1000000;
  auto number = qcell::parse_control_number(input, minimum, maximum);
  if (number && number->has_value()) {
    require(**number >= minimum && **number <= maximum);
    require(value.ok());
    // The value is the number's digits, possibly with leading zeros ("0210").
    std::string digits = *value;
    std::size_t zeros = digits.find_first_not_of('0');
    digits = zeros == std::string::npos ? "0" : digits.substr(zeros);
    require(std::to_string(**number) == digits);
  }
  if (!number) require(!qcell::format_control_error("fuzz", number.error()).empty());
  return 0;
}
