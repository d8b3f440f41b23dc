// containment_test.cc — proves each wall of a cell holds, on a real cell
// (qcell-testcell) started by the sandbox as root: credentials, seccomp,
// no_new_privs and capabilities from /proc; namespaces; a forbidden syscall
// killed with SIGSYS and reported by the kernel log; no file, symlink,
// network, process or signal outside the cell; TCP on the host's network
// limited to the policy's ports (`landlock connect-tcp`); resource limits;
// and a cell refused when a required wall is missing.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cell_fixture.h"
#include "core/byte_buffer.h"
#include "qcell/policies.h"
#include "sandbox/kernel_log.h"
#include "sandbox/sandbox.h"

namespace qcell::testing {
namespace {

std::string proc_status(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string status_field(const std::string& status, const std::string& name) {
  std::size_t at = status.find("\n" + name + ":");
  if (at == std::string::npos) return "(missing)";
  std::size_t start = status.find_first_not_of(" \t", at + name.size() + 2);
  std::size_t end = status.find('\n', start);
  return status.substr(start, end - start);
}

std::string ns_link(const std::string& pid, const std::string& ns) {
  char target[128] = {};
  ssize_t n = ::readlink(("/proc/" + pid + "/ns/" + ns).c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "";
}

class Containment : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "containment tests start cells and must run as root (CI does)";
    data_ = std::make_unique<ScratchDir>();
    staging_ = std::make_unique<ScratchDir>();
    secret_ = std::make_unique<ScratchDir>();
    std::ofstream(secret_->path() + "/secret") << "not for cells";
    std::ofstream(data_->path() + "/hello") << "hi";
    ::chmod((data_->path() + "/hello").c_str(), 0644);
    ASSERT_EQ(::chown(data_->path().c_str(), 65534, 65534), 0);
    ASSERT_EQ(::symlink((secret_->path() + "/secret").c_str(), (data_->path() + "/escape").c_str()), 0);
    ASSERT_EQ(::symlink("/etc/passwd", (data_->path() + "/passwd").c_str()), 0);
  }
  sandbox::CellSpec spec() const { return TestCell::default_spec(data_->path(), staging_->path()); }

  std::unique_ptr<ScratchDir> data_, staging_, secret_;
};

TEST_F(Containment, ProcStatusShowsSeccompNoNewPrivsNoCapabilitiesAndTheRoleUid) {
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  ASSERT_EQ(cell.ask("ping"), "ok pong");
  std::string status = proc_status(cell.pid());
  EXPECT_EQ(status_field(status, "Seccomp"), "2");
  EXPECT_EQ(status_field(status, "NoNewPrivs"), "1");
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(status_field(status, set), "0000000000000000") << set;
  }
  EXPECT_EQ(status_field(status, "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status_field(status, "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status_field(status, "Groups"), "");
}

TEST_F(Containment, NamespacesDifferFromTheBrokers) {
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  ASSERT_EQ(cell.ask("ping"), "ok pong");
  std::string pid = std::to_string(cell.pid());
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts"}) {
    std::string mine = ns_link("self", ns);
    std::string theirs = ns_link(pid, ns);
    ASSERT_FALSE(theirs.empty()) << ns;
    EXPECT_NE(mine, theirs) << ns;
  }
}

TEST_F(Containment, SharedNamespacesAreJoinedNotCreated) {
  auto shared = sandbox::create_shared_namespaces({false, false, true, true, true});
  ASSERT_TRUE(shared.ok()) << sandbox::format_spawn_error("shared", shared.error());
  sandbox::CellSpec s = spec();
  s.shared = shared->view();
  TestCell a, b;
  ASSERT_EQ(a.start(s), "");
  ASSERT_EQ(b.start(s), "");
  ASSERT_EQ(a.ask("ping"), "ok pong");
  ASSERT_EQ(b.ask("ping"), "ok pong");
  std::string pa = std::to_string(a.pid()), pb = std::to_string(b.pid());
  EXPECT_EQ(ns_link(pa, "net"), ns_link(pb, "net"));
  EXPECT_NE(ns_link(pa, "net"), ns_link("self", "net"));
  EXPECT_NE(ns_link(pa, "mnt"), ns_link(pb, "mnt")) << "mount and pid namespaces stay per cell";
  EXPECT_NE(ns_link(pa, "pid"), ns_link(pb, "pid"));
}

TEST_F(Containment, APreCreatedMountViewHoldsLikeAFreshOne) {
  sandbox::CellSpec s = spec();
  ScratchDir template_staging;
  auto shared = sandbox::create_shared_namespaces({true, false, true, true, true}, s.views, template_staging.path());
  ASSERT_TRUE(shared.ok()) << sandbox::format_spawn_error("shared", shared.error());
  s.shared = shared->view();
  TestCell a, b;
  ASSERT_EQ(a.start(s), "");
  ASSERT_EQ(b.start(s), "");
  EXPECT_EQ(a.ask("open /data/hello"), "ok 3");
  EXPECT_EQ(a.ask("open /etc/passwd"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(a.ask("open /data/escape"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(a.ask("create /newfile"), "errno " + std::to_string(EROFS));
  EXPECT_EQ(a.ask("listdir /proc"), "errno " + std::to_string(ENOENT));
  std::string pa = std::to_string(a.pid()), pb = std::to_string(b.pid());
  EXPECT_EQ(ns_link(pa, "mnt"), ns_link(pb, "mnt"));
  EXPECT_NE(ns_link(pa, "mnt"), ns_link("self", "mnt"));
  EXPECT_NE(ns_link(pa, "pid"), ns_link(pb, "pid"));
  EXPECT_EQ(status_field(proc_status(a.pid()), "Seccomp"), "2");
}

TEST_F(Containment, AForbiddenSyscallKillsWithSigsysAndTheKernelSaysWhich) {
  sandbox::KernelLog kernel_log;
  ASSERT_TRUE(kernel_log.available()) << "/dev/kmsg is needed to name the syscall";
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  EXPECT_EQ(cell.ask("forbidden"), "");
  int status = cell.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST_F(Containment, TheKernelLogNamesTheForbiddenSyscall) {
  sandbox::KernelLog kernel_log;
  ASSERT_TRUE(kernel_log.available());
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  pid_t pid = cell.pid();
  cell.ask("forbidden");
  cell.wait();
  auto kill = kernel_log.find_kill(pid, std::chrono::seconds(5));
  ASSERT_TRUE(kill.has_value()) << "no seccomp audit record for pid " << pid;
  EXPECT_EQ(kill->name, "ptrace");
}

TEST_F(Containment, TheSystemKeepsWorkingAfterACellIsKilled) {
  {
    TestCell doomed;
    ASSERT_EQ(doomed.start(spec()), "");
    doomed.ask("forbidden");
    EXPECT_EQ(WTERMSIG(doomed.wait()), SIGSYS);
  }
  TestCell next;
  ASSERT_EQ(next.start(spec()), "");
  EXPECT_EQ(next.ask("ping"), "ok pong");
}

TEST_F(Containment, SeesOnlyItsViewAndFollowsNoSymlinkOut) {
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  EXPECT_EQ(cell.ask("open /data/hello"), "ok 3");
  EXPECT_EQ(cell.ask("open /etc/passwd"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(cell.ask("open " + secret_->path() + "/secret"), "errno " + std::to_string(ENOENT));
  // Symlinks in the view resolve inside the cell's root, where their targets do not exist.
  EXPECT_EQ(cell.ask("open /data/escape"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(cell.ask("open /data/passwd"), "errno " + std::to_string(ENOENT));
  // The root itself is an empty read-only tmpfs.
  EXPECT_EQ(cell.ask("create /newfile"), "errno " + std::to_string(EROFS));
  EXPECT_EQ(cell.ask("create /data/created"), "ok 4");
}

TEST_F(Containment, CannotConnectAnywhereWithoutNetwork) {
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  std::string answer = cell.ask("connect 25");
  // An empty network namespace has no route even to loopback (its lo is
  // down); Landlock (ABI 4+) would refuse with EACCES first.
  EXPECT_TRUE(answer == "errno " + std::to_string(ENETUNREACH) || answer == "errno " + std::to_string(EACCES))
      << answer;
}

// A TCP socket listening on 127.0.0.1, at a port the kernel picked.
struct Listener {
  UniqueFd socket;
  unsigned port = 0;
};

Listener listen_on_loopback() {
  Listener listener;
  listener.socket.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!listener.socket || ::bind(listener.socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.socket.get(), 8) != 0 ||
      ::getsockname(listener.socket.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return {};
  }
  listener.port = ntohs(address.sin_port);
  return listener;
}

// The test cell's shipped policy moved onto the host's network (no net
// namespace), allowed to bind (so that Landlock, not seccomp, answers a
// bind) and given `connect_line`, e.g. "landlock connect-tcp 4711".
Result<Policy, PolicyError> host_network_policy(const std::string& connect_line) {
  std::string text = TestCell::shipped_policy_text();
  auto replace = [&text](const std::string& from, const std::string& to) {
    std::size_t at = text.find(from);
    if (at == std::string::npos) {
      ADD_FAILURE() << "the shipped policy has no line: " << from;
    } else {
      text.replace(at, from.size(), to);
    }
  };
  replace("namespaces mount pid net ipc uts\n", "namespaces mount pid ipc uts\n");
  replace("require landlock mount-namespace pid-namespace net-namespace\n",
          "require landlock landlock-net mount-namespace pid-namespace\n");
  text += "allow bind\n" + connect_line + "\n";
  return parse_policy(as_bytes(std::string_view(text)));
}

std::string refused() { return "errno " + std::to_string(EACCES); }

TEST_F(Containment, ConnectTcpReachesOnlyItsPortsAndBindsNone) {
  if (!sandbox::probe_walls().landlock_net) GTEST_SKIP() << "the kernel has no Landlock ABI 4 (TCP rules)";
  Listener allowed = listen_on_loopback(), other = listen_on_loopback();
  ASSERT_NE(allowed.port, 0u);
  ASSERT_NE(other.port, 0u);
  auto policy = host_network_policy("landlock connect-tcp " + std::to_string(allowed.port));
  ASSERT_TRUE(policy.ok()) << format_policy_error("variant", policy.error());
  sandbox::CellSpec s = TestCell::spec_from_policy(*policy, data_->path(), staging_->path());
  EXPECT_TRUE(s.restrict_tcp);
  EXPECT_EQ(s.connect_tcp_ports, (std::vector<std::uint16_t>{static_cast<std::uint16_t>(allowed.port)}));
  TestCell cell;
  ASSERT_EQ(cell.start(s), "");
  ASSERT_EQ(cell.ask("ping"), "ok pong");
  // The host's own network: no namespace does the refusing below.
  EXPECT_EQ(ns_link(std::to_string(cell.pid()), "net"), ns_link("self", "net"));
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 " + std::to_string(allowed.port)), "ok 0");
  // Listening too, so only Landlock can refuse it (EACCES, not ECONNREFUSED).
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 " + std::to_string(other.port)), refused());
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 25"), refused());
  // No TCP port may be bound: not the allowed one, not another, not an ephemeral one.
  EXPECT_EQ(cell.ask("bind-tcp " + std::to_string(allowed.port)), refused());
  EXPECT_EQ(cell.ask("bind-tcp " + std::to_string(other.port)), refused());
  EXPECT_EQ(cell.ask("bind-tcp 0"), refused());
  EXPECT_EQ(cell.ask("ping"), "ok pong");
}

// qmail-remote's own walls (its shipped policy, compiled as the broker
// compiles it: its user, namespaces, empty root, rlimits, Landlock rules
// and TCP ports with a route's port added) around the test cell, which
// keeps only its own syscall list so that it can try things: it sees no
// file, reaches TCP only on 25 and the added port, and binds nothing.
// (Its seccomp filter is proved by unit.ShippedFilters.RemoteCell...)
TEST_F(Containment, RemoteCellWallsAllowOnlyItsPorts) {
  if (!sandbox::probe_walls().landlock_net) GTEST_SKIP() << "the kernel has no Landlock ABI 4 (TCP rules)";
  Listener route = listen_on_loopback(), other = listen_on_loopback();
  ASSERT_NE(route.port, 0u);
  ASSERT_NE(other.port, 0u);
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  ASSERT_TRUE(files.ok());
  auto remote = std::find_if(files->begin(), files->end(), [](const PolicyFile& f) { return f.policy.cell == "qmail-remote"; });
  ASSERT_NE(remote, files->end());
  Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", staging_->path()};
  auto kind = make_cell_kind(remote->policy, installation);
  ASSERT_TRUE(kind.ok()) << kind.error();
  const std::uint16_t ports[] = {static_cast<std::uint16_t>(route.port)};
  ASSERT_TRUE(add_control_tcp_ports(*kind, ports).ok());
  // bind too (qmail-remote's filter kills on it): here Landlock answers.
  const std::string test_text = TestCell::shipped_policy_text() + "allow bind\n";
  auto test_policy = parse_policy(as_bytes(std::string_view(test_text)));
  ASSERT_TRUE(test_policy.ok());
  sandbox::CellSpec spec = kind->spec;
  spec.syscalls = TestCell::spec_from_policy(*test_policy, data_->path(), staging_->path()).syscalls;
  spec.shared = {};  // the kind's namespaces are made per start here
  TestCell cell;
  ASSERT_EQ(cell.start(spec), "");
  ASSERT_EQ(cell.ask("ping"), "ok pong");
  EXPECT_EQ(ns_link(std::to_string(cell.pid()), "net"), ns_link("self", "net"));  // the host's network
  EXPECT_EQ(cell.ask("open /etc/passwd"), "errno " + std::to_string(ENOENT));     // an empty root
  EXPECT_EQ(cell.ask("open /proc/1/environ"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 " + std::to_string(route.port)), "ok 0");
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 " + std::to_string(other.port)), refused());
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 22"), refused());
  // 25 is allowed: whatever answers (ECONNREFUSED when nothing listens
  // there), it is not Landlock.
  EXPECT_NE(cell.ask("connect-tcp 127.0.0.1 25"), refused());
  EXPECT_EQ(cell.ask("bind-tcp 0"), refused());
  EXPECT_EQ(cell.ask("bind-tcp " + std::to_string(route.port)), refused());
}

// `$control`: the policy names no port; the broker adds the control
// files' ports to the kind (add_control_tcp_ports). Before it does, the
// cell may connect nowhere.
TEST_F(Containment, ConnectTcpControlReachesThePortsTheBrokerAdds) {
  if (!sandbox::probe_walls().landlock_net) GTEST_SKIP() << "the kernel has no Landlock ABI 4 (TCP rules)";
  Listener allowed = listen_on_loopback(), other = listen_on_loopback();
  ASSERT_NE(allowed.port, 0u);
  ASSERT_NE(other.port, 0u);
  auto policy = host_network_policy("landlock connect-tcp $control");
  ASSERT_TRUE(policy.ok()) << format_policy_error("variant", policy.error());
  Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", staging_->path()};
  auto kind = make_cell_kind(*policy, installation);
  ASSERT_TRUE(kind.ok()) << kind.error();
  EXPECT_TRUE(kind->connect_tcp_control);
  EXPECT_TRUE(kind->spec.restrict_tcp);
  EXPECT_TRUE(kind->spec.connect_tcp_ports.empty());
  TestCell::add_data_view(kind->spec, data_->path());
  {
    TestCell unexpanded;
    ASSERT_EQ(unexpanded.start(kind->spec), "");
    EXPECT_EQ(unexpanded.ask("connect-tcp 127.0.0.1 " + std::to_string(allowed.port)), refused());
  }
  const std::uint16_t ports[] = {static_cast<std::uint16_t>(allowed.port), 25};
  ASSERT_TRUE(add_control_tcp_ports(*kind, ports).ok());
  ASSERT_TRUE(add_control_tcp_ports(*kind, ports).ok()) << "adding the same ports again changes nothing";
  EXPECT_EQ(kind->spec.connect_tcp_ports, (std::vector<std::uint16_t>{ports[0], 25}));
  TestCell cell;
  ASSERT_EQ(cell.start(kind->spec), "");
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 " + std::to_string(allowed.port)), "ok 0");
  EXPECT_EQ(cell.ask("connect-tcp 127.0.0.1 " + std::to_string(other.port)), refused());
  EXPECT_EQ(cell.ask("bind-tcp 0"), refused());

  // What the hook refuses.
  const std::uint16_t zero[] = {0};
  auto refused_zero = add_control_tcp_ports(*kind, zero);
  ASSERT_FALSE(refused_zero.ok());
  EXPECT_EQ(refused_zero.error(), "cell qcell-testcell: TCP port 0 named by the control files");
  std::vector<std::uint16_t> many(policy_limits::control_tcp_ports + 1);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<std::uint16_t>(1000 + i);
  EXPECT_FALSE(add_control_tcp_ports(*kind, many).ok());
  CellKind plain;
  plain.name = "plain";
  auto without = add_control_tcp_ports(plain, ports);
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.error(), "cell plain: its policy has no `landlock connect-tcp $control`");
  EXPECT_TRUE(plain.spec.connect_tcp_ports.empty());
}

TEST_F(Containment, CannotSeeOtherProcessesOrSignalTheBroker) {
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  EXPECT_EQ(cell.ask("listdir /proc"), "errno " + std::to_string(ENOENT));
  std::string broker = std::to_string(::getpid());
  std::string answer = cell.ask("kill " + broker);
  // The broker's pid does not exist in the cell's pid namespace (ESRCH), and
  // Landlock's signal scope would refuse (EPERM) where the pid existed.
  EXPECT_TRUE(answer == "errno " + std::to_string(ESRCH) || answer == "errno " + std::to_string(EPERM)) << answer;
  EXPECT_EQ(cell.ask("ping"), "ok pong");
}

TEST_F(Containment, AddressSpaceLimitFailsCleanly) {
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  EXPECT_EQ(cell.ask("alloc 16"), "ok mapped");
  EXPECT_EQ(cell.ask("alloc 128"), "errno " + std::to_string(ENOMEM));
  EXPECT_EQ(cell.ask("ping"), "ok pong") << "the cell survives a refused allocation";
}

TEST_F(Containment, FileSizeLimitFailsCleanly) {
  int file = ::open((data_->path() + "/big").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  TestCell cell;
  ASSERT_EQ(cell.start(spec(), file), "");
  ::close(file);
  EXPECT_EQ(cell.ask("fill 100"), "errno " + std::to_string(EFBIG));
  struct stat st {};
  ASSERT_EQ(::stat((data_->path() + "/big").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 * 1024);
}

TEST_F(Containment, OnlyGrantedDescriptorsArePresent) {
  int leaked = ::open("/etc/hostname", O_RDONLY);  // not close-on-exec, not granted
  ASSERT_GE(leaked, 0);
  TestCell cell;
  ASSERT_EQ(cell.start(spec()), "");
  ::close(leaked);
  ASSERT_EQ(cell.ask("ping"), "ok pong");
  std::string listed;
  DIR* dir = ::opendir(("/proc/" + std::to_string(cell.pid()) + "/fd").c_str());
  ASSERT_NE(dir, nullptr);
  std::vector<int> fds;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') fds.push_back(std::atoi(entry->d_name));
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  for (int fd : fds) listed += std::to_string(fd) + " ";
  EXPECT_EQ(listed, "0 1 2 ") << "the cell holds exactly its three grants";
}

TEST_F(Containment, MissingRequiredWallRefusesToStart) {
  sandbox::CellSpec s = spec();
  s.required.landlock = true;
  sandbox::Walls without_landlock = sandbox::probe_walls();
  without_landlock.landlock = false;
  UniqueFd program(::open(QCELL_BINARY_DIR "/bin/qcell-testcell", O_RDONLY | O_CLOEXEC));
  s.program_fd = program.get();
  auto pid = sandbox::spawn_cell(s, without_landlock);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().step, sandbox::Step::missing_wall);
  EXPECT_EQ(sandbox::format_spawn_error("qcell-testcell", pid.error()),
            "cell qcell-testcell not started: step missing-wall (required wall missing: landlock)");
}

TEST_F(Containment, ARootCellIsRefused) {
  sandbox::CellSpec s = spec();
  s.uid = 0;
  UniqueFd program(::open(QCELL_BINARY_DIR "/bin/qcell-testcell", O_RDONLY | O_CLOEXEC));
  s.program_fd = program.get();
  auto pid = sandbox::spawn_cell(s, sandbox::probe_walls());
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().step, sandbox::Step::uid);
}

TEST_F(Containment, AFailedStepIsReportedWithItsName) {
  sandbox::CellSpec s = spec();
  s.views.push_back({"/nonexistent-qcell-view", "/missing", false});
  TestCell cell;
  std::string error = cell.start(s);
  EXPECT_EQ(error,
            "cell qcell-testcell not started: step mount-view (/nonexistent-qcell-view): No such file or directory");
}

}  // namespace
}  // namespace qcell::testing
