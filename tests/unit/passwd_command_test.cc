// passwd_command_test.cc — `qcell passwd` (qcell/passwd_command.h): adding,
// replacing and deleting a user of control/smtpsecrets in a temporary root,
// other lines and comments kept byte for byte, an unparsable file refused
// and left alone, the password's rules, the file's mode and owner, the lock,
// exit codes and messages. Only the end-to-end add pays for an interactive
// hash (about 0.2 s and 64 MiB); the rest hand in precomputed cheap hashes
// or never reach hashing.
#include "qcell/passwd_command.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "qcell/check.h"
#include "qmail-smtpd/secrets.h"
#include "test_files.h"

namespace qcell {
namespace {

using namespace std::string_literals;

// Made with libsodium's minimum costs (m=8 KiB, t=1): cheap to check.
const std::string hash_secret1 =
    "$argon2id$v=19$m=8,t=1,p=1$+ewllEjwzrDQjibKBdF0lA$fVkD8fNg33eXrS+aNBYCyle+cUzYDoUhoLIyOaLVeCY";
const std::string hash_hunter2 =
    "$argon2id$v=19$m=8,t=1,p=1$YS3IoOuF+PLiUCvAaubtvw$ihTZmlykEHhCeQwmAc1JeipfwluQZs/70q0J+kTLi8c";

struct Outcome {
  int exit_code = -1;
  std::string output;
  std::string errors;
};

class PasswdCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-passwd-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    ASSERT_EQ(::mkdir((root_ + "/control").c_str(), 0755), 0);
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }

