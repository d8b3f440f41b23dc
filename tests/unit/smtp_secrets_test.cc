// smtp_secrets_test.cc — control/smtpsecrets (qmail-smtpd/secrets.h): every
// parse error with its text and line, the user-name grammar, the caps on a
// hash's memory and time costs, verification (ok, wrong password, unknown
// user checked against a dummy with the same costs, out of memory), and the
// pure edit that `qcell passwd` applies. Hashes here are precomputed with
// libsodium's minimum costs (m=8 KiB, t=1), so no test pays for an
// interactive hash.
#include "qmail-smtpd/secrets.h"

#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "core/byte_buffer.h"

namespace qcell::smtpd {
namespace {

using namespace std::string_literals;

// crypto_pwhash_argon2id_str(password, OPSLIMIT_MIN, MEMLIMIT_MIN).
const std::string hash_secret1 =
    "$argon2id$v=19$m=8,t=1,p=1$+ewllEjwzrDQjibKBdF0lA$fVkD8fNg33eXrS+aNBYCyle+cUzYDoUhoLIyOaLVeCY";
const std::string hash_hunter2 =
    "$argon2id$v=19$m=8,t=1,p=1$YS3IoOuF+PLiUCvAaubtvw$ihTZmlykEHhCeQwmAc1JeipfwluQZs/70q0J+kTLi8c";
const std::string hash_pass_word =
    "$argon2id$v=19$m=8,t=1,p=1$3lFQ/C+fKvwdggpcSv6BUg$Vev37DwNvSa2Xfssc306lEFJrIqu5kDluQjdSClen+w";
// The same shape with its costs replaced (a valid string, no password known).
std::string with_costs(const std::string& costs) {
  return "$argon2id$v=19$" + costs + "$+ewllEjwzrDQjibKBdF0lA$fVkD8fNg33eXrS+aNBYCyle+cUzYDoUhoLIyOaLVeCY";
}

Result<Secrets, SecretsError> parse(const std::string& text) { return parse_secrets(as_bytes(text)); }

// The formatted error for `text`, or "ok".
std::string error_of(const std::string& text) {
  auto parsed = parse(text);
  return parsed ? "ok" : format_secrets_error(parsed.error());
}

TEST(SmtpSecrets, ParsesUsersAndSkipsCommentsAndEmptyLines) {
  const std::string file =
      "# SMTP AUTH users\n"
      "\n"
      "joe:" +
      hash_secret1 +
      "\n"
      "   \n"
      "#mary:nothing\n"
      "mary@example.org:" +
      hash_hunter2 +
      "  \t\r\n"
      "x:" +
      hash_pass_word;  // no final LF
  auto secrets = parse(file);
  ASSERT_TRUE(secrets.ok()) << format_secrets_error(secrets.error());
  ASSERT_EQ(secrets->users.size(), 3u);
  EXPECT_EQ(*secrets->find("joe"), (SecretsEntry{hash_secret1, 3}));
  EXPECT_EQ(*secrets->find("mary@example.org"), (SecretsEntry{hash_hunter2, 6}));
  EXPECT_EQ(*secrets->find("x"), (SecretsEntry{hash_pass_word, 7}));
  EXPECT_EQ(secrets->find("#mary"), nullptr);
  EXPECT_EQ(secrets->find("Joe"), nullptr);  // names are compared exactly
  EXPECT_EQ(secrets->find("jo"), nullptr);
}

TEST(SmtpSecrets, EmptyFileHasNoUsers) {
  for (const std::string& file : {""s, "\n\n"s, "# nobody yet\n"s}) {
    auto secrets = parse(file);
    ASSERT_TRUE(secrets.ok());
    EXPECT_TRUE(secrets->users.empty());
  }
}

TEST(SmtpSecrets, EveryParseErrorHasItsLineAndText) {
  const std::string ok_line = "joe:" + hash_secret1 + "\n";
  struct Case {
    std::string file;
    std::string message;
  };
  const Case cases[] = {
      {std::string(secrets_file_max + 1, '#'), "control/smtpsecrets: file is larger than 1048576 bytes"},
      {ok_line + "#\0\n"s, "control/smtpsecrets line 2: NUL byte in line"},
      {"joe:" + hash_secret1 + "\0"s, "control/smtpsecrets line 1: NUL byte in line"},
      {ok_line + "#" + std::string(secrets_line_max, 'x') + "\n",
       "control/smtpsecrets line 2: line longer than 1024 bytes"},
      {"joe\n", "control/smtpsecrets line 1: no ':' between user name and hash"},
      {"\n\njoe " + hash_secret1 + "\n", "control/smtpsecrets line 3: no ':' between user name and hash"},
      {":" + hash_secret1,
       "control/smtpsecrets line 1: user name is not 1 to 64 of A-Za-z0-9._@+- (not starting "
       "with '.' or '-')"},
      {"a:" + hash_secret1 + "\nb:" + hash_secret1 + "\nc:" + hash_secret1 + "\njo e:" + hash_secret1,
       "control/smtpsecrets line 4: user name is not 1 to 64 of A-Za-z0-9._@+- (not starting with '.' or '-')"},
      {"# c\n\njoe:" + hash_secret1 + "\nmary:" + hash_hunter2 + "\njoe:" + hash_pass_word + "\n",
       "control/smtpsecrets line 5: user name already appeared on line 3"},
      {"joe:secret1\n", "control/smtpsecrets line 1: hash does not start with $argon2id$ (make it with qcell passwd)"},
      {"joe:\n", "control/smtpsecrets line 1: hash does not start with $argon2id$ (make it with qcell passwd)"},
      {"joe:$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n",
       "control/smtpsecrets line 1: hash does not start with $argon2id$ (make it with qcell passwd)"},
      {"joe:$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n",
       "control/smtpsecrets line 1: hash does not start with $argon2id$ (make it with qcell passwd)"},
      {"joe:" + hash_secret1 + std::string(128 - hash_secret1.size(), 'A') + "\n",
       "control/smtpsecrets line 1: hash is longer than 127 bytes"},
      {"joe:" + with_costs("m=8,t=1,p=2") + "\n",
       "control/smtpsecrets line 1: hash is not of the form $argon2id$v=19$m=M,t=T,p=1$SALT$DIGEST"},
      {"joe:" + with_costs("m=4194304,t=3,p=1") + "\n",
       "control/smtpsecrets line 1: hash's memory cost m= is above 262144 KiB (256 MiB): every AUTH would "
       "allocate it"},
      {"joe:" + with_costs("m=65536,t=11,p=1") + "\n", "control/smtpsecrets line 1: hash's time cost t= is above 10"},
  };
  for (const Case& c : cases) EXPECT_EQ(error_of(c.file), c.message) << c.file;
}

TEST(SmtpSecrets, ErrorsCarryCodesAndLines) {
  auto duplicate = parse("joe:" + hash_secret1 + "\njoe:" + hash_secret1 + "\n");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error(), (SecretsError{SecretsErrc::duplicate_user, 2, 1}));
  auto too_large = parse(std::string(secrets_file_max + 1, '\n'));
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error(), (SecretsError{SecretsErrc::file_too_large, 0}));
  // The largest file and the longest line are accepted.
  EXPECT_EQ(error_of(std::string(secrets_file_max, '\n')), "ok");
  EXPECT_EQ(error_of("#" + std::string(secrets_line_max - 1, 'x') + "\n" + "joe:" + hash_secret1), "ok");
  // Trailing blanks count towards the line's length (it is measured before trimming).
  EXPECT_EQ(error_of("joe:" + hash_secret1 + std::string(secrets_line_max, ' ')),
            "control/smtpsecrets line 1: line longer than 1024 bytes");
}

