// confine_self_test.cc — sandbox::confine_self (confine.h), the walls a
// program its caller runs puts around itself, each proven in a child
// process: a syscall outside the allowlist kills it (SIGSYS), a path
// outside its Landlock rules is refused (EACCES), so is a TCP connect to
// a port outside its `landlock connect-tcp` and any TCP bind, its rlimits and
// no_new_privs hold, descriptors it held keep working; and policies that
// are not caller policies, or not its own, are refused before anything
// changes.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include "sandbox/confine.h"
#include "sandbox/linux/landlock.h"

namespace {

// A caller policy for program "probe"; `extra` adds lines.
std::string probe_policy(const std::string& extra = "") {
  return "cell probe\n"
         "program probe\n"
         "lifetime caller\n"
         "rlimit as 1G\n"
         "rlimit nofile 32\n"
         "rlimit nproc 0\n"
         "rlimit fsize 4096\n"
         "rlimit core 0\n"
         "allow read write close exit_group openat getrlimit prlimit64 prctl\n"
         "landlock read $root/allowed\n" +
         extra;
}

struct Outcome {
  bool exited = false;
  int code = -1;    // exit code when exited
  int signal = 0;   // terminating signal otherwise
};

// Runs `after` in a child after confine_self(policy); the child's exit
// code is what `after` returns (100 + step when confinement failed).
Outcome in_confined_child(const std::string& policy, const std::string& root, const std::function<int()>& after) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!qcell::sandbox::confine_self(policy, "probe", root)) ::_exit(100);
    ::_exit(after());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome out;
  out.exited = WIFEXITED(status);
  out.code = out.exited ? WEXITSTATUS(status) : -1;
  out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return out;
}

class ConfineSelf : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-confine-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    ASSERT_EQ(::mkdir((root_ + "/allowed").c_str(), 0755), 0);
    std::ofstream(root_ + "/allowed/file") << "inside\n";
    std::ofstream(root_ + "/outside") << "outside\n";
  }
  void TearDown() override { EXPECT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }
  std::string root_;
};

TEST_F(ConfineSelf, ASyscallOutsideTheAllowlistKillsTheProcess) {
  Outcome socket_call = in_confined_child(probe_policy(), root_, [] {
    (void)::socket(AF_INET, SOCK_STREAM, 0);
    return 0;
  });
  EXPECT_FALSE(socket_call.exited);
  EXPECT_EQ(socket_call.signal, SIGSYS);
  // One kill only: the kernel rate-limits the audit records of kills, which
  // other containment tests read.
  // The same child without the forbidden call exits normally.
  Outcome quiet = in_confined_child(probe_policy(), root_, [] { return 7; });
  EXPECT_TRUE(quiet.exited);
  EXPECT_EQ(quiet.code, 7);
}

