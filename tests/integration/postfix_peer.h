// postfix_peer.h — a private Debian Postfix 3.7 as a real SMTP peer of the
// qmail-remote tests: its own config_directory, queue_directory,
// data_directory, log (maillog_file) and Maildir in one temporary
// directory; one smtpd listening on ADDRESS:PORT (127.0.0.3:25 and the like:
// the tests run as root), taking mail for one domain into one Maildir (the
// virtual(8) agent, as uid/gid 2601: no system account needed), with
// STARTTLS when given a key and certificate (test_ca.h). Nothing from
// /etc/postfix is read and the system's Postfix is never started; the
// bench scripts' instances (/var/tmp/qcell-bench-*) are not touched. What
// it receives comes from the client under test and is only read back.
// Loopback only: recipients in other domains get 554 (relay denied), and
// the default and relay transports are error:, so not even a bounce leaves.
//
//   remote_peers::PostfixPeer postfix({.address = "127.0.0.3", .hostname = "mx2.relay.test",
//                                      .domain = "relay.test", .tls_cert = mx2.chain, .tls_key = mx2.key});
//   ASSERT_TRUE(postfix.start()) << postfix.log();
//   ... qmail-remote delivers to alice@relay.test through 127.0.0.3:25 ...
//   auto files = remote_peers::wait_for_maildir(postfix.maildir(), 1, 20s);
//   read_text(files[0])  // "Return-Path: <...>\nDelivered-To: alice@relay.test\nReceived: ..."
//
// Every recipient of the domain is accepted (a catch-all) and delivered to
// maildir(); Postfix adds Return-Path:, X-Original-To: and Delivered-To:
// (the recipient) and its Received: line (with "(using TLSv1.3 ..." and
// "with ESMTPS" after STARTTLS), and nothing else (no Date:, Message-Id:
// or From: filled in). The domain is a virtual mailbox domain, so
// mydestination is empty (Postfix forbids a domain in both). `settings`
// adds or overrides main.cf parameters ("message_size_limit = 10000").
// stop() (also run by the destructor) runs `postfix -c DIR stop`, waits at
// most 15 s for the instance's processes (found by MAIL_CONFIG=DIR in their
// environment, as bench/lib.sh does), then kills what is left by pid.
#pragma once

#include <pwd.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "peer_process.h"

