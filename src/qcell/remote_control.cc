// remote_control.cc — qmail-remote's snapshot extras and TCP ports (remote_control.h).
#include "qcell/remote_control.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "core/control.h"
#include "qmail-remote/ip_address.h"
#include "qmail-remote/smtp_routes.h"
#include "qmail-remote/tls_policy.h"

namespace qcell {

namespace {

constexpr std::uint16_t dns_port = 53;

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text.data(), text.size())); }

// A file the administrator names (a CA file, resolv.conf), read whole.
Result<std::string, std::string> read_whole(const std::string& path, std::size_t most) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(path + ": " + ::strerror(errno));
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(path + ": " + ::strerror(errno));
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > most) return fail(path + ": larger than " + std::to_string(most) + " bytes");
  }
  return text;
}

// A DNS server line: "ADDRESS", "IPV4:PORT" or "[IPV6]:PORT". The port, or
// nullopt when the line is none of these.
std::optional<std::uint16_t> dns_server_port(std::string_view line) {
  std::string_view address = line;
  std::string_view port;
  if (!line.empty() && line.front() == '[') {
    const std::size_t close = line.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    address = line.substr(1, close - 1);
    std::string_view rest = line.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    if (!remote::parse_ip_address(address) || address.find(':') == std::string_view::npos) return std::nullopt;
  } else if (std::count(line.begin(), line.end(), ':') == 1) {
    const std::size_t colon = line.find(':');
    address = line.substr(0, colon);
    port = line.substr(colon + 1);
    if (!remote::parse_ip_address(address)) return std::nullopt;
  } else if (!remote::parse_ip_address(address)) {
    return std::nullopt;
  }
  if (port.empty()) return dns_port;
  if (port.size() > 5 || port.front() == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

void add_port(std::vector<std::uint16_t>& ports, std::uint16_t port) {
  if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
}

Result<std::vector<std::string>, std::string> control_list(const DirFd& control, std::string_view name) {
  auto content = read_control_file(control, name);
  if (!content) return fail(format_control_error(name, content.error()));
  if (!*content) return std::vector<std::string>{};
  auto lines = parse_control_list(bytes_of(**content));
  if (!lines) return fail(format_control_error(name, lines.error()));
  return std::move(lines.value());
}

// The address of an AF_INET or AF_INET6 socket address, as text; "" for
// another family.
std::string address_text(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
    return remote::ipv4_address(bytes).text();
  }
  if (address->sa_family == AF_INET6) {
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
    return remote::ipv6_address(bytes).text();
  }
  return {};
}

// This host's addresses: every interface's, the listening ones, and the
// unspecified ones (a connection to 0.0.0.0 reaches this host).
Result<std::string, std::string> own_addresses(std::span<const ListenSpec> listening) {
  std::set<std::string> addresses{"0.0.0.0", "::"};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return fail(std::string("getifaddrs: ") + ::strerror(errno));
  for (ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    if (std::string text = address_text(entry->ifa_addr); !text.empty()) addresses.insert(text);
  }
  ::freeifaddrs(list);
  for (const ListenSpec& spec : listening) {
    if (std::string text = address_text(reinterpret_cast<const sockaddr*>(&spec.address)); !text.empty()) {
      addresses.insert(text);
    }
  }
  std::string text;
  for (const std::string& address : addresses) text += address + "\n";
  return text;
}

}  // namespace

std::vector<std::string> resolv_conf_servers(std::string_view text) {
  std::vector<std::string> servers;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.rfind("nameserver", 0) != 0) continue;
    line.remove_prefix(10);
    if (line.empty() || (line.front() != ' ' && line.front() != '\t')) continue;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    const std::size_t stop = line.find_first_of(" \t\r#;");
    line = line.substr(0, stop);
    if (line.find('%') != std::string_view::npos) continue;  // a zone: c-ares's list cannot say it
    if (remote::parse_ip_address(line)) servers.emplace_back(line);
  }
  return servers;
}

Result<RemoteControl, std::string> prepare_remote_control(const DirFd& control, std::span<const ListenSpec> listening,
                                                          const std::string& resolv_conf) {
  RemoteControl result;
  // The resolvers.
  auto servers = control_list(control, "dnsservers");
  if (!servers) return fail(servers.error());
  std::vector<std::string> chosen = std::move(servers.value());
  if (chosen.empty()) {
    auto text = read_whole(resolv_conf, 1024 * 1024);
    if (text) chosen = resolv_conf_servers(*text);
    if (chosen.empty()) chosen.emplace_back("127.0.0.1");  // the resolver's own default
  } else {
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      if (!dns_server_port(chosen[i])) {
        return fail("control/dnsservers line " + std::to_string(i + 1) + ": '" + chosen[i] +
                    "' is not ADDRESS, IPV4:PORT or [IPV6]:PORT");
      }
    }
  }
  std::string dns_text;
  for (const std::string& server : chosen) {
    dns_text += server + "\n";
    add_port(result.tcp_ports, dns_server_port(server).value_or(dns_port));
  }
  result.extras.push_back({"dnsservers", std::move(dns_text)});
  // The routes' ports.
  auto routes_lines = control_list(control, "smtproutes");
  if (!routes_lines) return fail(routes_lines.error());
  auto routes = remote::parse_smtp_routes(*routes_lines);
  if (!routes) {
    return fail("control/smtproutes line " + std::to_string(routes.error().line) + ": " + routes.error().text);
  }
  for (const auto& [key, route] : routes->entries) {
    if (!route.relay.empty()) add_port(result.tcp_ports, route.port);
  }
  // The CA certificates verification needs.
  auto tls_lines = control_list(control, "tlsdestinations");
  if (!tls_lines) return fail(tls_lines.error());
  auto policy = remote::parse_tls_policy(*tls_lines);
  if (!policy) {
    return fail("control/tlsdestinations line " + std::to_string(policy.error().line) + ": " + policy.error().text);
  }
  std::vector<std::string> files = remote::tls_ca_files(*policy);
  for (const std::string& file : files) {
    auto pem = read_whole(file, snapshot_extra_max);
    if (!pem) return fail("control/tlsdestinations: CA file " + pem.error());
    result.extras.push_back({"ca:" + file, std::move(pem.value())});
  }
  if (remote::tls_uses_system_store(*policy)) {
    auto pem = read_whole(std::string(remote::system_trust_store), snapshot_extra_max);
    if (!pem) return fail("control/tlsdestinations: the system trust store " + pem.error());
    result.extras.push_back({"ca:", std::move(pem.value())});
  }
  auto ipme = own_addresses(listening);
  if (!ipme) return fail(ipme.error());
  result.extras.push_back({"ipme", std::move(ipme.value())});
  return result;
}

}  // namespace qcell