TEST(SmtpSecrets, UserNameGrammar) {
  for (const std::string& good : {"joe"s, "j"s, "0"s, "joe@example.org"s, "Joe.Bloggs+smtp_1-x@mail.example"s, "_x"s,
                                  "@x"s, "+x"s, std::string(secrets_user_max, 'a')}) {
    EXPECT_TRUE(valid_secrets_user(good)) << good;
    EXPECT_EQ(error_of(good + ":" + hash_secret1), "ok") << good;
  }
  for (const std::string& bad :
       {""s, ".joe"s, "-joe"s, "jo e"s, " joe"s, "joe\t"s, "jo:e"s,
        "j\xc3\xb6"
        "e"s,
        "joe/x"s, "joe%x"s, "joe!"s, "joe\"s"s, "x\x7f"s, std::string(secrets_user_max + 1, 'a')}) {
    EXPECT_FALSE(valid_secrets_user(bad)) << bad;
    if (bad.find(':') == std::string::npos) {
      auto parsed = parse(bad + ":" + hash_secret1);
      ASSERT_FALSE(parsed.ok()) << bad;
      EXPECT_EQ(parsed.error().code, SecretsErrc::bad_user) << bad;
    }
  }
  // "jo:e:HASH" splits at the first ':', leaving "e:$argon2id..." as the hash.
  auto split = parse("jo:e:" + hash_secret1);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.error().code, SecretsErrc::not_argon2id);
}

