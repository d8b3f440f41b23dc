// sasl.cc — AUTH decoding (sasl.h). Hostile input, bounded before decoding.
#include "qmail-smtpd/sasl.h"

#include <sodium.h>

#include <iterator>

#include "core/limits.h"

namespace qcell::smtpd {

namespace {

struct Entry {
  SaslError error;
  std::string_view name;
  SaslReply reply;
};

// RFC 4954 section 4: "*" cancels with 501; a response that cannot be
// decoded is 501 5.5.2; section 6 lists 5.5.2 for a syntax error in a SASL
// mechanism's data.
constexpr Entry entries[] = {
    {SaslError::cancelled, "cancelled", {501, "5.0.0", "Authentication cancelled"}},
    {SaslError::too_long, "too_long", {500, "5.5.6", "Authentication exchange line is too long"}},
    {SaslError::bad_base64, "bad_base64", {501, "5.5.2", "Cannot decode the response as base64"}},
    {SaslError::plain_syntax, "plain_syntax",
     {501, "5.5.2", "Malformed PLAIN response: expected [authzid] NUL authcid NUL password"}},
    {SaslError::empty_identity, "empty_identity",
     {501, "5.5.2", "Malformed PLAIN response: empty user name or password"}},
    {SaslError::long_identity, "long_identity",
     {501, "5.5.2", "Malformed response: a user name or password longer than 255 bytes"}},
};
static_assert(std::size(entries) == static_cast<std::size_t>(SaslError::long_identity) + 1);
constexpr bool in_order() {
  for (std::size_t i = 0; i < std::size(entries); ++i) {
    if (static_cast<std::size_t>(entries[i].error) != i) return false;
  }
  return true;
}
static_assert(in_order());
static_assert(sasl_identity == 255, "the texts above name 255");

}  // namespace

const SaslReply& sasl_reply(SaslError error) noexcept { return entries[static_cast<std::size_t>(error)].reply; }

std::string_view sasl_error_name(SaslError error) noexcept { return entries[static_cast<std::size_t>(error)].name; }

std::string format_reply(SaslError error) {
  const SaslReply& r = sasl_reply(error);
  return std::to_string(r.code) + " " + std::string(r.enhanced) + " " + std::string(r.text);
}

Result<std::string, SaslError> decode_response(std::string_view line, std::size_t max_decoded) {
  if (line == "*") return fail(SaslError::cancelled);
  // Bounded before decoding: an AUTH exchange line is at most smtp_auth_line
  // bytes with its CRLF, and base64 never decodes to more than 3/4 of it.
  if (line.size() > limits::smtp_auth_line - 2) return fail(SaslError::too_long);
  if (line.empty()) return std::string();
  // Canonical padded base64 has a length that is a multiple of four; the
  // decoded size follows from it exactly, so the output is sized once.
  if (line.size() % 4 != 0) return fail(SaslError::bad_base64);
  // The alphabet is checked here first: libsodium 1.0.18 (Debian 12) takes
  // some bytes above 127 for base64 digits (found by fuzz/sasl.cc), so only
  // A-Z a-z 0-9 + / reach it, with at most two '=' at the very end.
  std::size_t padding = line.ends_with("==") ? 2 : line.ends_with('=') ? 1 : 0;
  for (std::size_t i = 0; i < line.size() - padding; ++i) {
    char c = line[i];
    bool digit = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!digit) return fail(SaslError::bad_base64);
  }
  std::size_t decoded_max = line.size() / 4 * 3;
  std::string out(decoded_max, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), line.data(), line.size(), nullptr,
                        &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != line.data() + line.size()) {
    return fail(SaslError::bad_base64);
  }
  if (length > max_decoded) return fail(SaslError::long_identity);
  out.resize(length);
  return out;
}

Result<PlainCredentials, SaslError> parse_plain(std::span<const std::byte> message) {
  std::string_view text(reinterpret_cast<const char*>(message.data()), message.size());
  std::size_t first = text.find('\0');
  if (first == std::string_view::npos) return fail(SaslError::plain_syntax);
  std::size_t second = text.find('\0', first + 1);
  if (second == std::string_view::npos || text.find('\0', second + 1) != std::string_view::npos) {
    return fail(SaslError::plain_syntax);
  }
  PlainCredentials credentials;
  std::string_view authzid = text.substr(0, first);
  std::string_view authcid = text.substr(first + 1, second - first - 1);
  std::string_view password = text.substr(second + 1);
  if (authcid.empty() || password.empty()) return fail(SaslError::empty_identity);
  if (authzid.size() > sasl_identity || authcid.size() > sasl_identity || password.size() > sasl_identity) {
    return fail(SaslError::long_identity);
  }
  credentials.authzid = authzid;
  credentials.authcid = authcid;
  credentials.password = password;
  return credentials;
}

}  // namespace qcell::smtpd
