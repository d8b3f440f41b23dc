// tls_policy_test.cc — control/tlsdestinations: the levels, CA files, the
// lookup shared with smtproutes, control/tlsrequired raising none and may,
// the distinct CA files, and every error sentence.
#include "qmail-remote/tls_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qcell::remote {
namespace {

TlsPolicy parse_ok(std::vector<std::string> lines) {
  auto policy = parse_tls_policy(lines);
  if (!policy) {
    ADD_FAILURE() << "refused: " << describe(tls_policy_file_name, policy.error());
    return {};
  }
  return policy.value();
}

std::string error_of(std::vector<std::string> lines) {
  auto policy = parse_tls_policy(lines);
  if (policy) return "accepted";
  return describe(tls_policy_file_name, policy.error());
}

TlsDestination destination(TlsLevel level, std::string ca_file = {}) {
  return TlsDestination{level, std::move(ca_file)};
}

TEST(TlsPolicy, LevelNames) {
  EXPECT_EQ(tls_level_name(TlsLevel::none), "none");
  EXPECT_EQ(tls_level_name(TlsLevel::may), "may");
  EXPECT_EQ(tls_level_name(TlsLevel::encrypt), "encrypt");
  EXPECT_EQ(tls_level_name(TlsLevel::verify), "verify");
}

TEST(TlsPolicy, ParsesEveryForm) {
  TlsPolicy policy =
      parse_ok({"plain.example:none", "Opportunistic.example:may", ".bank.example:encrypt", "partner.example:verify",
                "private.example:verify:/etc/qmail/ca/private.pem", "[192.0.2.1]:encrypt", ":may"});
  ASSERT_EQ(policy.entries.size(), 7u);
  EXPECT_EQ(policy.entries[1].first, "opportunistic.example");
  EXPECT_EQ(policy.entries[4].second, destination(TlsLevel::verify, "/etc/qmail/ca/private.pem"));
  EXPECT_EQ(policy.entries[6].first, "");
}

TEST(TlsPolicy, CaFileMayHoldColons) {
  TlsPolicy policy = parse_ok({"a:verify:/etc/ca:v2.pem"});
  EXPECT_EQ(policy.entries.at(0).second.ca_file, "/etc/ca:v2.pem");
}

TEST(TlsPolicy, LookupOrderAndDefault) {
  TlsPolicy policy = parse_ok({".example.com:encrypt", "www.example.com:none", "example.com:verify:/ca.pem"});
  EXPECT_EQ(find_tls_destination(policy, "www.example.com", false), destination(TlsLevel::none));
  EXPECT_EQ(find_tls_destination(policy, "mail.example.com", false), destination(TlsLevel::encrypt));
  EXPECT_EQ(find_tls_destination(policy, "EXAMPLE.com", false), destination(TlsLevel::verify, "/ca.pem"));
  EXPECT_EQ(find_tls_destination(policy, "example.org", false), destination(TlsLevel::may));
  EXPECT_EQ(find_tls_destination(TlsPolicy{}, "example.org", false), destination(TlsLevel::may));
}

TEST(TlsPolicy, CatchAll) {
  TlsPolicy policy = parse_ok({":encrypt", "legacy.example:none"});
  EXPECT_EQ(find_tls_destination(policy, "anything.example", false), destination(TlsLevel::encrypt));
  EXPECT_EQ(find_tls_destination(policy, "legacy.example", false), destination(TlsLevel::none));
}

TEST(TlsPolicy, RequiredRaisesNoneAndMay) {
  TlsPolicy policy =
      parse_ok({"none.example:none", "may.example:may", "encrypt.example:encrypt", "verify.example:verify:/ca.pem"});
  EXPECT_EQ(find_tls_destination(policy, "none.example", true), destination(TlsLevel::encrypt));
  EXPECT_EQ(find_tls_destination(policy, "may.example", true), destination(TlsLevel::encrypt));
  EXPECT_EQ(find_tls_destination(policy, "other.example", true), destination(TlsLevel::encrypt));
  EXPECT_EQ(find_tls_destination(policy, "encrypt.example", true), destination(TlsLevel::encrypt));
  EXPECT_EQ(find_tls_destination(policy, "verify.example", true), destination(TlsLevel::verify, "/ca.pem"));
}

TEST(TlsPolicy, DistinctCaFilesInFileOrder) {
  TlsPolicy policy = parse_ok({"a:verify:/b.pem", "b:verify", "c:verify:/a.pem", "d:verify:/b.pem", "e:may"});
  EXPECT_EQ(tls_ca_files(policy), (std::vector<std::string>{"/b.pem", "/a.pem"}));
  EXPECT_TRUE(tls_ca_files(TlsPolicy{}).empty());
}

TEST(TlsPolicy, ErrorSentences) {
  EXPECT_EQ(error_of({"example.com"}), "control/tlsdestinations line 1: no ':' in line (write domain:level)");
  EXPECT_EQ(error_of({"a:may", "b:strict"}),
            "control/tlsdestinations line 2: level 'strict' is not none, may, encrypt or verify");
  EXPECT_EQ(error_of({"a:"}), "control/tlsdestinations line 1: level '' is not none, may, encrypt or verify");
  EXPECT_EQ(error_of({"a:Verify"}),
            "control/tlsdestinations line 1: level 'Verify' is not none, may, encrypt or verify");
  EXPECT_EQ(error_of({"a:encrypt:/ca.pem"}),
            "control/tlsdestinations line 1: a CA file is only used with level verify, not 'encrypt'");
  EXPECT_EQ(error_of({"a:verify:"}),
            "control/tlsdestinations line 1: CA file is empty (write domain:verify:/path/to/ca.pem, or drop the "
            "second ':')");
  EXPECT_EQ(error_of({"a:verify:ca.pem"}), "control/tlsdestinations line 1: CA file 'ca.pem' is not an absolute path");
  for (const char* path : {"/etc/../shadow", "/etc//ca.pem", "/etc/./ca.pem", "/etc/ca/", "/"}) {
    EXPECT_EQ(error_of({std::string("a:verify:") + path}),
              std::string("control/tlsdestinations line 1: CA file '") + path +
                  "' is not a plain path (no '.', '..' or empty parts, no trailing '/')");
  }
  EXPECT_EQ(error_of({"a b:may"}),
            "control/tlsdestinations line 1: domain 'a b' is not a domain name (labels of letters, digits, '-' and "
            "'_' between single dots)");
  EXPECT_EQ(error_of({"a:may", "A:none"}),
            "control/tlsdestinations line 2: domain 'a' is listed twice (first on line 1; qmail used the last)");
  EXPECT_EQ(error_of({"a:may\x1b"}), "control/tlsdestinations line 1: line contains a control byte ('\\x1b')");
}

}  // namespace
}  // namespace qcell::remote
