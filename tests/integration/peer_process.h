// peer_process.h — what the remote peers of the qmail-remote tests
// (remote_peers.h: a DNS server, smtp-sink, a private Postfix, a test CA)
// share: a child program started in a process group of its own with its
// output in a log file, stopped by pid with bounded waits; a shell command's
// status and output; and small file helpers. Every wait here is bounded.
// Trusts nothing it reads back from the peers beyond their exit status.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace remote_peers {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline bool write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return false;
  }
  return ::chmod(path.c_str(), mode) == 0;
}

// `text` as one word for sh, in single quotes.
inline std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A shell command run under `timeout` (so that it cannot hang a test; on
// expiry timeout signals its whole process group): its exit status (124
// when it timed out) and its stdout and stderr together.
inline std::pair<int, std::string> run_command(const std::string& command, int limit_seconds = 30) {
  const std::string line = "timeout -k 2 " + std::to_string(limit_seconds) + " sh -c " + shell_quote(command) + " 2>&1";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

// A program run as a child of the test in a new process group (its pid),
// stdin /dev/null, stdout and stderr appended to `log`; it gets SIGKILL if
// the test process dies first. stop() sends SIGTERM to the child, waits up
// to `grace` for it to exit, then sends SIGKILL to its whole process group
// (daemons such as nsd fork helpers into it) and reaps it. The group's id
// stays reserved until the reaping (the child is first only looked at with
// WNOWAIT), so the SIGKILL cannot reach another process.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  bool start(const std::vector<std::string>& argv, const std::string& log) {
    stop();
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) return false;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls until execv.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::close_range(3, ~0U, 0);
      ::signal(SIGPIPE, SIG_DFL);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out);
    ::close(in);
    if (pid < 0) return false;
    ::setpgid(pid, pid);  // also here, so that stop() may rely on it at once
    pid_ = pid;
    return true;
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

  // True while the child has not exited (it is not reaped here).
  [[nodiscard]] bool running() const {
    if (pid_ <= 0) return false;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
    return info.si_pid == 0;
  }

  // Waits (at most `limit`) for the child to exit; true when it did.
  [[nodiscard]] bool wait_exit(std::chrono::milliseconds limit) const {
    const Clock::time_point end = Clock::now() + limit;
    while (running()) {
      if (Clock::now() >= end) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  void stop(std::chrono::milliseconds grace = 5s) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    (void)wait_exit(grace);
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// Polls `ready` every 20 ms until it returns true or `limit` has passed.
template <typename Predicate>
bool wait_until(Predicate ready, std::chrono::milliseconds limit) {
  const Clock::time_point end = Clock::now() + limit;
  for (;;) {
    if (ready()) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// A TCP connection to ip:port (IPv4 or IPv6 literal), made within `limit`;
// the descriptor (blocking, close-on-exec), or -1.
inline int connect_tcp(const std::string& ip, int port, std::chrono::milliseconds limit = 1s) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (ip.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&address);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, ip.c_str(), &a6->sin6_addr) != 1) return -1;
    length = sizeof *a6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&address);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, ip.c_str(), &a4->sin_addr) != 1) return -1;
    length = sizeof *a4;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t error_length = sizeof error;
    if (errno != EINPROGRESS || ::poll(&p, 1, static_cast<int>(limit.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0 || error != 0) {
      ::close(fd);
      return -1;
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// True when something listens on ip:port (a connection is made and closed).
inline bool tcp_listening(const std::string& ip, int port) {
  const int fd = connect_tcp(ip, port, 500ms);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// The first line of what a server on ip:port says within `limit` after it
// accepted a connection (an SMTP greeting: "220 ..."), without the line end;
// empty when nothing came. Says QUIT afterwards.
inline std::string smtp_greeting(const std::string& ip, int port, std::chrono::milliseconds limit = 2s) {
  const int fd = connect_tcp(ip, port, limit);
  if (fd < 0) return {};
  std::string line;
  const Clock::time_point end = Clock::now() + limit;
  while (line.find('\n') == std::string::npos && line.size() < 1000) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) break;
    char buffer[512];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  if (line.find('\n') != std::string::npos) (void)!::send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
  ::close(fd);
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace remote_peers
