// dns_server.h — an authoritative DNS server for the qmail-remote tests:
// Debian's NSD 4 (`nsd -d`, in the foreground, a child of the test) on
// 127.0.0.1 and a free UDP+TCP port, serving the zones a test gives as text,
// its configuration, zone files, pid file, zone list, xfrd state and log in
// a temporary directory; no chroot, no privilege drop, no remote control,
// no database. Also SilentDnsServer: a port that takes queries and never
// answers (resolver timeouts). Loopback only; every wait is bounded.
//
//   remote_peers::DnsServer dns;
//   dns.zone("relay.test", R"(
//     @      MX 10 mx1
//     @      MX 20 mx2
//     mx1    A  127.0.0.2
//     mx2    AAAA ::1
//     null   MX 0 .
//     alias  CNAME real
//     real   MX 5 mx1
//   )");
//   ASSERT_TRUE(dns.start()) << dns.log();
//   resolver servers: dns.servers_csv()   // "127.0.0.1:PORT"
//
// Each zone file gets `$ORIGIN name.`, `$TTL 60`, an SOA (negative TTL 60)
// and `@ NS ns.invalid.` before the test's records (relative names are
// relative to the zone). nsd-checkzone checks every zone first, so a typo
// fails start() with its message instead of a server that answers SERVFAIL.
//
// What NSD answers (measured with NSD 4.6.1, tests/integration/
// remote_peers_test.cc proves it through c-ares):
//   * records of several MX of equal and different preferences, in zone
//     file order (round-robin is off), the targets' A/AAAA as additionals;
//   * at a CNAME owner, for any type: the CNAME, and then, when the target
//     is in a zone this server serves (the same or another), the target's
//     records of the asked type (chains followed; NSD does this itself, no
//     recursion needed). c-ares's ares_parse_mx_reply/ares_parse_a_reply
//     skip the CNAME and return the target's records.
//   * no records of that type at the target, or a target outside every
//     served zone (NSD does not recurse): NOERROR with the CNAME alone. For
//     c-ares 1.18 that is ARES_SUCCESS from ares_query, and ARES_SUCCESS
//     with an empty list (MX: a null list; A: a hostent without addresses)
//     from the parsers, not ARES_ENODATA: the caller must check;
//   * target absent from a served zone: NXDOMAIN with the CNAME in the
//     answer (c-ares ARES_ENOTFOUND);
//   * a name absent from a zone: NXDOMAIN (ARES_ENOTFOUND); a name with
//     other types only: NOERROR, empty answer (ARES_ENODATA); a name in no
//     served zone: REFUSED, which c-ares 1.18 reports as ARES_ECONNREFUSED;
//   * a null MX ("MX 0 ."): one record, preference 0, host "" in c-ares.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "free_port.h"
#include "peer_process.h"

namespace remote_peers {

// One DNS query for (name, type) over UDP to 127.0.0.1:port, waiting at most
// `limit`: the response's RCODE and ANCOUNT, or {-1, 0} when none came.
inline std::pair<int, int> dns_probe(int port, const std::string& name, uint16_t type,
                                     std::chrono::milliseconds limit = 200ms) {
  std::string query("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    query += static_cast<char>(dot - start);
    query += name.substr(start, dot - start);
    start = dot + 1;
  }
  query += '\0';
  query += static_cast<char>(type >> 8);
  query += static_cast<char>(type & 0xff);
  query += std::string("\x00\x01", 2);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {-1, 0};
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::pair<int, int> result{-1, 0};
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&server), sizeof server) ==
      static_cast<ssize_t>(query.size())) {
    pollfd p{fd, POLLIN, 0};
    unsigned char answer[4096];
    if (::poll(&p, 1, static_cast<int>(limit.count())) == 1) {
      const ssize_t n = ::recv(fd, answer, sizeof answer, 0);
      if (n >= 12 && answer[0] == 0x12 && answer[1] == 0x34) result = {answer[3] & 0x0f, answer[6] << 8 | answer[7]};
    }
  }
  ::close(fd);
  return result;
}

class DnsServer {
 public:
  DnsServer() {
    char pattern[] = "/tmp/qcell-dns-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
  }
  ~DnsServer() {
    stop();
    (void)run_command("rm -rf '" + dir_ + "'");
  }
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // A zone this server is authoritative for (before start()); `records` in
  // zone file syntax, names relative to `name` unless they end in a dot.
  void zone(const std::string& name, const std::string& records) { zones_.emplace_back(name, records); }