  std::string path(const std::string& name = "smtpsecrets") const { return root_ + "/control/" + name; }
  void put(const std::string& content) { std::ofstream(path(), std::ios::binary) << content; }
  std::string file() const {
    std::ifstream in(path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool exists(const std::string& name) const { return ::access(path(name).c_str(), F_OK) == 0; }

  // Runs the command with `input` on its standard input (all of it written
  // first, then the pipe closed: the command must not need more).
  Outcome run(std::vector<std::string> arguments, const std::string& input = "") {
    std::vector<std::string> words = {"qcell", "passwd"};
    words.insert(words.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    int in[2], out[2], err[2];
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
    EXPECT_EQ(::pipe(err), 0);
    EXPECT_TRUE(write_full(in[1], input).ok());
    ::close(in[1]);
    Outcome result;
    result.exit_code = run_passwd_command(static_cast<int>(words.size()), argv.data(), in[0], out[1], err[1]);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    result.output = drain(out[0]);
    result.errors = drain(err[0]);
    ::close(out[0]);
    ::close(err[0]);
    return result;
  }

  std::string root_;
};

TEST_F(PasswdCommand, AddsAUserWithAnInteractiveHash) {
  Outcome r = run({"--root", root_, "joe@example.org"}, "correct horse\n");
  EXPECT_EQ(r.exit_code, exit_ok) << r.errors;
  EXPECT_EQ(r.output, "qcell passwd: added joe@example.org\n");
  EXPECT_EQ(r.errors, "");
  const std::string content = file();
  ASSERT_TRUE(content.starts_with("joe@example.org:$argon2id$v=19$m=65536,t=2,p=1$")) << content;
  ASSERT_TRUE(content.ends_with("\n"));
  EXPECT_EQ(content.find('\n'), content.size() - 1);
  auto secrets = smtpd::parse_secrets(as_bytes(content));
  ASSERT_TRUE(secrets.ok());
  EXPECT_EQ(smtpd::verify(*secrets, "joe@example.org", "correct horse"), smtpd::Verdict::ok);
  EXPECT_FALSE(exists("smtpsecrets.new"));
}

TEST_F(PasswdCommand, WritesMode0640OwnedByRootAndGroupQmail) {
  const mode_t old_umask = ::umask(077);  // the mode does not depend on the umask
  auto change = update_secrets_file(root_, "joe", hash_secret1);
  ::umask(old_umask);
  ASSERT_TRUE(change.ok()) << change.error().text;
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  if (::geteuid() == 0) {
    const struct group* qmail = ::getgrnam("qmail");
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, qmail != nullptr ? qmail->gr_gid : 0u);
  }
  // A replaced file gets the same, whatever the old one had.
  ASSERT_EQ(::chmod(path().c_str(), 0666), 0);
  ASSERT_TRUE(update_secrets_file(root_, "joe", hash_hunter2).ok());
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(PasswdCommand, ReplacesTheUsersLineAndKeepsEverythingElse) {
  const std::string before =
      "# SMTP AUTH users\n"
      "\n"
      "mary:" +
      hash_hunter2 +
      "\n"
      "# joe is the postmaster\n"
      "joe:" +
      hash_hunter2 +
      "\n"
      "   \n"
      "# end\n";
  put(before);
  auto change = update_secrets_file(root_, "joe", hash_secret1);
  ASSERT_TRUE(change.ok()) << change.error().text;
  EXPECT_EQ(*change, smtpd::SecretsChange::replaced);
  EXPECT_EQ(file(),
            "# SMTP AUTH users\n"
            "\n"
            "mary:" +
                hash_hunter2 +
                "\n"
                "# joe is the postmaster\n"
                "joe:" +
                hash_secret1 +
                "\n"
                "   \n"
                "# end\n");
  auto added = update_secrets_file(root_, "bob", hash_secret1);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, smtpd::SecretsChange::added);
  EXPECT_TRUE(file().ends_with("# end\nbob:" + hash_secret1 + "\n"));
  EXPECT_FALSE(exists("smtpsecrets.new"));
}

TEST_F(PasswdCommand, DeletesAUser) {
  put("# users\nmary:" + hash_hunter2 + "\njoe:" + hash_secret1 + "\n# end\n");
  Outcome r = run({"--delete", "joe", "--root", root_});
  EXPECT_EQ(r.exit_code, exit_ok) << r.errors;
  EXPECT_EQ(r.output, "qcell passwd: deleted joe\n");
  EXPECT_EQ(r.errors, "");
  EXPECT_EQ(file(), "# users\nmary:" + hash_hunter2 + "\n# end\n");
}

TEST_F(PasswdCommand, DeletingAnAbsentUserIsAnError) {
  const std::string before = "mary:" + hash_hunter2 + "\n";
  put(before);
  Outcome r = run({"--root", root_, "--delete", "joe"});
  EXPECT_EQ(r.exit_code, exit_usage);
  EXPECT_EQ(r.output, "");
  EXPECT_EQ(r.errors, "qcell passwd: no user joe in " + root_ + "/control/smtpsecrets (nothing changed)\n");
  EXPECT_EQ(file(), before);
  // Without a file at all, too.
  ASSERT_EQ(::unlink(path().c_str()), 0);
  EXPECT_EQ(run({"--root", root_, "--delete", "joe"}).exit_code, exit_usage);
  EXPECT_FALSE(exists("smtpsecrets"));
  EXPECT_FALSE(exists("smtpsecrets.new"));
}

TEST_F(PasswdCommand, RefusesAnUnparsableFileAndChangesNothing) {
  const std::string before = "joe:" + hash_secret1 + "\nmary:plain-text-password\n";
  put(before);
  ASSERT_EQ(::chmod(path().c_str(), 0600), 0);
  Outcome r = run({"--root", root_, "--delete", "joe"});
  EXPECT_EQ(r.exit_code, exit_usage);
  EXPECT_EQ(r.errors,
            "qcell passwd: control/smtpsecrets line 2: hash does not start with $argon2id$ (make it with qcell "
            "passwd) (nothing changed)\n");
  EXPECT_EQ(file(), before);
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(exists("smtpsecrets.new"));
  auto change = update_secrets_file(root_, "bob", hash_hunter2);
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.error().exit_code, exit_usage);
  EXPECT_EQ(file(), before);
}

TEST_F(PasswdCommand, RefusesBadPasswords) {
  struct Case {
    std::string input;
    std::string error;
  };
  const Case cases[] = {
      {"", "qcell passwd: empty password refused (give it as one line on standard input)\n"},
      {"\n", "qcell passwd: empty password refused (give it as one line on standard input)\n"},
      {"\r\n", "qcell passwd: empty password refused (give it as one line on standard input)\n"},
      {"\nsecret\n", "qcell passwd: empty password refused (give it as one line on standard input)\n"},
      {std::string(256, 'x') + "\n", "qcell passwd: password longer than 255 bytes refused (AUTH cannot send it)\n"},
      {std::string(5000, 'x'), "qcell passwd: password longer than 255 bytes refused (AUTH cannot send it)\n"},
      {"sec\0ret\n"s, "qcell passwd: password with a NUL byte refused (AUTH PLAIN cannot send it)\n"},
  };
  for (const Case& c : cases) {
    Outcome r = run({"--root", root_, "joe"}, c.input);
    EXPECT_EQ(r.exit_code, exit_usage) << c.input;
    EXPECT_EQ(r.errors, c.error) << c.input;
    EXPECT_EQ(r.output, "");
  }
  EXPECT_FALSE(exists("smtpsecrets"));
}

// read_password on a pipe holding `input`.
Result<std::string, PasswdFailure> read_from(const std::string& input) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  EXPECT_TRUE(write_full(fds[1], input).ok());
  ::close(fds[1]);
  auto password = read_password(fds[0], -1);
  ::close(fds[0]);
  return password;
}

