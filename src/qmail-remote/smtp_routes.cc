// smtp_routes.cc — control/smtproutes (smtp_routes.h): line checks, keys,
// relays and ports, and qmail-remote.c's lookup order.
//
// Duplicate keys: qmail's constmap (constmap.c) puts each entry at the head
// of its hash chain, so for a key listed twice qmail-remote used the LAST
// line. qcell refuses the file instead (the error names both lines): a
// second line for the same domain is a mistake either way, and a reader of
// the file would expect the first to win.
#include "qmail-remote/smtp_routes.h"


#include "core/ascii.h"
#include "core/decimal.h"
#include "qmail-remote/ip_address.h"

namespace qcell::remote {

namespace {

bool is_label_byte(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// "write it as [192.0.2.1]" for a bare IP address where a name belongs.
std::optional<std::string> bare_address_error(std::string_view what, std::string_view text) {
  if (!parse_ip_address(text)) return std::nullopt;
  return std::string(what) + " " + quote_for_error(text) + " is an IP address: write it as [" + std::string(text) + "]";
}

Result<std::uint16_t, std::string> parse_port(std::string_view text) {
  auto port = parse_canonical_decimal(text, 65535);
  if (!port || *port == 0) return fail("port " + quote_for_error(text) + " is not a number from 1 to 65535");
  return static_cast<std::uint16_t>(*port);
}

Result<SmtpRoute, std::string> parse_relay(std::string_view value) {
  SmtpRoute route;
  if (value.empty()) return route;  // use MX
  std::string_view port_text;
  bool has_port = false;
  if (value.front() == '[') {
    std::size_t close = value.find(']');
    if (close == std::string_view::npos) return fail("relay " + quote_for_error(value) + " has no closing ']'");
    std::string_view literal = value.substr(0, close + 1);
    if (!parse_address_literal(literal))
      return fail("relay " + quote_for_error(literal) + " is not an address literal");
    route.relay = std::string(literal);
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return fail("unexpected " + quote_for_error(rest) + " after relay " + quote_for_error(literal) +
                    " (write [address]:port)");
      }
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    std::size_t colon = value.find(':');
    std::string_view host = value.substr(0, colon);
    if (host.empty()) return fail(std::string("a port needs a relay (an empty relay means: the MX hosts, on port 25)"));
    if (auto error = bare_address_error("relay", host)) return fail(*error);
    if (!is_host_name(host)) return fail("relay " + quote_for_error(host) + " is not a host name");
    route.relay = std::string(host);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = value.substr(colon + 1);
    }
  }
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return fail(port.error());
    route.port = *port;
  }
  return route;
}

}  // namespace

std::string describe(std::string_view file_name, const RouteError& error) {
  return std::string(file_name) + " line " + std::to_string(error.line) + ": " + error.text;
}

std::string quote_for_error(std::string_view text) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string quoted = "'";
  std::size_t shown = 0;
  for (char c : text) {
    if (shown == route_limits::quote) {
      quoted += "...";
      break;
    }
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) {
      quoted += "\\x";
      quoted += hex[byte >> 4];
      quoted += hex[byte & 0xf];
    } else {
      quoted += c;
    }
    ++shown;
  }
  quoted += "'";
  return quoted;
}

std::string repeated_key_error(std::string_view key, std::size_t first_line) {
  std::string what = key.empty() ? std::string("the catch-all (an empty domain)") : "domain " + quote_for_error(key);
  return what + " is listed twice (first on line " + std::to_string(first_line) + "; qmail used the last)";
}

std::optional<std::string> check_route_line(std::string_view line) {
  if (line.size() > route_limits::line) return "line is longer than " + std::to_string(route_limits::line) + " bytes";
  for (char c : line) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "line contains a control byte (" + quote_for_error({&c, 1}) + ")";
  }
  return std::nullopt;
}

bool is_host_name(std::string_view text) noexcept {
  if (text.empty() || text.size() > route_limits::domain) return false;
  std::size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else {
      if (!is_label_byte(c) || ++label > route_limits::label) return false;
    }
  }
  return label != 0;
}

Result<std::pair<std::string_view, std::string_view>, std::string> split_route_line(std::string_view line,
                                                                                    std::string_view example) {
  std::size_t colon = 0;
  if (!line.empty() && line.front() == '[') {
    std::size_t close = line.find(']');
    if (close == std::string_view::npos) return fail("domain " + quote_for_error(line) + " has no closing ']'");
    colon = close + 1;
    if (colon < line.size() && line[colon] != ':') {
      return fail("expected ':' after domain " + quote_for_error(line.substr(0, colon)));
    }
  } else {
    colon = line.find(':');
  }
  if (colon == std::string_view::npos || colon >= line.size()) {
    return fail("no ':' in line (write " + std::string(example) + ")");
  }
  return std::pair{line.substr(0, colon), line.substr(colon + 1)};
}

Result<std::string, std::string> parse_route_key(std::string_view key) {
  if (key.empty()) return std::string();
  if (key.front() == '[') {
    if (!parse_address_literal(key)) return fail("domain " + quote_for_error(key) + " is not an address literal");
    return ascii_lower(key);
  }
  std::string_view name = key.front() == '.' ? key.substr(1) : key;
  if (auto error = bare_address_error("domain", name)) return fail(*error);
  if (!is_host_name(name)) {
    return fail("domain " + quote_for_error(key) +
                " is not a domain name (labels of letters, digits, '-' and '_' between single dots)");
  }
  return ascii_lower(key);
}

std::vector<std::string> route_lookup_keys(std::string_view domain) {
  std::string lower = ascii_lower(domain);
  std::vector<std::string> keys;
  if (!lower.empty()) keys.push_back(lower);
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (lower[i] == '.') keys.push_back(lower.substr(i));
  }
  keys.emplace_back();
  return keys;
}

Result<SmtpRoutes, RouteError> parse_smtp_routes(std::span<const std::string> lines) {
  auto entries = read_keyed_lines<SmtpRoute>(lines, "domain:relay", parse_relay);
  if (!entries) return fail(entries.error());
  return SmtpRoutes{std::move(entries.value())};
}

std::optional<SmtpRoute> find_smtp_route(const SmtpRoutes& routes, std::string_view domain) {
  const SmtpRoute* found = find_keyed(routes.entries, domain);
  if (found == nullptr) return std::nullopt;
  return *found;
}

}  // namespace qcell::remote
