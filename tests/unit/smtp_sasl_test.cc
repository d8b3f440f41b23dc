// smtp_sasl_test.cc — qmail-smtpd's AUTH decoders (sasl.h): base64 through
// libsodium, only canonical and padded; "*" cancels; PLAIN split into its
// three fields with every malformed shape refused; lengths bounded before
// decoding; one reply per refusal.
#include "qmail-smtpd/sasl.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/byte_buffer.h"
#include "core/limits.h"

namespace qcell::smtpd {
namespace {

using namespace std::string_literals;

Result<PlainCredentials, SaslError> plain(const std::string& decoded) { return parse_plain(as_bytes(decoded)); }

TEST(SmtpSasl, DecodesCanonicalPaddedBase64) {
  EXPECT_EQ(decode_response("dGVzdA==", 255).value(), "test");
  EXPECT_EQ(decode_response("dGVzdDE=", 255).value(), "test1");
  EXPECT_EQ(decode_response("dGVzdDEy", 255).value(), "test12");
  EXPECT_EQ(decode_response("AHVzZXIAcGFzcw==", 767).value(), "\0user\0pass"s);
  EXPECT_EQ(decode_response("", 255).value(), "");
}

TEST(SmtpSasl, RefusesEverythingElseAsBase64) {
  for (const char* bad : {"dGVzdA", "dGVzdA=", "dGVzdA===", "dGVz dA==", "dGVzdA==\r", "d!VzdA==", "====",
                          "dGVzdA==dGVzdA==x", "=dGVzdA=", "dGVzdB==", "-_-_",
                          // bytes above 127, which libsodium 1.0.18 alone would take (fuzz/sasl.cc found it)
                          "AHVzZXIAcGFzcw\xc3\xcb", "\xc3\xcb\xc3\xcb"}) {
    auto r = decode_response(bad, 255);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), SaslError::bad_base64) << bad;
  }
}

TEST(SmtpSasl, StarCancelsAndLengthsAreBoundedBeforeDecoding) {
  EXPECT_EQ(decode_response("*", 255).error(), SaslError::cancelled);
  EXPECT_EQ(decode_response("**", 255).error(), SaslError::bad_base64);
  std::string longest(limits::smtp_auth_line - 4, 'A');  // a multiple of four, within the line
  EXPECT_EQ(decode_response(longest, limits::smtp_auth_line).value().size(), longest.size() / 4 * 3);
  EXPECT_EQ(decode_response(std::string(limits::smtp_auth_line - 1, 'A'), limits::smtp_auth_line).error(),
            SaslError::too_long);
  EXPECT_EQ(decode_response(std::string(1 << 20, 'A'), limits::smtp_auth_line).error(), SaslError::too_long);
  // Decoded size over the caller's maximum.
  EXPECT_EQ(decode_response("dGVzdA==", 3).error(), SaslError::long_identity);
  EXPECT_EQ(decode_response("dGVzdA==", 4).value(), "test");
}

TEST(SmtpSasl, PlainHasThreeFields) {
  EXPECT_EQ(plain("\0user\0secret"s).value(), (PlainCredentials{"", "user", "secret"}));
  EXPECT_EQ(plain("admin\0user\0s e c r e t"s).value(), (PlainCredentials{"admin", "user", "s e c r e t"}));
  std::string max(sasl_identity, 'x');
  EXPECT_EQ(plain(max + '\0' + max + '\0' + max).value(), (PlainCredentials{max, max, max}));
}

TEST(SmtpSasl, PlainRefusesEveryMalformedShape) {
  struct Case {
    std::string input;
    SaslError error;
  };
  std::string long_field(sasl_identity + 1, 'x');
  const Case cases[] = {
      {"", SaslError::plain_syntax},
      {"user", SaslError::plain_syntax},
      {"\0user"s, SaslError::plain_syntax},
      {"\0user\0pass\0"s, SaslError::plain_syntax},
      {"a\0b\0c\0d"s, SaslError::plain_syntax},
      {"\0\0pass"s, SaslError::empty_identity},
      {"\0user\0"s, SaslError::empty_identity},
      {"\0\0"s, SaslError::empty_identity},
      {long_field + "\0user\0pass"s, SaslError::long_identity},
      {"\0"s + long_field + "\0pass"s, SaslError::long_identity},
      {"\0user\0"s + long_field, SaslError::long_identity},
  };
  for (const Case& c : cases) {
    auto r = plain(c.input);
    ASSERT_FALSE(r.ok()) << c.input.size();
    EXPECT_EQ(r.error(), c.error) << sasl_error_name(r.error());
  }
}

TEST(SmtpSasl, EveryRefusalHasItsReply) {
  EXPECT_EQ(format_reply(SaslError::cancelled), "501 5.0.0 Authentication cancelled");
  EXPECT_EQ(format_reply(SaslError::too_long), "500 5.5.6 Authentication exchange line is too long");
  EXPECT_EQ(format_reply(SaslError::bad_base64), "501 5.5.2 Cannot decode the response as base64");
  EXPECT_EQ(format_reply(SaslError::plain_syntax),
            "501 5.5.2 Malformed PLAIN response: expected [authzid] NUL authcid NUL password");
  EXPECT_EQ(format_reply(SaslError::empty_identity), "501 5.5.2 Malformed PLAIN response: empty user name or password");
  EXPECT_EQ(format_reply(SaslError::long_identity),
            "501 5.5.2 Malformed response: a user name or password longer than 255 bytes");
  std::set<std::string_view> names;
  for (auto e = static_cast<std::uint8_t>(SaslError::cancelled); e <= static_cast<std::uint8_t>(SaslError::long_identity);
       ++e) {
    names.insert(sasl_error_name(static_cast<SaslError>(e)));
  }
  EXPECT_EQ(names.size(), 6u);
}

}  // namespace
}  // namespace qcell::smtpd
