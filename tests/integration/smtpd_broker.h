// smtpd_broker.h — test fixture: a qmail root under /tmp with control
// files, the shipped qmail-queue and qmail-smtpd policies, a queue, and
// `qcell start --listen qmail-smtpd@127.0.0.1:PORT` running on it; and a
// small blocking SMTP client over a real TCP socket. Runs as root.
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

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.h"
#include "free_port.h"
#include "queue_root.h"

namespace smtpd_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A free loopback port (free_port.h); callers retry when it is taken
// before they listen.
inline int pick_port() { return free_loopback_port(); }

class SmtpdBroker {
 public:
  // `policies`: the shipped policies the root gets (the delivery tests add
  // qmail-send, qmail-clean and qmail-local).
  explicit SmtpdBroker(std::vector<std::string> policies = {"qmail-queue", "qmail-smtpd"})
      : policies_(std::move(policies)) {
    char pattern[] = "/tmp/qcell-smtpd-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    root_ = pattern;
    ::chmod(root_.c_str(), 0755);
    ::mkdir((root_ + "/control").c_str(), 0755);
    ::mkdir((root_ + "/policy").c_str(), 0755);
    control("me", "mx.test");
    control("rcpthosts", "mx.test\nexample.org");
    for (const std::string& policy : policies_) {
      std::ofstream(root_ + "/policy/" + policy + ".policy")
          << slurp(std::string(QCELL_SOURCE_DIR "/policy/") + policy + ".policy");
    }
    make_queue(root_ + "/queue");
  }
  ~SmtpdBroker() {
    stop();
    if (std::system(("rm -rf '" + root_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", root_.c_str());
  }
  SmtpdBroker(const SmtpdBroker&) = delete;
  SmtpdBroker& operator=(const SmtpdBroker&) = delete;

  void control(const std::string& name, const std::string& value) const {
    std::ofstream(root_ + "/control/" + name) << value << "\n";
  }
  const std::string& root() const { return root_; }
  int port() const { return port_; }
  // Started with --fresh-connection-cells: no zygote (docs/cells.md).
  bool fresh_cells = false;

  // Starts the broker and waits until it listens and a queue cell is ready.
  // `address`: where qmail-smtpd listens ("127.0.0.1" or "[::1]").
  // A port taken between pick_port and the broker's bind is retried on
  // another port, a bounded number of times.
  bool start(const std::string& address = "127.0.0.1") {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (start_once(address)) return true;
      if (log().find("Address already in use") == std::string::npos) return false;
      stop();
    }
    return false;
  }

 private:
  bool start_once(const std::string& address) {
    port_ = pick_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      // The broker goes with the test, even when a timeout kills the test.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      int log = ::open((root_ + "/broker.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      std::string policy = root_ + "/policy";
      std::string listen = "qmail-smtpd@" + address + ":" + std::to_string(port_);
      ::execl(QCELL_BINARY_DIR "/bin/qcell", "qcell", "start", "--root", root_.c_str(), "--policy-dir", policy.c_str(),
              "--bin-dir", QCELL_BINARY_DIR "/bin", "--listen", listen.c_str(),
              fresh_cells ? "--fresh-connection-cells" : static_cast<char*>(nullptr), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const Clock::time_point end = Clock::now() + 10s;
    while (Clock::now() < end) {
      const std::string text = log();
      if (text.find("event=broker-start-failed") != std::string::npos) return false;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // qcell start refused to run (its checks failed)
        pid_ = -1;
        return false;
      }
      const bool sending = std::find(policies_.begin(), policies_.end(), "qmail-send") != policies_.end();
      if (text.find("text=\"ready max_bytes=") != std::string::npos && text.find("event=listen") != std::string::npos &&
          (!sending || text.find("text=\"ready messages=") != std::string::npos)) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 public:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string log() const { return slurp(root_ + "/broker.log"); }
  std::string wait_for(const std::string& needle, std::chrono::milliseconds limit = 10s) const {
    const Clock::time_point end = Clock::now() + limit;
    while (Clock::now() < end) {
      std::string text = log();
      if (text.find(needle) != std::string::npos) return text;
      std::this_thread::sleep_for(20ms);
    }
    return {};
  }
  // Messages in queue/todo (each one an accepted message).
  std::size_t queued() const { return count_files(root_ + "/queue/todo", true); }
  // The bytes of every message in queue/mess.
  std::set<std::string> messages() const {
    std::set<std::string> found;
    for (int i = 0; i < 23; ++i) {
      std::string dir = root_ + "/queue/mess/" + std::to_string(i);
      if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
          if (e->d_name[0] != '.') found.insert(slurp(dir + "/" + e->d_name));
        }
        ::closedir(d);
      }
    }
    return found;
  }

 private:
  std::vector<std::string> policies_;
  std::string root_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A blocking SMTP client over TCP with a deadline on every read.
class Client {
 public:
  explicit Client(int port, const char* address = "127.0.0.1", const char* source = nullptr) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, address, &to.sin_addr);
    connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_.get(); }
  bool send(std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // One complete reply (all its lines), or "" at end of file or timeout.
  std::string reply(std::chrono::milliseconds limit = 10s) {
    const Clock::time_point end = Clock::now() + limit;
    for (;;) {
      // A reply is complete when its last line has "DDD " and a CRLF.
      std::size_t start = 0;
      for (;;) {
        std::size_t eol = buffer_.find("\r\n", start);
        if (eol == std::string::npos) break;
        if (eol - start >= 4 && buffer_[start + 3] == ' ') {
          std::string whole = buffer_.substr(0, eol + 2);
          buffer_.erase(0, eol + 2);
          return whole;
        }
        start = eol + 2;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) return {};
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return {};
      char chunk[4096];
      ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
      if (n <= 0) {
        closed_ = true;
        return {};
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Sends a line (CRLF added) and returns the reply's first line.
  std::string command(const std::string& line) {
    if (!send(line + "\r\n")) return "(send failed)";
    return first_line(reply());
  }
  static std::string first_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }
  // True when the server closed the connection within `limit`.
  bool closed_by_server(std::chrono::milliseconds limit = 5s) {
    if (closed_) return true;
    const Clock::time_point end = Clock::now() + limit;
    while (Clock::now() < end) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char chunk[4096];
        ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
        if (n <= 0) return true;
        buffer_.append(chunk, static_cast<std::size_t>(n));
      }
    }
    return false;
  }

 private:
  qcell::UniqueFd fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

}  // namespace smtpd_test
