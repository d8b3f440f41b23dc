// smtp_sink.h — Postfix's smtp-sink (Debian's postfix package,
// /usr/sbin/smtp-sink) as an SMTP peer of the qmail-remote tests: a child of
// the test listening on one address and port (127.0.0.2:25 and the like: the
// tests run as root), accepting everything or answering chosen commands
// with 4xx, 5xx, 421 or silence, or slowly, and saving every mail
// transaction to a file that messages() reads back. What it saves comes
// from the client under test and is only parsed, never trusted. Loopback
// only; every wait is bounded.
//
//   remote_peers::SmtpSink sink({.address = "127.0.0.2", .port = 25, .hostname = "mx1.relay.test"});
//   ASSERT_TRUE(sink.start()) << sink.log();
//   ... run qmail-remote against mx1.relay.test ...
//   auto got = sink.wait_for_messages(1, 10s);
//   EXPECT_EQ(got[0].mail_args, "<a@b.test>");
//   EXPECT_EQ(got[0].rcpt_args, std::vector<std::string>{"<c@relay.test>"});
//   EXPECT_EQ(got[0].content, "Subject: x\n\nbody\n");
//
// The options wrapped (smtp-sink(1), Postfix 3.7, checked by
// remote_peers_test.cc); a command list is comma-separated names among
// CONNECT, HELO, EHLO, MAIL, RCPT, DATA, "." (the end of the data), RSET,
// NOOP, VRFY, QUIT, case-insensitive:
//   hard_reject  -f LIST  answer the commands with hard_reply (default
//                         "500 5.3.0 Error: command failed"); implies -p.
//                         The session goes on: "-f CONNECT" gives a 5xx
//                         greeting and still answers EHLO.
//   soft_reject  -r LIST  the same with soft_reply (default
//                         "450 4.3.0 Error: command failed"); implies -p.
//   hard_reply   -B TEXT, soft_reply  -b TEXT  the whole reply line, e.g.
//                         "554 5.7.1 go away" (one line only).
//   reply_421    -Q LIST  reply "421 4.0.0 Server closing connection" and
//                         disconnect.
//   disconnect   -q LIST  disconnect without a reply ("-q CONNECT": no
//                         greeting at all).
//   delays       -W CMD:SECONDS  (one per entry) wait before answering the
//                         command, e.g. "CONNECT:30" (a silent server, for
//                         timeouts), "RCPT:3", ".:30".
//   data_delay   -w SECONDS  wait before answering DATA.
//   hostname     -h NAME  the name in the greeting and in the EHLO reply.
//   no_pipelining -p, no_esmtp -e (no EHLO keywords at all: EHLO is an
//                         unknown command, 500), no_8bitmime -8, no_auth -a
//                         (else "AUTH PLAIN LOGIN" is advertised and any
//                         AUTH gets 250), no_enhanced_status -E, no_dsn -N.
//   extra        further arguments, as they are.
// Always given: -u root (required when run as root), -d DIR/%Y%m%d%H%M%S.
// (one file per transaction), -t 30 (its own command timeout).
// smtp-sink has no TLS: it does not advertise STARTTLS and answers it with
// "500 5.5.1 Error: unknown command". It cannot answer one RCPT differently
// from another: -f/-r name a command, not an address.
//
// The saved transaction: the arguments of HELO/EHLO, MAIL and each RCPT as
// the client sent them (after the colon), the client's address, and the
// content as received, dot-unstuffed, CR removed (LF line ends; bare CRs
// are lost). The file is complete (closed) before the reply to "." is sent.
// A transaction whose "." got -f/-r is saved all the same; one ended by
// RSET, HELO/EHLO or a lost connection is not.
#pragma once

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "free_port.h"
#include "peer_process.h"

namespace remote_peers {

struct SinkMessage {
  std::string file;
  std::string client_addr;  // X-Client-Addr: "127.0.0.1", "ipv6:::1"
  std::string protocol;     // SMTP or ESMTP
  std::string helo_args;    // empty when no HELO/EHLO came
  std::string mail_args;    // "<a@b.test> SIZE=123"
  std::vector<std::string> rcpt_args;
  std::string content;  // as received, LF line ends, dot-unstuffed
};

class SmtpSink {
 public:
  struct Options {
    std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
    int port = 0;                       // 0: a free port
    std::string hostname = "smtp-sink.test";
    std::string hard_reject{};          // -f
    std::string soft_reject{};          // -r
    std::string hard_reply{};           // -B
    std::string soft_reply{};           // -b
    std::string reply_421{};            // -Q
    std::string disconnect{};           // -q
    std::vector<std::string> delays{};  // -W, each "COMMAND:SECONDS"
    int data_delay = 0;                 // -w
    bool no_pipelining = false;         // -p
    bool no_esmtp = false;              // -e
    bool no_8bitmime = false;           // -8
    bool no_auth = false;               // -a
    bool no_enhanced_status = false;    // -E
    bool no_dsn = false;                // -N
    std::vector<std::string> extra{};
  };

