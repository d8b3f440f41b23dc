// check_test.cc — `qcell check`: the lines it prints, its error messages and
// its exit codes (docs/qcell.md), driven through the library, and the
// program's usage errors through the built binary.
#include "qcell/check.h"
#include "qcell/policies.h"

#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace qcell {
namespace {

class CheckInstallation : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-check-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    ASSERT_EQ(::mkdir((root_ + "/control").c_str(), 0755), 0);
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }
  void put(const std::string& name, const std::string& content) {
    std::ofstream(root_ + "/control/" + name, std::ios::binary) << content;
  }
  std::string root_;
};

TEST_F(CheckInstallation, PrintsEverySettingAndItsSource) {
  put("me", "mx.example.org\n");
  put("rcpthosts", "example.org\nexample.net\n");
  put("databytes", "5000\n");
  CheckReport report = check_installation(root_);
  EXPECT_EQ(report.exit_code, exit_ok);
  EXPECT_EQ(report.errors, "");
  EXPECT_NE(report.output.find("control me = mx.example.org (file)\n"), std::string::npos);
  EXPECT_NE(report.output.find("control rcpthosts = example.org example.net (file)\n"), std::string::npos);
  EXPECT_NE(report.output.find("control databytes = 5000 (file)\n"), std::string::npos);
  EXPECT_NE(report.output.find("control timeoutsmtpd = 1200 (default)\n"), std::string::npos);
  EXPECT_NE(report.output.find("control smtpgreeting = mx.example.org (default)\n"), std::string::npos);
  EXPECT_NE(report.output.find("control badmailfrom = (not set) (default)\n"), std::string::npos);
  EXPECT_NE(report.output.find("qcell check: control files ok\n"), std::string::npos);
}

TEST_F(CheckInstallation, MalformedFileIsAConfigurationError) {
  put("me", "mx.example.org\n");
  put("rcpthosts", "example.org\n");
  put("concurrencyremote", "500\n");
  CheckReport report = check_installation(root_);
  EXPECT_EQ(report.exit_code, exit_config_error);
  EXPECT_EQ(report.errors, "qcell check: control/concurrencyremote line 1: number out of the allowed range (1..120)\n");
  EXPECT_EQ(report.output, "");
}

TEST_F(CheckInstallation, MissingRcpthostsRefusesInsteadOfOpenRelay) {
  put("me", "mx.example.org\n");
  CheckReport report = check_installation(root_);
  EXPECT_EQ(report.exit_code, exit_config_error);
  EXPECT_EQ(report.errors, "qcell check: control/rcpthosts: required file is missing\n");
}

TEST_F(CheckInstallation, SymlinkedFileIsRefusedAsAConfigurationError) {
  put("me", "mx.example.org\n");
  put("rcpthosts", "example.org\n");
  ASSERT_EQ(::symlink("/etc/hostname", (root_ + "/control/helohost").c_str()), 0);
  CheckReport report = check_installation(root_);
  EXPECT_EQ(report.exit_code, exit_config_error);
  EXPECT_EQ(report.errors, "qcell check: control/helohost: cannot read file (errno 40)\n");
}

TEST_F(CheckInstallation, MissingControlDirectoryIsAConfigurationError) {
  CheckReport report = check_installation(root_ + "/nonexistent");
  EXPECT_EQ(report.exit_code, exit_config_error);
  EXPECT_EQ(report.errors, "qcell check: cannot open " + root_ + "/nonexistent/control: No such file or directory\n");
}

TEST_F(CheckInstallation, UnreadableFileIsASystemError) {
  put("me", "mx.example.org\n");
  put("rcpthosts", "example.org\n");
  put("helohost", "x\n");
  ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod((root_ + "/control/helohost").c_str(), 0), 0);
  // Root reads any file, so the check runs in a child that is nobody.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                             ::setresuid(65534, 65534, 65534) != 0)) {
      _exit(90);
    }
    CheckReport report = check_installation(root_);
    bool expected = report.exit_code == exit_system_error &&
                    report.errors == "qcell check: control/helohost: cannot read file (errno 13)\n";
    _exit(expected ? 0 : 91);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "90: could not drop to nobody; 91: wrong report";
}