namespace remote_peers {

// The files in a Maildir's new/, sorted by name.
inline std::vector<std::string> maildir_new(const std::string& maildir) {
  std::vector<std::string> files;
  if (DIR* d = ::opendir((maildir + "/new").c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') files.push_back(maildir + "/new/" + e->d_name);
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Waits until the Maildir's new/ holds at least `count` messages or `limit`
// has passed; the files in new/ then.
inline std::vector<std::string> wait_for_maildir(const std::string& maildir, std::size_t count,
                                                 std::chrono::milliseconds limit = 20s) {
  std::vector<std::string> files;
  (void)wait_until(
      [&] {
        files = maildir_new(maildir);
        return files.size() >= count;
      },
      limit);
  return files;
}

class PostfixPeer {
 public:
  struct Options {
    std::string address = "127.0.0.1";  // IPv4 or IPv6 literal, the smtpd's only address
    int port = 25;
    std::string hostname = "postfix.test";  // myhostname: the greeting and the EHLO reply
    std::string domain = "relay.test";      // mail for any local part here is delivered
    std::string tls_cert{};                 // PEM chain; with tls_key, STARTTLS is offered
    std::string tls_key{};
    std::vector<std::string> settings{};  // more main.cf lines, "name = value"
  };
  static constexpr uid_t mailbox_uid = 2601;

  explicit PostfixPeer(Options options) : options_(std::move(options)) {
    char pattern[] = "/tmp/qcell-postfix-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
    ::chmod(dir_.c_str(), 0755);
  }
  ~PostfixPeer() {
    stop();
    (void)run_command("rm -rf '" + dir_ + "'");
  }
  PostfixPeer(const PostfixPeer&) = delete;
  PostfixPeer& operator=(const PostfixPeer&) = delete;

  [[nodiscard]] std::string config_dir() const { return dir_ + "/config"; }
  [[nodiscard]] std::string maildir() const { return dir_ + "/mail/Maildir"; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  // Postfix's log, and what the fixture's commands said.
  [[nodiscard]] std::string log() const { return notes_ + read_text(dir_ + "/postfix.log"); }

  // Writes the configuration, `postfix check`, `postfix start`, then waits
  // (at most 15 s) for the smtpd's 220 greeting.
  bool start() {
    if (tcp_listening(options_.address, options_.port)) {
      return note("something already listens on " + options_.address + ":" + std::to_string(options_.port));
    }
    if (!configure()) return false;
    started_ = true;  // so that stop() cleans up after a start that failed half-way
    if (!command("postfix -c '" + config_dir() + "' start", 60)) return false;
    std::string greeting;
    if (wait_until(
            [&] {
              greeting = smtp_greeting(options_.address, options_.port, 1s);
              return greeting.rfind("220 ", 0) == 0;
            },
            15s)) {
      return true;
    }
    return note("no 220 greeting from Postfix within 15 s (last: \"" + greeting + "\")");
  }

  void stop() {
    if (!started_) return;
    started_ = false;
    (void)command("postfix -c '" + config_dir() + "' stop", 30);
    if (wait_until([&] { return pids().empty(); }, 15s)) return;
    for (pid_t pid : pids()) ::kill(pid, SIGKILL);
    (void)wait_until([&] { return pids().empty(); }, 5s);
  }

  // The processes of this instance: the master exports MAIL_CONFIG to every
  // daemon it starts.
  [[nodiscard]] std::vector<pid_t> pids() const {
    std::vector<pid_t> found;
    const std::string wanted = "MAIL_CONFIG=" + config_dir();
    if (DIR* d = ::opendir("/proc")) {
      while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        const std::string environ = read_text(std::string("/proc/") + e->d_name + "/environ");
        std::size_t at = 0;
        while (at < environ.size()) {
          std::size_t end = environ.find('\0', at);
          if (end == std::string::npos) end = environ.size();
          if (environ.compare(at, end - at, wanted) == 0) {
            found.push_back(static_cast<pid_t>(std::atol(e->d_name)));
            break;
          }
          at = end + 1;
        }
      }
      ::closedir(d);
    }
    return found;
  }

 private:
  bool configure() {
    const std::string config = config_dir();
    for (const std::string& d : {config, dir_ + "/spool", dir_ + "/mail"}) ::mkdir(d.c_str(), 0755);
    // data_directory, owned by the postfix account (its master opens its
    // lock there as that account; `postfix start` does not always chown a
    // directory it made).
    const struct passwd* owner = ::getpwnam("postfix");
    if (owner == nullptr) return note("no postfix account");
    ::mkdir((dir_ + "/data").c_str(), 0700);
    if (::chown((dir_ + "/data").c_str(), owner->pw_uid, owner->pw_gid) != 0) return note("cannot chown data");
    // The Maildir made beforehand, so that virtual(8) needs no write access
    // to the directory above it.
    for (const std::string& d : {maildir(), maildir() + "/tmp", maildir() + "/new", maildir() + "/cur"}) {
      ::mkdir(d.c_str(), 0700);
      if (::chown(d.c_str(), mailbox_uid, mailbox_uid) != 0) return note("cannot chown " + d);
    }
    write_text(dir_ + "/vmailbox", "@" + options_.domain + " Maildir/\n");
    const bool ipv6 = options_.address.find(':') != std::string::npos;
    const std::string endpoint =
        (ipv6 ? "[" + options_.address + "]" : options_.address) + ":" + std::to_string(options_.port);
    const std::string error = "error:5.7.1 outbound mail is disabled in this test";
    const std::string uid = std::to_string(mailbox_uid);
    std::vector<std::string> main_cf = {
        "# A private Postfix for qcell's qmail-remote tests (tests/integration/postfix_peer.h).",
        "compatibility_level = 3.6",
        "queue_directory = " + dir_ + "/spool",
        "data_directory = " + dir_ + "/data",
        // No syslog needed; maillog_file must lie under one of these prefixes.
        "maillog_file_prefixes = " + dir_,
        "maillog_file = " + dir_ + "/postfix.log",
        "myhostname = " + options_.hostname,
        "mydomain = " + options_.domain,
        "myorigin = $myhostname",
        "mydestination =",
        // Postfix wants an address of an interface here; lo has 127.0.0.1
        // (the /8 routes to it). master.cf's smtpd listens on the test's
        // address all the same.
        std::string("inet_interfaces = ") + (ipv6 ? "[::1]" : "127.0.0.1"),
        std::string("inet_protocols = ") + (ipv6 ? "ipv6" : "ipv4"),
        "mynetworks = 127.0.0.0/8 [::1]/128",
        // Other domains: 554, even from mynetworks.
        "smtpd_relay_restrictions = reject_unauth_destination",
        "smtpd_peername_lookup = no",
        // No Date:, Message-Id: or From: added to what the client sends
        // (else done for mynetworks).
        "local_header_rewrite_clients =",
        "relayhost =",
        "default_transport = " + error,
        "relay_transport = " + error,
        // Debian's default hash:/etc/aliases need not exist.
        "alias_maps =",
        "alias_database =",
        "virtual_mailbox_domains = " + options_.domain,
        "virtual_mailbox_base = " + dir_ + "/mail",
        "virtual_mailbox_maps = texthash:" + dir_ + "/vmailbox",
        "virtual_uid_maps = static:" + uid,
        "virtual_gid_maps = static:" + uid,
        "biff = no",
        "smtp_tls_security_level = none",
    };
    if (!options_.tls_cert.empty()) {
      main_cf.insert(main_cf.end(), {"smtpd_tls_security_level = may", "smtpd_tls_cert_file = " + options_.tls_cert,
                                     "smtpd_tls_key_file = " + options_.tls_key, "smtpd_tls_loglevel = 1",
                                     "smtpd_tls_received_header = yes"});
    } else {
      main_cf.emplace_back("smtpd_tls_security_level = none");
    }
    main_cf.insert(main_cf.end(), options_.settings.begin(), options_.settings.end());
    std::string text;
    for (const std::string& line : main_cf) text += line + "\n";
    if (!write_text(config + "/main.cf", text)) return note("cannot write main.cf");
    if (!command("cp /usr/share/postfix/master.cf.dist '" + config + "/master.cf'", 10)) return false;
    // One inet service, nothing chrooted (a chroot needs copies of /etc).
    auto [status, services] = run_command("postconf -c '" + config + "' -M | awk '$2 == \"inet\" {print $1}'", 20);
    if (status != 0) return note("postconf -M: " + services);
    std::size_t at = 0;
    while (at < services.size()) {
      const std::size_t end = services.find('\n', at);
      const std::string service = services.substr(at, end - at);
      at = end == std::string::npos ? services.size() : end + 1;
      if (!service.empty() && !command("postconf -c '" + config + "' -MX '" + service + "/inet'", 20)) return false;
    }
    return command("postconf -c '" + config + "' -M '" + endpoint + "/inet = " + endpoint + " inet n - n - - smtpd'",
                   20) &&
           command("postconf -c '" + config + "' -F '*/*/chroot = n'", 20) &&
           command("postfix -c '" + config + "' check", 60);
  }

  bool command(const std::string& line, int limit_seconds) {
    auto [status, output] = run_command(line, limit_seconds);
    if (status == 0) return true;
    // Postfix commands write errors to syslog unless on a terminal.
    return note("`" + line + "` failed (" + std::to_string(status) + "): " + output);
  }
  bool note(const std::string& text) {
    notes_ += "PostfixPeer: " + text + "\n";
    return false;
  }

  Options options_;
  std::string dir_;
  bool started_ = false;
  std::string notes_;
};

}  // namespace remote_peers