  explicit SmtpSink(Options options) : options_(std::move(options)) {
    char pattern[] = "/tmp/qcell-sink-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
    ::mkdir((dir_ + "/dump").c_str(), 0755);
  }
  ~SmtpSink() {
    stop();
    (void)run_command("rm -rf '" + dir_ + "'");
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Starts smtp-sink and waits (at most 5 s) until it accepts connections.
  // Fails when something else already listens there.
  bool start() {
    const bool free_port = options_.port == 0;
    for (int attempt = 0; attempt < (free_port ? 3 : 1); ++attempt) {
      port_ = free_port ? free_loopback_port() : options_.port;
      if (tcp_listening(options_.address, port_)) {
        notes_ += "SmtpSink: " + endpoint() + " is already in use\n";
        continue;
      }
      if (!process_.start(arguments(), dir_ + "/smtp-sink.log")) return false;
      const bool up = wait_until([&] { return !process_.running() || tcp_listening(options_.address, port_); }, 5s);
      if (up && process_.running()) return true;
      process_.stop();
    }
    notes_ += "SmtpSink: smtp-sink did not listen on " + endpoint() + "\n";
    return false;
  }
  void stop() { process_.stop(); }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& address() const { return options_.address; }
  [[nodiscard]] bool running() const { return process_.running(); }
  [[nodiscard]] std::string log() const { return notes_ + read_text(dir_ + "/smtp-sink.log"); }

  // The transactions saved so far and complete, oldest first.
  [[nodiscard]] std::vector<SinkMessage> messages() const {
    std::vector<std::tuple<long long, std::string>> files;
    const std::set<std::string> open = open_files();
    if (DIR* d = ::opendir((dir_ + "/dump").c_str())) {
      while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const std::string path = dir_ + "/dump/" + e->d_name;
        struct stat st {};
        if (open.count(path) != 0 || ::stat(path.c_str(), &st) != 0) continue;
        files.emplace_back(st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, path);
      }
      ::closedir(d);
    }
    std::sort(files.begin(), files.end());
    std::vector<SinkMessage> messages;
    for (const auto& [time, path] : files) messages.push_back(parse(path, read_text(path)));
    return messages;
  }
  // Waits (at most `limit`) until `count` transactions are saved.
  [[nodiscard]] std::vector<SinkMessage> wait_for_messages(std::size_t count,
                                                           std::chrono::milliseconds limit = 10s) const {
    std::vector<SinkMessage> got;
    (void)wait_until(
        [&] {
          got = messages();
          return got.size() >= count;
        },
        limit);
    return got;
  }

  static SinkMessage parse(const std::string& file, const std::string& text) {
    SinkMessage m;
    m.file = file;
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(at, end - at);
      at = end + 1;
      const std::size_t colon = line.find(": ");
      const std::string key = colon == std::string::npos ? line : line.substr(0, colon);
      const std::string value = colon == std::string::npos ? std::string() : line.substr(colon + 2);
      if (key == "X-Client-Addr")
        m.client_addr = value;
      else if (key == "X-Client-Proto")
        m.protocol = value;
      else if (key == "X-Helo-Args")
        m.helo_args = value;
      else if (key == "X-Mail-Args")
        m.mail_args = value;
      else if (key == "X-Rcpt-Args")
        m.rcpt_args.push_back(value);
      else if (key == "Received") {
        // Its two continuation lines, then the content and one "\n" more.
        while (at < text.size() && text[at] == '\t') {
          const std::size_t next = text.find('\n', at);
          at = next == std::string::npos ? text.size() : next + 1;
        }
        m.content = text.substr(std::min(at, text.size()));
        if (!m.content.empty() && m.content.back() == '\n') m.content.pop_back();
        break;
      }
    }
    return m;
  }

 private:
  std::string endpoint() const {
    return (options_.address.find(':') != std::string::npos ? "[" + options_.address + "]" : options_.address) + ":" +
           std::to_string(port_);
  }
  std::vector<std::string> arguments() const {
    std::vector<std::string> a = {"/usr/sbin/smtp-sink",       "-u", "root", "-t", "30", "-h", options_.hostname, "-d",
                                  dir_ + "/dump/%Y%m%d%H%M%S."};
    auto list = [&](const char* flag, const std::string& value) {
      if (!value.empty()) a.insert(a.end(), {flag, value});
    };
    list("-f", options_.hard_reject);
    list("-r", options_.soft_reject);
    list("-B", options_.hard_reply);
    list("-b", options_.soft_reply);
    list("-Q", options_.reply_421);
    list("-q", options_.disconnect);
    for (const std::string& d : options_.delays) list("-W", d);
    if (options_.data_delay > 0) list("-w", std::to_string(options_.data_delay));
    if (options_.no_pipelining) a.emplace_back("-p");
    if (options_.no_esmtp) a.emplace_back("-e");
    if (options_.no_8bitmime) a.emplace_back("-8");
    if (options_.no_auth) a.emplace_back("-a");
    if (options_.no_enhanced_status) a.emplace_back("-E");
    if (options_.no_dsn) a.emplace_back("-N");
    a.insert(a.end(), options_.extra.begin(), options_.extra.end());
    a.push_back("inet:" + endpoint());
    a.emplace_back("64");
    return a;
  }
  // The files smtp-sink holds open: transactions still in progress.
  std::set<std::string> open_files() const {
    std::set<std::string> open;
    if (!process_.running()) return open;
    const std::string fds = "/proc/" + std::to_string(process_.pid()) + "/fd";
    if (DIR* d = ::opendir(fds.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        char target[PATH_MAX];
        const ssize_t n = ::readlink((fds + "/" + e->d_name).c_str(), target, sizeof target - 1);
        if (n > 0) open.emplace(target, static_cast<std::size_t>(n));
      }
      ::closedir(d);
    }
    return open;
  }

  Options options_;
  std::string dir_;
  ChildProcess process_;
  int port_ = 0;
  std::string notes_;
};

}  // namespace remote_peers