  // Writes the configuration and zone files, checks the zones, starts nsd
  // and waits (at most 10 s) until it answers the first zone's SOA over UDP
  // and accepts TCP; tries up to three ports (one may have been taken).
  bool start() {
    if (zones_.empty()) return note("no zone given");
    for (const auto& [name, records] : zones_) {
      const std::string file = dir_ + "/" + name + ".zone";
      write_text(file, "$ORIGIN " + name + ".\n$TTL 60\n@ SOA ns.invalid. hostmaster." + name +
                           ". 1 3600 600 86400 60\n@ NS ns.invalid.\n" + records + "\n");
      auto [status, output] = run_command("nsd-checkzone " + name + " " + file, 20);
      if (status != 0) return note("nsd-checkzone " + name + ": " + output);
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_loopback_port();
      write_text(dir_ + "/nsd.conf", config());
      if (!process_.start({"/usr/sbin/nsd", "-d", "-c", dir_ + "/nsd.conf"}, dir_ + "/nsd.out")) {
        return note("cannot start /usr/sbin/nsd");
      }
      const bool up = wait_until(
          [&] {
            if (!process_.running()) return true;
            return dns_probe(port_, zones_.front().first, 6).second > 0 && tcp_listening("127.0.0.1", port_);
          },
          10s);
      if (up && process_.running()) return true;
      process_.stop();
      if (up) note("nsd exited on port " + std::to_string(port_));
    }
    return note("nsd did not answer on 127.0.0.1 within 10 s");
  }

  void stop() { process_.stop(); }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return process_.pid(); }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  // For ares_set_servers_ports_csv().
  [[nodiscard]] std::string servers_csv() const { return "127.0.0.1:" + std::to_string(port_); }
  // nsd's log and output, and this fixture's notes.
  [[nodiscard]] std::string log() const { return notes_ + read_text(dir_ + "/nsd.log") + read_text(dir_ + "/nsd.out"); }

 private:
  std::string config() const {
    std::string text = "server:\n";
    text += "  ip-address: 127.0.0.1@" + std::to_string(port_) + "\n";
    text += "  port: " + std::to_string(port_) + "\n";
    text += "  do-ip4: yes\n  do-ip6: no\n  reuseport: no\n  server-count: 1\n";
    text += "  username: \"\"\n  chroot: \"\"\n  database: \"\"\n";
    text += "  zonesdir: \"" + dir_ + "\"\n";
    text += "  pidfile: \"" + dir_ + "/nsd.pid\"\n";
    text += "  zonelistfile: \"" + dir_ + "/zone.list\"\n";
    text += "  xfrdfile: \"" + dir_ + "/xfrd.state\"\n";
    text += "  xfrdir: \"" + dir_ + "\"\n";
    text += "  logfile: \"" + dir_ + "/nsd.log\"\n";
    text += "  verbosity: 0\n  hide-version: yes\n  round-robin: no\n  minimal-responses: no\n";
    text += "remote-control:\n  control-enable: no\n";
    for (const auto& zone : zones_) {
      text += "zone:\n  name: \"" + zone.first + "\"\n  zonefile: \"" + zone.first + ".zone\"\n";
    }
    return text;
  }
  bool note(const std::string& text) {
    notes_ += "DnsServer: " + text + "\n";
    return false;
  }

  std::string dir_;
  std::vector<std::pair<std::string, std::string>> zones_;
  ChildProcess process_;
  int port_ = 0;
  std::string notes_;
};

// A DNS server that never answers: a UDP socket and a listening TCP socket
// on 127.0.0.1 and one port, held open by the test and never read. A
// resolver pointed at it times out.
class SilentDnsServer {
 public:
  SilentDnsServer() {
    for (int attempt = 0; attempt < 10 && udp_ < 0; ++attempt) {
      port_ = free_loopback_port();
      tcp_ = bound(SOCK_STREAM);
      udp_ = tcp_ < 0 ? -1 : bound(SOCK_DGRAM);
      if (udp_ < 0 && tcp_ >= 0) {
        ::close(tcp_);
        tcp_ = -1;
      }
    }
    if (udp_ < 0 || ::listen(tcp_, 16) != 0) std::abort();
  }
  ~SilentDnsServer() {
    ::close(udp_);
    ::close(tcp_);
  }
  SilentDnsServer(const SilentDnsServer&) = delete;
  SilentDnsServer& operator=(const SilentDnsServer&) = delete;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string servers_csv() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int bound(int type) const {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
    if (fd >= 0) ::close(fd);
    return -1;
  }
  int port_ = 0;
  int udp_ = -1;
  int tcp_ = -1;
};

}  // namespace remote_peers
