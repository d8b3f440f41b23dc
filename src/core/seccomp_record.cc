// seccomp_record.cc — "... type=1326 audit(...): ... pid=N ... arch=c000003e syscall=41 ...".
#include "core/seccomp_record.h"

#include <charconv>
#include <string>

namespace qcell {

namespace {
// The value after " key=" in a record, up to the next space.
std::string_view field(std::string_view record, std::string_view key) {
  std::string pattern = " " + std::string(key) + "=";
  std::size_t at = record.find(pattern);
  if (at == std::string_view::npos) return {};
  std::string_view rest = record.substr(at + pattern.size());
  return rest.substr(0, rest.find(' '));
}

template <class T>
std::optional<T> number(std::string_view text, int base = 10) {
  T value{};
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}
}  // namespace

std::optional<SeccompRecord> parse_seccomp_record(std::string_view record, pid_t pid) {
  // Only the message part (after ';') carries fields.
  std::size_t semicolon = record.find(';');
  if (semicolon != std::string_view::npos) record.remove_prefix(semicolon + 1);
  if (record.find("type=1326") == std::string_view::npos) return std::nullopt;
  auto record_pid = number<long>(field(record, "pid"));
  if (!record_pid || *record_pid != pid) return std::nullopt;
  auto nr = number<int>(field(record, "syscall"));
  auto arch = number<std::uint32_t>(field(record, "arch"), 16);
  if (!nr || !arch || *nr < 0) return std::nullopt;
  return SeccompRecord{*nr, *arch};
}

}  // namespace qcell
