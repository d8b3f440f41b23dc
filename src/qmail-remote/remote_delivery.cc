// remote_delivery.cc — routing, lookups and attempts of one remote
// delivery (remote_delivery.h).
#include "qmail-remote/remote_delivery.h"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/limits.h"
#include "core/log_line.h"
#include "qmail-remote/data_encoder.h"
#include "qmail-remote/dns_answer.h"
#include "qmail-remote/mx_plan.h"

namespace qcell::remote {

namespace {

// Every DNS batch (the MX records, then the addresses of the exchanges)
// ends by then at the latest.
constexpr std::chrono::seconds dns_deadline{60};
// At most this many addresses are tried per delivery (core/limits.h).
constexpr std::size_t targets_max = limits::remote_targets;

Result<std::vector<std::string>, std::string> extra_lines(const ControlSnapshot& snapshot, std::string_view name) {
  auto content = snapshot.extra(name);
  if (!content) return fail("control snapshot: cannot read " + std::string(name));
  std::vector<std::string> lines;
  if (!*content) return lines;
  std::string_view text(**content);
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty()) lines.emplace_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// What qmail-remote may put in an SMTP command: no control byte, no '<'
// or '>' (the address is sent inside <>).
bool sendable_address(std::string_view address) {
  return std::none_of(address.begin(), address.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == '<' || c == '>';
  });
}

// A host name as DNS can hold it (letters, digits, '-', '_' and dots), or
// an address literal.
bool plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') return parse_address_literal(host).has_value();
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) seed = 0;
  return seed;
}

// The route's result: the servers to try, or the report of why none.
struct Route {
  std::vector<ServerTarget> targets;
  bool failed = false;
  RemoteVerdict verdict = RemoteVerdict::deferral;
  std::string text;
};

Route route_failure(RemoteVerdict verdict, std::string text) {
  Route route;
  route.failed = true;
  route.verdict = verdict;
  route.text = std::move(text);
  return route;
}

