// log_line.cc — escaping and the time stamp of structured log lines.
#include "core/log_line.h"

#include <time.h>

#include <cstdio>

#include "core/limits.h"

namespace qcell {

namespace {
bool bare_safe(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '/' || c == ':' || c == '@' || c == '+' || c == ',';
}
}  // namespace

std::string log_value(std::string_view value, std::size_t max) {
  bool cut = value.size() > max;
  if (cut) value = value.substr(0, max);
  bool bare = !value.empty() && !cut;
  for (char c : value) bare = bare && bare_safe(static_cast<unsigned char>(c));
  if (bare) return std::string(value);
  std::string out = "\"";
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

LogLine::LogLine(std::string_view event) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  struct tm utc {};
  ::gmtime_r(&now.tv_sec, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long>(now.tv_nsec / 1000000) % 1000);
  text_ = "time=";
  text_ += stamp;
  add("event", event);
}

LogLine& LogLine::add(std::string_view key, std::string_view value) {
  text_ += ' ';
  text_ += key;
  text_ += '=';
  text_ += log_value(value, limits::log_line);
  return *this;
}

LogLine& LogLine::add(std::string_view key, std::int64_t value) { return add(key, std::to_string(value)); }

std::string LogLine::finish() const { return text_ + "\n"; }

}  // namespace qcell
