// received.cc — builds the Received: field from checked values only.
#include "qmail-smtpd/received.h"

#include <arpa/inet.h>

#include <array>
#include <cstdio>

#include "core/utc_time.h"

namespace qcell::smtpd {

namespace {

// A host name as a resolver returns it: letters, digits, '-', '.', at most
// 255 bytes.
bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 address literals), or
// "unknown" when `ip` is not an address.
std::string address_literal(std::string_view ip) {
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN) return "unknown";
  const std::string text(ip);
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) return "[" + text + "]";
  if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) return "[IPv6:" + text + "]";
  return "unknown";
}

// The authenticated user comes from control/smtpsecrets' grammar; anything
// else is not printed.
bool is_printable_word(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  for (char c : text) {
    if (c <= ' ' || c > '~' || c == '(' || c == ')' || c == '\\' || c == ';') return false;
  }
  return true;
}

}  // namespace

std::string_view protocol_type(const ReceivedFacts& facts) noexcept {
  const bool tls = facts.tls_version.has_value();
  const bool auth = facts.auth_user.has_value();
  if (facts.smtputf8) {
    if (tls && auth) return "UTF8SMTPSA";
    if (tls) return "UTF8SMTPS";
    if (auth) return "UTF8SMTPA";
    return "UTF8SMTP";
  }
  if (!facts.esmtp && !tls && !auth) return "SMTP";
  if (tls && auth) return "ESMTPSA";
  if (tls) return "ESMTPS";
  if (auth) return "ESMTPA";
  return "ESMTP";
}

// Computed from the count of days, not with gmtime_r: glibc's gmtime
// initialises the time zone once, which opens /etc/localtime, a path a
// cell may not open. The calendar conversion is the proleptic Gregorian
// one (days since 1970-01-01 to year, month, day, in 400-year eras).
std::string rfc5322_date(std::time_t now) {
  // Before 1970 only with a broken clock: the epoch then, as before.
  return rfc5322_utc_date(now < 0 ? 0 : static_cast<std::int64_t>(now));
}

std::string received_header(const ReceivedFacts& facts) {
  std::string field = "Received: from ";
  field.append(facts.helo.empty() ? std::string_view("unknown") : facts.helo);
  field.append(" (");
  field.append(is_host_name(facts.remote_host) ? facts.remote_host : std::string_view("unknown"));
  field.push_back(' ');
  field.append(address_literal(facts.remote_ip));
  field.append(")\n\tby ");
  field.append(facts.me);
  field.append(" (qcell) with ");
  field.append(protocol_type(facts));
  if (facts.tls_version && is_printable_word(*facts.tls_version) && is_printable_word(facts.tls_cipher)) {
    field.append(" (");
    field.append(*facts.tls_version);
    field.push_back(' ');
    field.append(facts.tls_cipher);
    field.push_back(')');
  }
  if (facts.auth_user) {
    field.append("\n\t(authenticated as ");
    field.append(is_printable_word(*facts.auth_user) ? *facts.auth_user : std::string_view("unknown"));
    field.push_back(')');
  }
  field.append(";\n\t");
  field.append(rfc5322_date(facts.now));
  field.push_back('\n');
  return field;
}

}  // namespace qcell::smtpd