TEST(SmtpSecrets, RefusesMalformedHashes) {
  const std::string salt = "+ewllEjwzrDQjibKBdF0lA";
  const std::string digest = "fVkD8fNg33eXrS+aNBYCyle+cUzYDoUhoLIyOaLVeCY";
  for (const std::string& bad : {
           "$argon2id$"s,
           "$argon2id$v=16$m=8,t=1,p=1$" + salt + "$" + digest,        // argon2 1.0
           "$argon2id$m=8,t=1,p=1$" + salt + "$" + digest,             // no version
           "$argon2id$v=19$m=8,t=1$" + salt + "$" + digest,            // no p
           "$argon2id$v=19$t=1,m=8,p=1$" + salt + "$" + digest,        // out of order
           "$argon2id$v=19$m=08,t=1,p=1$" + salt + "$" + digest,       // leading zero
           "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + digest,         // no digits
           "$argon2id$v=19$m=8,t=0,p=1$" + salt + "$" + digest,        // below argon2's floor
           "$argon2id$v=19$m=7,t=1,p=1$" + salt + "$" + digest,        // below 8 KiB
           "$argon2id$v=19$m=8,t=1,p=0$" + salt + "$" + digest,        // no lane
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$",                 // no digest
           "$argon2id$v=19$m=8,t=1,p=1$$" + digest,                    // no salt
           "$argon2id$v=19$m=8,t=1,p=1$" + salt,                       // one field
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$" + digest + "$",  // trailing $
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$" + digest + "=",  // padding
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$fVkD8fNg-33eXrS",  // '-' is not base64
           "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$" + digest,              // a 4-byte salt: libsodium refuses
           "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$" + digest,         // 8 bytes: not crypto_pwhash_str's 16
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$" + digest + "A",  // a digit too many
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$aGFzaA",           // a 4-byte digest
           "$argon2id$v=19$m=8,t=1,p=1$" + salt + "$fVkD8fNg33eXrS+aNBYCyle+cUzYDoUhoLIyOaLVeCZ",  // non-canonical
           "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + digest,                          // eleven digits
       }) {
    auto checked = check_hash(bad);
    ASSERT_FALSE(checked.ok()) << bad;
    EXPECT_EQ(checked.error().code, SecretsErrc::bad_hash) << bad;
  }
}

TEST(SmtpSecrets, CapsMemoryAndTimeCosts) {
  EXPECT_EQ(check_hash(with_costs("m=262144,t=10,p=1")).value(), (HashCosts{262144, 10}));
  EXPECT_EQ(check_hash(with_costs("m=65536,t=2,p=1")).value(), (HashCosts{65536, 2}));
  EXPECT_EQ(check_hash(hash_secret1).value(), (HashCosts{8, 1}));
  for (const std::string& costs :
       {"m=262145,t=2,p=1"s, "m=4194304,t=1,p=1"s, "m=4294967295,t=1,p=1"s, "m=9999999999,t=1,p=1"s}) {
    auto checked = check_hash(with_costs(costs));
    ASSERT_FALSE(checked.ok()) << costs;
    EXPECT_EQ(checked.error().code, SecretsErrc::memory_too_large) << costs;
  }
  for (const std::string& costs : {"m=8,t=11,p=1"s, "m=8,t=4294967295,p=1"s}) {
    auto checked = check_hash(with_costs(costs));
    ASSERT_FALSE(checked.ok()) << costs;
    EXPECT_EQ(checked.error().code, SecretsErrc::too_many_passes) << costs;
  }
  // A whole file with one such line does not load, wherever the line is.
  auto file = parse("joe:" + hash_secret1 + "\n# huge\nmallory:" + with_costs("m=2097152,t=1,p=1") + "\n");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error(), (SecretsError{SecretsErrc::memory_too_large, 3}));
}

TEST(SmtpSecrets, ErrorTableIsComplete) {
  std::set<std::string_view> names;
  for (auto code = static_cast<std::size_t>(SecretsErrc::file_too_large);
       code <= static_cast<std::size_t>(SecretsErrc::not_present); ++code) {
    auto errc = static_cast<SecretsErrc>(code);
    EXPECT_FALSE(describe(errc).empty());
    EXPECT_TRUE(names.insert(secrets_error_name(errc)).second);
  }
  EXPECT_EQ(format_secrets_error(SecretsError{SecretsErrc::not_present}),
            "control/smtpsecrets: no such user in the file");
}

