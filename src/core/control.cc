// control.cc — control-file parsing, the defaults table, and loading a
// control directory through open_beneath (no symlinks, no escapes).
#include "core/control.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdlib>

#include "core/byte_buffer.h"
#include "core/limits.h"
#include "core/size_math.h"

namespace qcell {

namespace {

constexpr std::uint64_t seconds_per_day = 86400;

// clang-format off
constexpr ControlEntry entries[] = {
  {"me", ControlKind::value, ControlDefault::required, "", 0, 0, 0, "all",
   "this host's fully qualified name; the default for many others",
   "qmail-send also ran without it in some set-ups; qcell always requires it"},
  {"badmailfrom", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qmail-smtpd",
   "envelope senders refused: an address, or @domain for a whole domain", ""},
  {"bouncefrom", ControlKind::value, ControlDefault::literal, "MAILER-DAEMON", 0, 0, 0, "qmail-send",
   "user part of the From: of bounces", ""},
  {"bouncehost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-send",
   "host part of the From: of bounces", ""},
  {"concurrencylocal", ControlKind::number, ControlDefault::number, "", 10, 1, 120, "qmail-send",
   "simultaneous local deliveries", "values above 120 (qmail's conf-spawn) are refused, not clamped"},
  {"concurrencyremote", ControlKind::number, ControlDefault::number, "", 20, 1, 120, "qmail-send",
   "simultaneous remote deliveries", "values above 120 (qmail's conf-spawn) are refused, not clamped"},
  {"databytes", ControlKind::number, ControlDefault::number, "", limits::message_size_default, 0,
   limits::message_size_ceiling, "qmail-smtpd, qmail-qmtpd, qmail-queue",
   "largest message accepted, in bytes; 0 means qcell's default",
   "qmail's default was no limit; qcell's is 33554432 (32 MiB) and no value may exceed 1073741824"},
  {"defaultdelivery", ControlKind::value, ControlDefault::literal, "./Maildir/", 0, 0, 0, "qcell (broker), qmail-local",
   "the delivery of a user without a .qmail file, in .qmail syntax (qmail-start's argument); the whole file is used",
   "qmail had no such file (the argument of qmail-start; netqmail's rc scripts keep it here); qcell's default is ./Maildir/, not ./Mailbox"},
  {"defaultdomain", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-inject",
   "appended to host names without a dot", ""},
  {"defaulthost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-inject",
   "appended to addresses without a host", ""},
  {"dnsservers", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qcell (broker), qmail-remote",
   "the DNS resolvers qmail-remote asks, one per line: an address, with :port after an IPv4 address or after ]; absent: the nameserver lines of /etc/resolv.conf, else 127.0.0.1",
   "qcell only (qmail used the C library's resolver and /etc/resolv.conf)"},
  {"doublebouncehost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-send",
   "host part of the address double bounces go to", ""},
  {"doublebounceto", ControlKind::value, ControlDefault::literal, "postmaster", 0, 0, 0, "qmail-send",
   "user part of the address double bounces go to", ""},
  {"envnoathost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-send",
   "appended to envelope recipients without @", ""},
  {"helohost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-remote",
   "the name qmail-remote gives in HELO/EHLO", ""},
  {"idhost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-inject",
   "host part of generated Message-IDs", ""},
  {"localiphost", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-smtpd",
   "replaces a local [ip] literal in recipient addresses", ""},
  {"locals", ControlKind::list, ControlDefault::me, "", 0, 0, 0, "qmail-send",
   "domains delivered locally", ""},
  {"morercpthosts", ControlKind::cdb, ControlDefault::none, "", 0, 0, 0, "qmail-smtpd, qmail-qmtpd",
   "more rcpthosts, compiled to morercpthosts.cdb", ""},
  {"percenthack", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qmail-send",
   "domains where user%host@domain is rewritten to user@host", ""},
  {"plusdomain", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-inject",
   "replaces a trailing + in host names", ""},
  {"qmqpservers", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qmail-qmqpc",
   "QMQP servers, by IP address", ""},
  {"queuelifetime", ControlKind::number, ControlDefault::number, "", 604800, 1, 365 * seconds_per_day,
   "qmail-send", "seconds a message may stay in the queue", ""},
  {"queuesync", ControlKind::value, ControlDefault::literal, "syncfs", 0, 0, 0, "qmail-queue",
   "how a batch of injections is made durable: syncfs (one syncfs per batch) or fsync (each file)",
   "qcell only (qmail fsynced each file)"},
  {"rcpthosts", ControlKind::list, ControlDefault::required, "", 0, 0, 0, "qmail-smtpd, qmail-qmtpd",
   "domains accepted as recipients from non-relay clients",
   "qmail accepted every domain when the file was missing (an open relay); qcell refuses to start"},
  {"smtpconnections", ControlKind::number, ControlDefault::number, "", 1000, 1, 100000, "qcell (broker)",
   "simultaneous SMTP connections; past it a new one gets 421 and is closed",
   "qcell only (tcpserver -c; its default was 40)"},
  {"smtpconnectionsperip", ControlKind::number, ControlDefault::number, "", 50, 1, 100000, "qcell (broker)",
   "simultaneous SMTP connections from one client address; past it a new one gets 421 and is closed",
   "qcell only"},
  {"smtpgreeting", ControlKind::value, ControlDefault::me, "", 0, 0, 0, "qmail-smtpd",
   "text of the 220 greeting", ""},
  {"smtproutes", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qmail-remote",
   "artificial routes: domain:relay[:port]", ""},
  {"timeoutconnect", ControlKind::number, ControlDefault::number, "", 60, 1, seconds_per_day, "qmail-remote",
   "seconds to wait for a remote connection", ""},
  {"timeoutremote", ControlKind::number, ControlDefault::number, "", 1200, 1, seconds_per_day, "qmail-remote",
   "seconds to wait for each remote response", ""},
  {"timeoutsmtpd", ControlKind::number, ControlDefault::number, "", 1200, 1, seconds_per_day, "qmail-smtpd",
   "seconds to wait for each client line", ""},
  {"tlsdestinations", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qcell (broker), qmail-remote",
   "TLS for outgoing mail per destination: domain:level[:cafile], level none, may, encrypt or verify (docs/remote.md); absent: may everywhere",
   "qcell only (qmail 1.03 had no TLS)"},
  {"tlsrequired", ControlKind::number, ControlDefault::number, "", 0, 0, 1, "qmail-remote",
   "1: every remote delivery needs TLS (none and may count as encrypt); a server without STARTTLS is a temporary failure",
   "qcell only"},
  {"virtualdomains", ControlKind::list, ControlDefault::none, "", 0, 0, 0, "qmail-send",
   "virtual users and domains: address:prepend", ""},
};
// clang-format on

bool is_trimmed_byte(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_right(std::string_view line) noexcept {
  while (!line.empty() && is_trimmed_byte(line.back())) line.remove_suffix(1);
  return line;
}

// Calls visit(line, number) for each line (without '\n'), after the
// file-level checks; stops and returns the first error.
template <class Visit>
Status<ControlError> for_each_line(std::span<const std::byte> content, Visit&& visit) {
  if (content.size() > limits::control_file) return fail(ControlError{ControlErrc::file_too_large, 0, 0});
  std::string_view text = as_text(content);
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.find('\0') != std::string_view::npos) return fail(ControlError{ControlErrc::nul_byte, number, 0});
    line = trim_right(line);
    if (line.size() > limits::control_line) return fail(ControlError{ControlErrc::line_too_long, number, 0});
    if (!visit(line, number)) break;
  }
  return {};
}

}  // namespace

