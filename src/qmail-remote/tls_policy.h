// tls_policy.h — control/tlsdestinations, qcell's per-destination TLS
// policy for outgoing mail (qmail 1.03 had no TLS; the level names are
// Postfix's smtp_tls_security_level). A pure parser and the lookup;
// docs/remote.md describes the format.
//
// Hostile input: the lines, parsed strictly as control/smtproutes (same key
// forms, same lookup order, duplicates refused, each error a sentence with
// the line number), and the domain looked up (a recipient's). A CA file
// name is only checked as a path here; the broker reads the file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "qmail-remote/smtp_routes.h"

namespace qcell::remote {

inline constexpr std::string_view tls_policy_file_name = "control/tlsdestinations";

enum class TlsLevel : std::uint8_t {
  none,     // never STARTTLS: plain text even when the server offers TLS
  may,      // STARTTLS when offered, any certificate; plain text otherwise (the default)
  encrypt,  // STARTTLS required, any certificate; no TLS is a temporary failure
  verify,   // STARTTLS required, and the certificate must verify and match the host name
};

// "none", "may", "encrypt", "verify".
std::string_view tls_level_name(TlsLevel level) noexcept;

struct TlsDestination {
  TlsLevel level = TlsLevel::may;
  std::string ca_file;  // "" = the system trust store; only with verify; an absolute path
  bool operator==(const TlsDestination&) const = default;
};

struct TlsPolicy {
  // In file order; keys as in SmtpRoutes (lowercased, unique).
  std::vector<std::pair<std::string, TlsDestination>> entries;
};

// Parses the lines of control/tlsdestinations as parse_control_list gives
// them: "domain:level" or "domain:verify:/absolute/ca.pem". Stops at the first error.
Result<TlsPolicy, RouteError> parse_tls_policy(std::span<const std::string> lines);

// The destination for a recipient domain: the whole domain, each suffix
// from a '.', then the catch-all "" (as find_smtp_route); may when nothing
// matches. `always_require` (control/tlsrequired is 1) raises none and may
// to encrypt; encrypt and verify stay as they are.
TlsDestination find_tls_destination(const TlsPolicy& policy, std::string_view domain, bool always_require);

// Every distinct CA file named, in file order (the broker reads them into
// the cell's snapshot).
std::vector<std::string> tls_ca_files(const TlsPolicy& policy);

// The system trust store, which the broker reads into the snapshot (as the
// extra "ca:") when a `verify` line names no CA file of its own.
inline constexpr std::string_view system_trust_store = "/etc/ssl/certs/ca-certificates.crt";
bool tls_uses_system_store(const TlsPolicy& policy) noexcept;

}  // namespace qcell::remote
