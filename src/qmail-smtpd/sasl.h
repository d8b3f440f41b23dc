// sasl.h — the AUTH decoders of qmail-smtpd (RFC 4954): base64 (through
// libsodium's strict decoder, padding required), the client's "*" that
// cancels an exchange, and the PLAIN message (RFC 4616:
// [authzid] NUL authcid NUL passwd). LOGIN is two base64 lines, each
// decoded here on its own. Every byte comes from the network client before
// it has authenticated, so it is hostile: lengths are bounded before
// anything is decoded, nothing is interpreted beyond the grammar, and each
// refusal maps to one reply (one table in sasl.cc; docs/smtpd.md).
//
// Checking the password against the secrets file is not done here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace qcell::smtpd {

enum class SaslError : std::uint8_t {
  cancelled,       // the client answered "*" (RFC 4954 section 4)
  too_long,        // more base64 than limits::smtp_auth_line allows
  bad_base64,      // not canonical padded base64 (RFC 4648 section 4)
  plain_syntax,    // PLAIN: not exactly two NUL separators
  empty_identity,  // PLAIN: an empty authcid or password
  long_identity,   // PLAIN: an authzid, authcid or password over sasl_identity bytes
};

struct SaslReply {
  std::uint16_t code;
  std::string_view enhanced;
  std::string_view text;
};

// The reply for a refusal: "501 5.0.0 Authentication cancelled", ...
const SaslReply& sasl_reply(SaslError error) noexcept;
std::string format_reply(SaslError error);  // one line, no CRLF
std::string_view sasl_error_name(SaslError error) noexcept;

// Longest authzid, authcid or password of PLAIN, and of a LOGIN line once
// decoded: RFC 4616 section 2 allows 255 octets each.
inline constexpr std::size_t sasl_identity = 255;
// Longest decoded PLAIN message: three such fields and two NULs.
inline constexpr std::size_t sasl_plain_message = 3 * sasl_identity + 2;

// Decodes one client response (an initial response or a continuation
// line, without CRLF): "*" is `cancelled`; anything else must be padded
// base64 of at most `max_decoded` bytes (sasl_plain_message for PLAIN,
// sasl_identity for each LOGIN line; more is `long_identity`). An empty
// line decodes to nothing (the "=" of an empty initial response is the
// command parser's business).
Result<std::string, SaslError> decode_response(std::string_view line, std::size_t max_decoded);

struct PlainCredentials {
  std::string authzid;  // empty when the client did not ask to act as someone else
  std::string authcid;
  std::string password;
  bool operator==(const PlainCredentials&) const = default;
};

// Parses a decoded PLAIN message (RFC 4616).
Result<PlainCredentials, SaslError> parse_plain(std::span<const std::byte> message);

}  // namespace qcell::smtpd
