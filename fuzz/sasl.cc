// sasl.cc (fuzz) — qmail-smtpd's AUTH decoders (src/qmail-smtpd/sasl.h)
// with hostile bytes: a response line decoded as base64, and the bytes
// parsed as a PLAIN message. Traps when a decoded response re-encodes to
// anything but the line (base64 is canonical), exceeds its maximum, or when
// parsed PLAIN fields break their bounds or do not join back to the input.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qmail-smtpd/sasl.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qcell::smtpd;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  if (auto decoded = decode_response(line, sasl_plain_message)) {
    require(decoded->size() <= sasl_plain_message);
    std::string again(sodium_base64_encoded_len(decoded->size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(again.data(), again.size(), reinterpret_cast<const unsigned char*>(decoded->data()),
                      decoded->size(), sodium_base64_VARIANT_ORIGINAL);
    again.resize(again.size() - 1);  // the terminating NUL
    require(again == line);
  } else {
    require(!format_reply(decoded.error()).empty());
  }
  auto credentials = parse_plain(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  if (credentials) {
    require(!credentials->authcid.empty() && !credentials->password.empty());
    require(credentials->authzid.size() <= sasl_identity && credentials->authcid.size() <= sasl_identity &&
            credentials->password.size() <= sasl_identity);
    std::string joined = credentials->authzid + '\0' + credentials->authcid + '\0' + credentials->password;
    require(joined == line);
  }
  return 0;
}