TEST(SmtpSecrets, VerifiesPasswords) {
  auto secrets = parse("joe:" + hash_secret1 + "\nmary@example.org:" + hash_hunter2 + "\nx:" + hash_pass_word);
  ASSERT_TRUE(secrets.ok());
  EXPECT_EQ(verify(*secrets, "joe", "secret1"), Verdict::ok);
  EXPECT_EQ(verify(*secrets, "mary@example.org", "hunter2"), Verdict::ok);
  EXPECT_EQ(verify(*secrets, "x", "pass word"), Verdict::ok);
  EXPECT_EQ(verify(*secrets, "joe", "hunter2"), Verdict::bad_password);
  EXPECT_EQ(verify(*secrets, "joe", "secret1 "), Verdict::bad_password);
  EXPECT_EQ(verify(*secrets, "joe", "secret"), Verdict::bad_password);
  EXPECT_EQ(verify(*secrets, "joe", ""), Verdict::bad_password);
  EXPECT_EQ(verify(*secrets, "joe", "secret1\0"s), Verdict::bad_password);
  EXPECT_EQ(verify(*secrets, "Joe", "secret1"), Verdict::no_such_user);
  EXPECT_EQ(verify(*secrets, "joe ", "secret1"), Verdict::no_such_user);
  EXPECT_EQ(verify(*secrets, "mary", "hunter2"), Verdict::no_such_user);
  EXPECT_EQ(verify(*secrets, "", ""), Verdict::no_such_user);
  EXPECT_EQ(verify(*secrets, std::string(300, 'a'), std::string(300, 'b')), Verdict::no_such_user);
  EXPECT_EQ(verify(Secrets{}, "joe", "secret1"), Verdict::no_such_user);
}

TEST(SmtpSecrets, UnknownUsersAreCheckedAgainstADummyWithTheUsersCosts) {
  // The dummy takes the costs most hashes have...
  auto mostly_min = parse("a:" + hash_secret1 + "\nb:" + with_costs("m=65536,t=2,p=1") + "\nc:" + hash_hunter2);
  ASSERT_TRUE(mostly_min.ok());
  EXPECT_EQ(check_hash(mostly_min->dummy_hash).value(), (HashCosts{8, 1}));
  auto mostly_interactive =
      parse("a:" + hash_secret1 + "\nb:" + with_costs("m=65536,t=2,p=1") + "\nc:" + with_costs("m=65536,t=2,p=1"));
  ASSERT_TRUE(mostly_interactive.ok());
  EXPECT_EQ(check_hash(mostly_interactive->dummy_hash).value(), (HashCosts{65536, 2}));
  // ... and qcell passwd's when there are none.
  auto empty = parse("# nobody\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(check_hash(empty->dummy_hash).value(), (HashCosts{passwd_memory_bytes / 1024, passwd_passes}));
  // The dummy is a hash no password matches, and it is a valid file line.
  EXPECT_EQ(error_of("dummy:" + mostly_min->dummy_hash), "ok");
  Secrets dummy_as_user = parse("dummy:" + mostly_min->dummy_hash).value();
  for (const std::string& password : {""s, "secret1"s, "A"s, std::string(255, 'A')}) {
    EXPECT_EQ(verify(dummy_as_user, "dummy", password), Verdict::bad_password);
  }
  EXPECT_EQ(unmatchable_hash(HashCosts{65536, 2}),
            "$argon2id$v=19$m=65536,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

TEST(SmtpSecrets, HashesPasswordsThatVerify) {
  ASSERT_GE(sodium_init(), 0);
  auto hash = hash_password("correct horse", 1, 8192);  // libsodium's minimum costs: fast
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(check_hash(*hash).value(), (HashCosts{8, 1}));
  auto secrets = parse("joe:" + *hash + "\n");
  ASSERT_TRUE(secrets.ok());
  EXPECT_EQ(verify(*secrets, "joe", "correct horse"), Verdict::ok);
  EXPECT_EQ(verify(*secrets, "joe", "correct horse battery"), Verdict::bad_password);
  // Two hashes of one password differ (a random salt each).
  EXPECT_NE(hash_password("correct horse", 1, 8192).value(), *hash);
}

// VmSize of this process, in bytes.
std::size_t address_space_in_use() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

TEST(SmtpSecrets, OutOfMemoryIsUnavailableNotAWrongPassword) {
  // The hash needs 64 MiB; the child may map only 16 MiB more than it has.
  Secrets secrets = parse("joe:" + with_costs("m=65536,t=1,p=1") + "\n").value();
  const std::size_t in_use = address_space_in_use();
  ASSERT_GT(in_use, 0u);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct rlimit limit {};
    limit.rlim_cur = limit.rlim_max = in_use + std::size_t{16} * 1024 * 1024;
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(100);
    Verdict known = verify(secrets, "joe", "anything");
    Verdict unknown = verify(secrets, "mary", "anything");
    ::_exit(static_cast<int>(known) * 10 + static_cast<int>(unknown));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), static_cast<int>(Verdict::unavailable) * 11);  // both unavailable
}

// --- edit_secrets ---------------------------------------------------------------------

Result<EditedSecrets, SecretsError> edit(const std::string& current, std::string_view user,
                                         std::optional<std::string_view> hash) {
  return edit_secrets(as_bytes(current), user, hash);
}

TEST(SmtpSecrets, EditAddsAUser) {
  auto added = edit("", "joe", hash_secret1);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->change, SecretsChange::added);
  EXPECT_EQ(added->content, "joe:" + hash_secret1 + "\n");
  // Appended after everything, a missing final LF supplied.
  const std::string before = "# users\nmary:" + hash_hunter2;
  auto appended = edit(before, "joe", hash_secret1);
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->content, before + "\njoe:" + hash_secret1 + "\n");
  EXPECT_EQ(describe(SecretsChange::added), "added");
}