std::string_view describe(ControlErrc code) noexcept {
  switch (code) {
    case ControlErrc::file_too_large: return "file is larger than 1048576 bytes (use a cdb for long lists)";
    case ControlErrc::nul_byte: return "NUL byte in line";
    case ControlErrc::line_too_long: return "line longer than 1024 bytes";
    case ControlErrc::not_a_number: return "not a decimal number";
    case ControlErrc::out_of_range: return "number out of the allowed range";
    case ControlErrc::empty_value: return "value is empty";
    case ControlErrc::missing: return "required file is missing";
    case ControlErrc::unreadable: return "cannot read file";
    case ControlErrc::unknown_name: return "not a control file qcell knows";
  }
  return "unknown control error";
}

std::string format_control_error(std::string_view name, const ControlError& error) {
  std::string message = "control/";
  message += name;
  if (error.line != 0) message += " line " + std::to_string(error.line);
  message += ": ";
  message += describe(error.code);
  if (error.code == ControlErrc::out_of_range) {
    if (const ControlEntry* entry = find_control(name)) {
      message += " (" + std::to_string(entry->minimum) + ".." + std::to_string(entry->maximum) + ")";
    }
  }
  if (error.sys_errno != 0) {
    message += " (errno ";
    message += std::to_string(error.sys_errno);
    message += ")";
  }
  return message;
}