TEST_F(PasswdCommand, ReadsOneLineAndStripsItsEnd) {
  EXPECT_EQ(read_from("secret\n").value(), "secret");
  EXPECT_EQ(read_from("secret\r\n").value(), "secret");
  EXPECT_EQ(read_from("secret").value(), "secret");
  EXPECT_EQ(read_from("two words \n").value(), "two words ");  // only the line end is stripped
  EXPECT_EQ(read_from("first\nsecond\n").value(), "first");
  EXPECT_EQ(read_from(std::string(255, 'x') + "\r\n").value(), std::string(255, 'x'));
  EXPECT_EQ(read_from(std::string(256, 'x')).error().exit_code, exit_usage);
  EXPECT_EQ(read_from(std::string(255, 'x') + "\r\r\n").error().exit_code, exit_usage);
  EXPECT_EQ(read_password(-1, -1).error().exit_code, exit_system_error);
}

TEST_F(PasswdCommand, UsageErrors) {
  struct Case {
    std::vector<std::string> arguments;
    std::string first_line;
  };
  const Case cases[] = {
      {{}, "qcell passwd: missing user name\n"},
      {{"--delete"}, "qcell passwd: missing user name\n"},
      {{"joe", "mary"}, "qcell passwd: more than one user name\n"},
      {{"--root"}, "qcell passwd: --root needs a directory\n"},
      {{"--root", "", "joe"}, "qcell passwd: --root needs a directory\n"},
      {{"--force", "joe"}, "qcell passwd: unknown option: --force\n"},
      {{"-joe"}, "qcell passwd: unknown option: -joe\n"},
      {{"jo e"}, "qcell passwd: 'jo e': user name is not 1 to 64 of A-Za-z0-9._@+- (not starting with '.' or '-')\n"},
      {{".joe"}, "qcell passwd: '.joe': user name is not 1 to 64 of A-Za-z0-9._@+- (not starting with '.' or '-')\n"},
      {{std::string(65, 'a')},
       "qcell passwd: '" + std::string(65, 'a') +
           "': user name is not 1 to 64 of A-Za-z0-9._@+- (not starting with '.' or '-')\n"},
  };
  for (const Case& c : cases) {
    Outcome r = run(c.arguments, "secret\n");
    EXPECT_EQ(r.exit_code, exit_usage);
    EXPECT_TRUE(r.errors.starts_with(c.first_line)) << r.errors;
    EXPECT_NE(r.errors.find("usage: qcell passwd [--root DIR] [--delete] USER\n"), std::string::npos);
  }
  auto parsed = parse_passwd_arguments(4, std::vector<char*>{const_cast<char*>("qcell"), const_cast<char*>("passwd"),
                                                             const_cast<char*>("--delete"), const_cast<char*>("x")}
                                              .data());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->root, "/var/qmail");
  EXPECT_EQ(parsed->user, "x");
  EXPECT_TRUE(parsed->remove);
}

TEST_F(PasswdCommand, SystemErrors) {
  // No control directory.
  auto missing = update_secrets_file(root_ + "/nowhere", "joe", hash_secret1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().exit_code, exit_system_error);
  EXPECT_EQ(missing.error().text, root_ + "/nowhere: No such file or directory");
  // Another run holds the lock: nothing changes, and its file stays.
  put("joe:" + hash_secret1 + "\n");
  std::ofstream(path("smtpsecrets.new")) << "someone else's\n";
  Outcome r = run({"--root", root_, "--delete", "joe"});
  EXPECT_EQ(r.exit_code, exit_system_error);
  EXPECT_EQ(r.errors, "qcell passwd: " + root_ +
                          "/control/smtpsecrets.new exists: another qcell passwd is running, or one was interrupted "
                          "(remove the file if none is running)\n");
  EXPECT_EQ(file(), "joe:" + hash_secret1 + "\n");
  ASSERT_TRUE(exists("smtpsecrets.new"));
  ASSERT_EQ(::unlink(path("smtpsecrets.new").c_str()), 0);
  // control/smtpsecrets as a symlink is refused, and its target left alone.
  const std::string elsewhere = root_ + "/elsewhere";
  std::ofstream(elsewhere) << "joe:" + hash_secret1 + "\n";
  ASSERT_EQ(::unlink(path().c_str()), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), path().c_str()), 0);
  auto linked = update_secrets_file(root_, "joe", std::nullopt);
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().exit_code, exit_system_error);
  struct stat st {};
  ASSERT_EQ(::lstat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_FALSE(exists("smtpsecrets.new"));
}

TEST_F(PasswdCommand, TheQcellProgramRunsIt) {
  put("joe:" + hash_secret1 + "\nmary:" + hash_hunter2 + "\n");
  const std::string qcell = std::string(QCELL_BINARY_DIR) + "/bin/qcell";
  int status = std::system((qcell + " passwd --root '" + root_ + "' --delete mary >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(file(), "joe:" + hash_secret1 + "\n");
  status = std::system((qcell + " passwd --root '" + root_ + "' </dev/null >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 100);
  status = std::system((qcell + " passwd --root '" + root_ + "' joe </dev/null >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 100);  // an empty password
}

}  // namespace
}  // namespace qcell
