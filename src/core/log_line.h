// log_line.h — qcell's structured log: one event per line, key=value pairs.
// Values are escaped so that no byte a cell writes can forge a field, a line
// or a terminal escape: cell log text is hostile.
//
//   time=2026-11-23T12:00:00.123Z cell=qmail-smtpd pid=412 event=log text="250 ok"
//
// docs/logging.md lists every event and its keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qcell {

class LogLine {
 public:
  // Starts a line with time= (UTC, milliseconds) and event=.
  explicit LogLine(std::string_view event);
  LogLine& add(std::string_view key, std::string_view value);
  LogLine& add(std::string_view key, std::int64_t value);
  // The finished line, newline included.
  [[nodiscard]] std::string finish() const;

 private:
  std::string text_;
};

// A value as it appears after "key=": bare if it is non-empty and made only
// of safe bytes, else double-quoted with \", \\, \n, \r, \t and \xHH escapes.
// At most `max` bytes of the input are kept; a cut value ends in "...".
std::string log_value(std::string_view value, std::size_t max);

}  // namespace qcell