Result<std::string, ControlError> parse_control_value(std::span<const std::byte> content) {
  std::string value;
  auto status = for_each_line(content, [&](std::string_view line, std::size_t) {
    value.assign(line);
    return false;  // only the first line counts
  });
  if (!status) return fail(status.error());
  return value;
}

Result<std::vector<std::string>, ControlError> parse_control_list(std::span<const std::byte> content) {
  std::vector<std::string> lines;
  auto status = for_each_line(content, [&](std::string_view line, std::size_t) {
    if (!line.empty() && line.front() != '#') lines.emplace_back(line);
    return true;
  });
  if (!status) return fail(status.error());
  return lines;
}

Result<std::optional<std::uint64_t>, ControlError> parse_control_number(std::span<const std::byte> content,
                                                                        std::uint64_t minimum, std::uint64_t maximum) {
  auto first = parse_control_value(content);
  if (!first) return fail(first.error());
  const std::string& text = *first;
  if (text.empty()) return std::optional<std::uint64_t>{};
  std::uint64_t number = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return fail(ControlError{ControlErrc::not_a_number, 1, 0});
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc::result_out_of_range) return fail(ControlError{ControlErrc::out_of_range, 1, 0});
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return fail(ControlError{ControlErrc::not_a_number, 1, 0});
  }
  if (number < minimum || number > maximum) return fail(ControlError{ControlErrc::out_of_range, 1, 0});
  return std::optional<std::uint64_t>(number);
}

std::span<const ControlEntry> control_table() noexcept { return entries; }