TEST(SmtpSecrets, EditReplacesOnlyTheUsersLine) {
  const std::string before =
      "# users, one a line\r\n"
      "\n"
      "mary:" +
      hash_hunter2 +
      "   \n"
      "joe:" +
      hash_secret1 +
      "\r\n"
      "#joe:old\n"
      "x:" +
      hash_pass_word;
  auto replaced = edit(before, "joe", hash_pass_word);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->change, SecretsChange::replaced);
  EXPECT_EQ(replaced->content,
            "# users, one a line\r\n"
            "\n"
            "mary:" +
                hash_hunter2 +
                "   \n"
                "joe:" +
                hash_pass_word +
                "\r\n"
                "#joe:old\n"
                "x:" +
                hash_pass_word);
  auto last = edit(before, "x", hash_secret1);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->content, before.substr(0, before.rfind('\n') + 1) + "x:" + hash_secret1);
}

TEST(SmtpSecrets, EditDeletesAUser) {
  const std::string before = "# c\nmary:" + hash_hunter2 + "\njoe:" + hash_secret1 + "\n# end\n";
  auto deleted = edit(before, "joe", std::nullopt);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->change, SecretsChange::deleted);
  EXPECT_EQ(deleted->content, "# c\nmary:" + hash_hunter2 + "\n# end\n");
  auto last = edit("mary:" + hash_hunter2 + "\njoe:" + hash_secret1, "joe", std::nullopt);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->content, "mary:" + hash_hunter2 + "\n");
  auto absent = edit(before, "Joe", std::nullopt);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, SecretsErrc::not_present);
}

TEST(SmtpSecrets, EditRefusesWhatWouldNotLoad) {
  // The current file does not parse: its own error.
  auto broken = edit("joe:" + hash_secret1 + "\nmary hunter2\n", "joe", hash_hunter2);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error(), (SecretsError{SecretsErrc::no_separator, 2}));
  auto broken_delete = edit("joe:" + hash_secret1 + "\nmary hunter2\n", "joe", std::nullopt);
  ASSERT_FALSE(broken_delete.ok());
  EXPECT_EQ(broken_delete.error(), (SecretsError{SecretsErrc::no_separator, 2}));
  // A bad new user or hash.
  EXPECT_EQ(edit("", "-joe", hash_secret1).error().code, SecretsErrc::bad_user);
  EXPECT_EQ(edit("", "joe", "secret1").error().code, SecretsErrc::not_argon2id);
  EXPECT_EQ(edit("", "joe", with_costs("m=1048576,t=1,p=1")).error().code, SecretsErrc::memory_too_large);
  // A file grown past its limit.
  const std::string full(secrets_file_max - 10, '\n');
  EXPECT_EQ(edit(full, "joe", hash_secret1).error().code, SecretsErrc::file_too_large);
}

}  // namespace
}  // namespace qcell::smtpd