// The addresses (A and AAAA) of each of `names`, looked up in one batch.
// A name whose lookups failed temporarily is noted in `soft`.
std::vector<MxHost> addresses_of(Resolver& resolver, const std::vector<MxRecord>& names, bool& soft, bool& all_missing) {
  std::vector<Lookup> lookups;
  for (const MxRecord& name : names) {
    lookups.push_back(Lookup{name.exchange, ns_t_a, {}, {}, {}});
    lookups.push_back(Lookup{name.exchange, ns_t_aaaa, {}, {}, {}});
  }
  resolver.run(lookups, Clock::now() + dns_deadline);
  std::vector<MxHost> hosts;
  soft = false;
  all_missing = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    MxHost host;
    host.name = names[i].exchange;
    host.preference = names[i].preference;
    for (const Lookup& lookup : {lookups[2 * i], lookups[2 * i + 1]}) {
      if (lookup.status == LookupStatus::failed) soft = true;
      if (lookup.status != LookupStatus::no_domain) all_missing = false;
      if (lookup.status != LookupStatus::answer) continue;
      auto read = read_address_answer(lookup.packet, lookup.type == ns_t_a ? AF_INET : AF_INET6);
      if (read) host.addresses.insert(host.addresses.end(), read->begin(), read->end());
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

// The servers for `hosts` (MX hosts, or the one host of an A fallback or a
// route), in the order to try, through qmail's self-MX rule.
// A route's relay is exempt (qmail: prefme 300000 for a relayhost): an
// administrator may route to an address of this host on purpose.
enum class SelfCheck : std::uint8_t { apply, exempt };

Route plan(std::vector<MxHost> hosts, const RemoteSetup& setup, std::uint16_t port, bool soft,
           const std::string& domain, SelfCheck self = SelfCheck::apply) {
  const std::span<const IpAddress> ipme =
      self == SelfCheck::apply ? std::span<const IpAddress>(setup.ipme) : std::span<const IpAddress>();
  auto planned = plan_targets(std::move(hosts), ipme, random_seed());
  if (!planned) {
    if (planned.error() == PlanErrc::self_is_best_mx) {
      return route_failure(RemoteVerdict::failure,
                           "Sorry. Although I'm listed as a best-preference MX or A for that host,\n"
                           "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)");
    }
    if (soft) return route_failure(RemoteVerdict::deferral, "Temporary DNS failure looking up the addresses for " + domain + ". (#4.4.3)");
    return route_failure(RemoteVerdict::deferral, "Sorry, I couldn't find an address for any mail server of " + domain + ". (#4.4.1)");
  }
  Route route;
  for (const Target& target : *planned) {
    if (route.targets.size() == targets_max) break;
    route.targets.push_back(ServerTarget{target.host, target.address, port});
  }
  return route;
}

Route lookup_failure(const Lookup& lookup, const std::string& domain) {
  if (lookup.status == LookupStatus::no_domain) {
    return route_failure(RemoteVerdict::failure, "Sorry, I couldn't find any host named " + domain + ". (#5.1.2)");
  }
  return route_failure(RemoteVerdict::deferral,
                       "Temporary DNS failure looking up " + domain + ": " + lookup.detail + ". (#4.4.3)");
}

// The host's own addresses, as the single destination (no MX, or a route
// to a relay: qmail looks up no MX for a relay).
Route address_route(Resolver& resolver, const std::string& name, const RemoteSetup& setup, std::uint16_t port,
                    SelfCheck self) {
  bool soft = false;
  bool all_missing = false;
  std::vector<MxHost> hosts = addresses_of(resolver, {MxRecord{0, name}}, soft, all_missing);
  if (all_missing) return route_failure(RemoteVerdict::failure, "Sorry, I couldn't find any host named " + name + ". (#5.1.2)");
  return plan(std::move(hosts), setup, port, soft, name, self);
}

Route find_route(const RemoteSetup& setup, const std::string& host) {
  if (auto literal = parse_address_literal(host)) {
    return plan({MxHost{host, 0, {*literal}}}, setup, 25, false, host);
  }
  const auto route = find_smtp_route(setup.routes, host);
  if (route && !route->relay.empty()) {
    if (auto literal = parse_address_literal(route->relay)) {
      return plan({MxHost{route->relay, 0, {*literal}}}, setup, route->port, false, route->relay, SelfCheck::exempt);
    }
  }
  // From here on DNS is needed.
  auto resolver = Resolver::make(setup.dns_servers);
  if (!resolver) return route_failure(RemoteVerdict::deferral, "Unable to use DNS: " + resolver.error() + ". (#4.3.0)");
  if (route && !route->relay.empty()) {
    return address_route(*resolver, route->relay, setup, route->port, SelfCheck::exempt);
  }
  std::vector<Lookup> mx{Lookup{host, ns_t_mx, {}, {}, {}}};
  resolver->run(mx, Clock::now() + dns_deadline);
  if (mx[0].status == LookupStatus::no_domain || mx[0].status == LookupStatus::failed) return lookup_failure(mx[0], host);
  std::vector<MxRecord> records;
  if (mx[0].status == LookupStatus::answer) {
    auto read = read_mx_answer(mx[0].packet);
    if (read) records = std::move(read.value());
  }
  if (is_null_mx(records)) {
    return route_failure(RemoteVerdict::failure,
                         "Sorry, " + host + " does not accept mail: its MX record is the null MX (RFC 7505). (#5.1.10)");
  }
  // No MX record (or a CNAME with none behind it): the host itself (RFC 5321 §5.1).
  if (records.empty()) return address_route(*resolver, host, setup, 25, SelfCheck::apply);
  bool soft = false;
  bool all_missing = false;
  std::vector<MxHost> hosts = addresses_of(*resolver, records, soft, all_missing);
  return plan(std::move(hosts), setup, 25, soft, host);
}

// The TLS context for a destination's level: one that verifies against
// the CA file named, or the system store; an unverifying one otherwise.
Result<tls::TlsContext, std::string> context_for(const RemoteSetup& setup, const TlsDestination& destination) {
  std::string_view trust;
  if (destination.level == TlsLevel::verify) {
    auto found = setup.trust.find(destination.ca_file);
    if (found == setup.trust.end()) {
      return fail("no CA certificates for " +
                  (destination.ca_file.empty() ? std::string(system_trust_store) : destination.ca_file));
    }
    trust = found->second;
  }
  auto context = tls::TlsContext::client(trust);
  if (!context) return fail(context.error().text);
  return std::move(context.value());
}

// The delivery's log line: "delivery key=value ...", values quoted as the
// broker's own lines are (log_line.h).
class DeliveryLog {
 public:
  DeliveryLog& add(std::string_view key, std::string_view value) {
    text_ += ' ';
    text_ += key;
    text_ += '=';
    text_ += log_value(value, 1024);
    return *this;
  }
  DeliveryLog& add(std::string_view key, std::int64_t value) { return add(key, std::to_string(value)); }
  const std::string& text() const { return text_; }

 private:
  std::string text_ = "delivery";
};

// Whether the message has any 8-bit byte (BODY=8BITMIME where offered).
bool message_has_eight_bit(int fd) {
  std::vector<char> chunk(64 * 1024);
  off_t offset = 0;
  for (;;) {
    const ssize_t got = ::pread(fd, chunk.data(), chunk.size(), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    if (has_eight_bit(std::string_view(chunk.data(), static_cast<std::size_t>(got)))) return true;
    offset += got;
  }
}

std::string result_word(RemoteVerdict verdict) {
  switch (verdict) {
    case RemoteVerdict::success: return "success";
    case RemoteVerdict::deferral: return "deferral";
    case RemoteVerdict::failure: return "failure";
  }
  return "deferral";
}

// `text` cut to `most` bytes, ending in "..." when cut.
std::string bounded(const std::string& text, std::size_t most) {
  if (text.size() <= most) return text;
  return text.substr(0, most > 3 ? most - 3 : 0) + "...";
}

DeliveryResult report_all(RemoteVerdict verdict, const std::string& text, DeliveryLog log) {
  DeliveryResult result;
  result.report = encode_remote_message(verdict, bounded(text, remote_report_max - 2));
  log.add("result", result_word(verdict)).add("text", text);
  result.log_line = log.text();
  return result;
}

}  // namespace

Result<RemoteSetup, std::string> load_remote_setup(const ControlSnapshot& snapshot) {
  RemoteSetup setup;
  auto me = snapshot_value(snapshot, "me", "");
  if (!me) return fail(me.error());
  if (me->empty()) return fail(std::string("control/me: required file is missing"));
  auto helohost = snapshot_value(snapshot, "helohost", *me);
  if (!helohost) return fail(helohost.error());
  setup.helohost = *helohost;
  if (!sendable_address(setup.helohost) || setup.helohost.find(' ') != std::string::npos) {
    return fail("control/helohost: '" + setup.helohost + "' cannot be sent in EHLO");
  }
  auto connect = snapshot_number(snapshot, "timeoutconnect");
  if (!connect) return fail(connect.error());
  setup.timeout_connect = std::chrono::seconds(*connect);
  auto remote = snapshot_number(snapshot, "timeoutremote");
  if (!remote) return fail(remote.error());
  setup.timeout_remote = std::chrono::seconds(*remote);
  auto routes = snapshot_list(snapshot, "smtproutes", false);
  if (!routes) return fail(routes.error());
  auto parsed_routes = parse_smtp_routes(*routes);
  if (!parsed_routes) {
    return fail("control/smtproutes line " + std::to_string(parsed_routes.error().line) + ": " +
                parsed_routes.error().text);
  }
  setup.routes = std::move(parsed_routes.value());
  auto destinations = snapshot_list(snapshot, "tlsdestinations", false);
  if (!destinations) return fail(destinations.error());
  auto policy = parse_tls_policy(*destinations);
  if (!policy) {
    return fail("control/tlsdestinations line " + std::to_string(policy.error().line) + ": " + policy.error().text);
  }
  setup.tls_policy = std::move(policy.value());
  auto required = snapshot_number(snapshot, "tlsrequired");
  if (!required) return fail(required.error());
  setup.tls_required = *required == 1;
  // The trust anchors the policy names, as the broker put them in.
  std::vector<std::string> wanted = tls_ca_files(setup.tls_policy);
  if (tls_uses_system_store(setup.tls_policy)) wanted.emplace_back();
  for (const std::string& file : wanted) {
    auto pem = snapshot.extra("ca:" + file);
    if (!pem) return fail("control snapshot: cannot read the CA certificates of " + file);
    if (!*pem) {
      return fail("control/tlsdestinations: the CA certificates " +
                  (file.empty() ? std::string(system_trust_store) : file) + " are not in the snapshot");
    }
    setup.trust.emplace(file, std::move(**pem));
  }
  auto ipme = extra_lines(snapshot, "ipme");
  if (!ipme) return fail(ipme.error());
  for (const std::string& line : *ipme) {
    auto address = parse_ip_address(line);
    if (!address) return fail("control snapshot: ipme: '" + line + "' is not an address");
    setup.ipme.push_back(*address);
  }
  auto servers = extra_lines(snapshot, "dnsservers");
  if (!servers) return fail(servers.error());
  setup.dns_servers = std::move(servers.value());
  if (setup.dns_servers.empty()) return fail(std::string("control snapshot: no DNS server"));
  return setup;
}

DeliveryResult deliver(const RemoteSetup& setup, const Delivery& delivery) {
  DeliveryLog log;
  log.add("host", delivery.host);
  if (!sendable_address(delivery.sender)) {
    return report_all(RemoteVerdict::failure,
                      "Sorry, the sender address has a byte that cannot be sent in SMTP. (#5.1.7)", std::move(log));
  }
  for (const std::string& recipient : delivery.recipients) {
    if (!sendable_address(recipient)) {
      return report_all(RemoteVerdict::failure,
                        "Sorry, the recipient address has a byte that cannot be sent in SMTP. (#5.1.3)", std::move(log));
    }
  }
  if (!plausible_host(delivery.host)) {
    return report_all(RemoteVerdict::failure,
                      "Sorry, I couldn't find any host named " + delivery.host + ". (#5.1.2)", std::move(log));
  }
  const TlsDestination destination = find_tls_destination(setup.tls_policy, delivery.host, setup.tls_required);
  log.add("tls_level", std::string(tls_level_name(destination.level)));
  // Made at the first STARTTLS (smtp_client.h), then kept for the next server.
  std::optional<tls::TlsContext> context;
  Route route = find_route(setup, delivery.host);
  if (route.failed) return report_all(route.verdict, route.text, std::move(log));

  Envelope envelope;
  envelope.message_fd = delivery.message_fd;
  envelope.sender = delivery.sender;
  envelope.recipients = delivery.recipients;
  struct stat status {};
  if (::fstat(delivery.message_fd, &status) != 0) {
    return report_all(RemoteVerdict::deferral, "Unable to read the message. (#4.3.0)", std::move(log));
  }
  envelope.size = static_cast<std::uint64_t>(status.st_size);
  envelope.eight_bit = message_has_eight_bit(delivery.message_fd);
  ClientSettings settings;
  settings.helohost = setup.helohost;
  settings.timeout_connect = setup.timeout_connect;
  settings.timeout_remote = setup.timeout_remote;
  if (destination.level != TlsLevel::none) {
    settings.tls = [&setup, &destination, &context]() -> Result<const tls::TlsContext*, std::string> {
      if (!context) {
        auto made = context_for(setup, destination);
        if (!made) return fail(made.error());
        context.emplace(std::move(made.value()));
      }
      return &*context;
    };
  }

  std::string tried;
  for (const ServerTarget& target : route.targets) {
    Attempt attempt = deliver_to(target, envelope, settings, destination.level, true);
    if (!attempt.final && attempt.retry_without_tls) {
      tried += attempt.text + "\n";
      attempt = deliver_to(target, envelope, settings, destination.level, false);
    }
    if (!attempt.final) {
      tried += attempt.text + "\n";
      continue;
    }
    DeliveryResult result;
    // Within what qmail-send keeps: each text gets its share.
    const std::size_t share = remote_report_max / (attempt.recipients.size() + 1) - 2;
    for (const auto& [verdict, text] : attempt.recipients) result.report += encode_remote_recipient(verdict, bounded(text, share));
    result.report += encode_remote_message(attempt.message, bounded(attempt.text, share));
    log.add("ip", target.address.text())
        .add("port", static_cast<std::int64_t>(target.port))
        .add("tls", attempt.tls_version.empty() ? std::string("none") : attempt.tls_version);
    if (!attempt.tls_cipher.empty()) log.add("cipher", attempt.tls_cipher);
    log.add("verified", attempt.tls_verified ? "yes" : "no");
    // The verdict that qmail-send will take for the first recipient.
    auto parsed = parse_remote_report(result.report);
    const auto verdict = remote_verdict(parsed, 0);
    log.add("result", result_word(verdict.first)).add("text", verdict.second);
    result.log_line = log.text();
    return result;
  }
  if (!tried.empty()) tried.pop_back();
  return report_all(RemoteVerdict::deferral,
                    tried + (tried.empty() ? "" : "\n") + "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)",
                    std::move(log));
}

}  // namespace qcell::remote