const ControlEntry* find_control(std::string_view name) noexcept {
  for (const ControlEntry& entry : entries) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string control_table_markdown() {
  std::string out = "| file | kind | default | used by | meaning | differs from qmail 1.03 |\n";
  out += "|---|---|---|---|---|---|\n";
  for (const ControlEntry& e : entries) {
    std::string kind;
    switch (e.kind) {
      case ControlKind::value: kind = "value"; break;
      case ControlKind::list: kind = "list"; break;
      case ControlKind::number: kind = "number " + std::to_string(e.minimum) + ".." + std::to_string(e.maximum); break;
      case ControlKind::cdb: kind = "cdb"; break;
    }
    std::string fallback;
    switch (e.default_kind) {
      case ControlDefault::none: fallback = "not set"; break;
      case ControlDefault::me: fallback = "`me`"; break;
      case ControlDefault::literal: fallback = "`" + std::string(e.default_text) + "`"; break;
      case ControlDefault::number: fallback = std::to_string(e.default_number); break;
      case ControlDefault::required: fallback = "required"; break;
    }
    out += "| `" + std::string(e.name) + "` | " + kind + " | " + fallback + " | " + std::string(e.used_by) + " | " +
           std::string(e.meaning) + " | " + (e.qmail_difference.empty() ? "" : std::string(e.qmail_difference)) +
           " |\n";
  }
  return out;
}

const ControlSetting* ControlSet::find(std::string_view name) const {
  auto it = settings.find(name);
  return it == settings.end() ? nullptr : &it->second;
}

bool ControlSet::is_set(std::string_view name) const {
  const ControlSetting* s = find(name);
  if (s == nullptr) std::abort();
  return !std::holds_alternative<std::monostate>(s->value);
}

std::string ControlSet::value(std::string_view name) const {
  const ControlSetting* s = find(name);
  if (s == nullptr) std::abort();
  if (std::holds_alternative<std::monostate>(s->value)) return {};
  return std::get<std::string>(s->value);
}

const std::vector<std::string>& ControlSet::list(std::string_view name) const {
  static const std::vector<std::string> empty;  // immutable: not shared state
  const ControlSetting* s = find(name);
  if (s == nullptr) std::abort();
  if (std::holds_alternative<std::monostate>(s->value)) return empty;
  return std::get<std::vector<std::string>>(s->value);
}

std::uint64_t ControlSet::number(std::string_view name) const {
  const ControlSetting* s = find(name);
  if (s == nullptr) std::abort();
  return std::get<std::uint64_t>(s->value);
}

Result<std::optional<std::string>, ControlError> read_control_file(const DirFd& dir, std::string_view name) {
  auto fd = open_beneath(dir, name, O_RDONLY | O_NONBLOCK);
  if (!fd) {
    if (fd.error() == ENOENT) return std::optional<std::string>{};
    return fail(ControlError{ControlErrc::unreadable, 0, fd.error()});
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return fail(ControlError{ControlErrc::unreadable, 0, errno});
  if (!S_ISREG(st.st_mode)) return fail(ControlError{ControlErrc::unreadable, 0, EINVAL});
  // Read at most one byte more than the limit, so that growth after fstat is caught too.
  ByteBuffer buffer(limits::control_file + 1);
  if (auto room = buffer.reserve_more(limits::control_file + 1); !room) {
    return fail(ControlError{ControlErrc::unreadable, 0, ENOMEM});
  }
  auto n = read_full(fd->get(), buffer.spare());
  if (!n) return fail(ControlError{ControlErrc::unreadable, 0, n.error().sys_errno});
  buffer.commit(*n);
  if (buffer.size() > limits::control_file) return fail(ControlError{ControlErrc::file_too_large, 0, 0});
  return std::optional<std::string>(std::string(buffer.view()));
}

Result<ControlSet, std::pair<std::string, ControlError>> load_control_set(const DirFd& dir) {
  using Failed = std::pair<std::string, ControlError>;
  ControlSet set;
  std::string me;
  // "me" first: other defaults refer to it.
  for (const ControlEntry& entry : entries) {
    std::string name(entry.name);
    std::string file_name = name;
    if (entry.kind == ControlKind::cdb) file_name += ".cdb";
    auto raw = read_control_file(dir, file_name);
    if (!raw) return fail(Failed{file_name, raw.error()});
    ControlSetting setting;
    if (raw->has_value()) {
      setting.from_file = true;
      auto bytes = as_bytes(**raw);
      switch (entry.kind) {
        case ControlKind::value: {
          auto value = parse_control_value(bytes);
          if (!value) return fail(Failed{name, value.error()});
          if (entry.default_kind == ControlDefault::required && value->empty()) {
            return fail(Failed{name, ControlError{ControlErrc::empty_value, 1, 0}});
          }
          setting.value = std::move(value.value());
          break;
        }
        case ControlKind::list: {
          auto list = parse_control_list(bytes);
          if (!list) return fail(Failed{name, list.error()});
          setting.value = std::move(list.value());
          break;
        }
        case ControlKind::number: {
          auto number = parse_control_number(bytes, entry.minimum, entry.maximum);
          if (!number) return fail(Failed{name, number.error()});
          if (number->has_value()) {
            setting.value = **number;
          } else {
            setting.value = entry.default_number;
            setting.from_file = false;
          }
          break;
        }
        case ControlKind::cdb:
          setting.value = file_name;  // present; read with CdbReader
          break;
      }
    }
    set.settings.emplace(std::move(name), std::move(setting));
    if (entry.name == "me" && raw->has_value()) me = std::get<std::string>(set.settings.find("me")->second.value);
  }

  // Defaults, now that "me" is known.
  for (const ControlEntry& entry : entries) {
    ControlSetting& setting = set.settings.find(entry.name)->second;
    if (setting.from_file || !std::holds_alternative<std::monostate>(setting.value)) continue;
    switch (entry.default_kind) {
      case ControlDefault::none: break;
      case ControlDefault::required:
        return fail(Failed{std::string(entry.name), ControlError{ControlErrc::missing, 0, 0}});
      case ControlDefault::literal: setting.value = std::string(entry.default_text); break;
      case ControlDefault::number: setting.value = entry.default_number; break;
      case ControlDefault::me:
        if (entry.kind == ControlKind::list) {
          setting.value = std::vector<std::string>{me};
        } else {
          setting.value = me;
        }
        break;
    }
  }
  // databytes 0 means qcell's default limit, never "unlimited".
  ControlSetting& databytes = set.settings.find("databytes")->second;
  if (std::get<std::uint64_t>(databytes.value) == 0) databytes.value = limits::message_size_default;
  return set;
}

}  // namespace qcell