TEST_F(ConfineSelf, LandlockAllowsOnlyItsRulesPaths) {
  if (qcell::sandbox::landlock_abi() == 0) GTEST_SKIP() << "this kernel has no Landlock";
  std::string inside = root_ + "/allowed/file", outside = root_ + "/outside", tmp = "/tmp";
  Outcome out = in_confined_child(probe_policy(), root_, [&] {
    int in = ::open(inside.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return 1;
    char byte = 0;
    if (::read(in, &byte, 1) != 1 || byte != 'i') return 2;
    if (::open(outside.c_str(), O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES) return 3;
    // Writing is not granted even beneath the rule, nor anywhere else.
    if (::open(inside.c_str(), O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES) return 4;
    if (::open((tmp + "/qcell-confine-new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 || errno != EACCES) {
      return 5;
    }
    return 0;
  });
  EXPECT_TRUE(out.exited) << out.signal;
  EXPECT_EQ(out.code, 0);
}

// Two listeners on 127.0.0.1 made before confinement; the policy names the
// first one's port only.
TEST_F(ConfineSelf, ConnectTcpReachesOnlyItsPortsAndBindsNone) {
  if (qcell::sandbox::landlock_abi() < 4) GTEST_SKIP() << "this kernel has no Landlock TCP rules (ABI 4)";
  auto listener = [](sockaddr_in& address) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(s, 4) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return -1;
    }
    return s;
  };
  sockaddr_in allowed{}, other{};
  int allowed_fd = listener(allowed), other_fd = listener(other);
  ASSERT_GE(allowed_fd, 0);
  ASSERT_GE(other_fd, 0);
  std::string policy =
      probe_policy("allow socket connect bind\nlandlock connect-tcp " + std::to_string(ntohs(allowed.sin_port)) + "\n");
  Outcome out = in_confined_child(policy, root_, [&] {
    auto try_connect = [](const sockaddr_in& to) {
      int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (s < 0) return -2;
      int rc = ::connect(s, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      int saved = errno;
      ::close(s);
      return rc == 0 ? 0 : saved;
    };
    if (try_connect(allowed) != 0) return 1;
    if (try_connect(other) != EACCES) return 2;
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0 || errno != EACCES) return 3;
    return 0;
  });
  ::close(allowed_fd);
  ::close(other_fd);
  EXPECT_TRUE(out.exited) << out.signal;
  EXPECT_EQ(out.code, 0);
}

TEST_F(ConfineSelf, RlimitsAndNoNewPrivsHoldAndHeldDescriptorsStillWork) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  Outcome out = in_confined_child(probe_policy(), root_, [&] {
    struct rlimit nproc {}, fsize {}, nofile {};
    if (::getrlimit(RLIMIT_NPROC, &nproc) != 0 || nproc.rlim_cur != 0 || nproc.rlim_max != 0) return 1;
    if (::getrlimit(RLIMIT_FSIZE, &fsize) != 0 || fsize.rlim_cur != 4096) return 2;
    if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur != 32) return 3;
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 4;
    // A descriptor opened before confinement is used as before.
    if (::write(pipe_fds[1], "ok", 2) != 2) return 5;
    return 0;
  });
  ::close(pipe_fds[1]);
  EXPECT_TRUE(out.exited) << out.signal;
  EXPECT_EQ(out.code, 0);
  char got[3] = {};
  EXPECT_EQ(::read(pipe_fds[0], got, 2), 2);
  EXPECT_STREQ(got, "ok");
  ::close(pipe_fds[0]);
}

TEST_F(ConfineSelf, OnlyItsOwnCallerPolicyIsAccepted) {
  auto refused = [&](const std::string& policy) {
    auto r = qcell::sandbox::confine_self(policy, "probe", root_);  // fails before it changes anything
    return r ? std::string("accepted") : r.error();
  };
  EXPECT_EQ(refused("cell probe\nprogram other\nlifetime caller\nrlimit as 1G\nrlimit nofile 8\nrlimit nproc 0\n"
                    "rlimit fsize 0\nrlimit core 0\n"),
            "the built-in policy is not a `lifetime caller` policy for probe");
  EXPECT_EQ(refused("cell probe\nprogram probe\nuser nobody\ngroup nogroup\nlifetime long\nnamespaces none\n"
                    "fd 2 log\nrlimit as 1G\nrlimit nofile 8\nrlimit nproc 0\nrlimit fsize 0\nrlimit core 0\n"),
            "the built-in policy is not a `lifetime caller` policy for probe");
  EXPECT_EQ(refused(probe_policy("allow frobnicate\n")), "the built-in policy: unknown syscall 'frobnicate'");
  EXPECT_EQ(refused("cell probe\nprogram probe\nlifetime caller\n"),
            "the built-in policy: missing required rlimits: as, nofile, fsize, nproc, core");
  if (qcell::sandbox::landlock_abi() > 0) {
    EXPECT_EQ(refused(probe_policy("landlock read $root/missing\n")),
              "open of a landlock path: No such file or directory");
  }
  // None of that confined this process.
  EXPECT_EQ(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
}

}  // namespace