int run_qcell(const std::string& arguments) {
  std::string command = std::string(QCELL_BINARY_DIR) + "/bin/qcell " + arguments + " >/dev/null 2>&1";
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(QcellCommand, ExitCodesOfTheProgram) {
  EXPECT_EQ(run_qcell("version"), 0);
  EXPECT_EQ(run_qcell("control-table"), 0);
  EXPECT_EQ(run_qcell(""), 100);
  EXPECT_EQ(run_qcell("frobnicate"), 100);
  EXPECT_EQ(run_qcell("check --bogus"), 100);
  EXPECT_EQ(run_qcell("check --root /nonexistent-qcell-root"), 100);
}

}  // namespace
}  // namespace qcell

namespace qcell {
namespace {

TEST(CellsTable, DocsContainTheGeneratedTable) {
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  ASSERT_TRUE(files.ok());
  std::ifstream doc(QCELL_SOURCE_DIR "/docs/cells.md");
  std::stringstream text;
  text << doc.rdbuf();
  EXPECT_NE(text.str().find(cells_table_markdown(*files)), std::string::npos)
      << "docs/cells.md is out of date; regenerate with: qcell cells-table --policy-dir policy\n"
      << cells_table_markdown(*files);
}

TEST(ShippedPolicies, PassQcellCheck) {
  CheckReport report = check_policies(QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin");
  EXPECT_EQ(report.exit_code, exit_ok) << report.errors;
  EXPECT_NE(report.output.find("cell qcell-testcell: ok"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find("  syscalls (25):"), std::string::npos) << report.output;
}

// A cell on the host's network with `landlock connect-tcp`: `qcell check`
// says which ports it may reach, and that it binds none; the cells table
// names them too.
TEST(ShippedPolicies, ConnectTcpIsDescribedWithItsPorts) {
  char pattern[] = "/tmp/qcell-policy-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  std::string dir = pattern;
  std::ofstream(dir + "/qcell-testcell.policy")
      << "cell qcell-testcell\nprogram qcell-testcell\nuser nobody\ngroup nogroup\nlifetime request\n"
         "namespaces mount pid\nfd 2 log\nrlimit as 64M\nrlimit nofile 16\nrlimit nproc 0\nrlimit fsize 0\n"
         "rlimit core 0\nallow read write socket connect\nlandlock connect-tcp 25 53\n"
         "landlock connect-tcp $control\nrequire landlock-net\n";
  auto files = load_policies(dir);
  ASSERT_TRUE(files.ok());
  CheckReport report = check_policies(files, dir, QCELL_BINARY_DIR "/bin");
  if (sandbox::probe_walls().landlock_net) {
    EXPECT_EQ(report.exit_code, exit_ok) << report.errors;
    EXPECT_NE(report.output.find("cell qcell-testcell: ok\n"), std::string::npos) << report.output;
    EXPECT_NE(report.output.find("  network: the host's; TCP connect only to 25, 53, $control, bind none "
                                 "(landlock connect-tcp)\n"),
              std::string::npos)
        << report.output;
    EXPECT_NE(report.output.find("  landlock: connect-tcp:25 connect-tcp:53 connect-tcp:$control\n"), std::string::npos)
        << report.output;
    EXPECT_NE(report.output.find(" landlock-net=yes "), std::string::npos) << report.output;
  } else {
    EXPECT_NE(report.errors.find("required wall missing on this kernel: landlock-net"), std::string::npos);
  }
  EXPECT_NE(cells_table_markdown(*files).find("| host, TCP 25, 53, $control |"), std::string::npos)
      << cells_table_markdown(*files);
  ASSERT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
}

TEST(ShippedPolicies, ABrokenPolicyGetsItsLineNumber) {
  char pattern[] = "/tmp/qcell-policy-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  std::string dir = pattern;
  std::ofstream(dir + "/broken.policy") << "cell broken\nprogram x\nuser nobody\nnamespaces user\n";
  CheckReport report = check_policies(dir, QCELL_BINARY_DIR "/bin");
  EXPECT_EQ(report.exit_code, exit_config_error);
  EXPECT_NE(report.errors.find("qcell check: policy/broken.policy line 4: "), std::string::npos) << report.errors;
  ASSERT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
}

}  // namespace
}  // namespace qcell
