// smtp_routes_test.cc — control/smtproutes: every line form, qmail-remote's
// lookup order (domain, suffixes from each '.', catch-all), case, an empty
// relay overriding the catch-all, and every error sentence.
#include "qmail-remote/smtp_routes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qcell::remote {
namespace {

SmtpRoutes parse_ok(std::vector<std::string> lines) {
  auto routes = parse_smtp_routes(lines);
  if (!routes) {
    ADD_FAILURE() << "refused: " << describe(smtp_routes_file_name, routes.error());
    return {};
  }
  return routes.value();
}

std::string error_of(std::vector<std::string> lines) {
  auto routes = parse_smtp_routes(lines);
  if (routes) return "accepted";
  return describe(smtp_routes_file_name, routes.error());
}

SmtpRoute route(std::string relay, std::uint16_t port = 25) { return SmtpRoute{std::move(relay), port}; }

TEST(SmtpRoutes, ParsesEveryForm) {
  SmtpRoutes routes = parse_ok({"example.com:relay.example.net", "Example.ORG:relay.example.net:2525",
                                ".example.edu:hub", "[192.0.2.9]:[192.0.2.1]", "v6.example:[2001:db8::1]:587",
                                "tagged.example:[IPv6:2001:db8::2]", "mx.example:", ":smarthost.example"});
  ASSERT_EQ(routes.entries.size(), 8u);
  EXPECT_EQ(routes.entries[0].first, "example.com");
  EXPECT_EQ(routes.entries[0].second, route("relay.example.net"));
  EXPECT_EQ(routes.entries[1].first, "example.org");
  EXPECT_EQ(routes.entries[1].second, route("relay.example.net", 2525));
  EXPECT_EQ(routes.entries[2].first, ".example.edu");
  EXPECT_EQ(routes.entries[3].first, "[192.0.2.9]");
  EXPECT_EQ(routes.entries[3].second, route("[192.0.2.1]"));
  EXPECT_EQ(routes.entries[4].second, route("[2001:db8::1]", 587));
  EXPECT_EQ(routes.entries[5].second, route("[IPv6:2001:db8::2]"));
  EXPECT_EQ(routes.entries[6].second, route(""));
  EXPECT_EQ(routes.entries[7].first, "");
  EXPECT_EQ(routes.entries[7].second, route("smarthost.example"));
}

TEST(SmtpRoutes, Ipv6LiteralKey) {
  SmtpRoutes routes = parse_ok({"[IPv6:2001:db8::9]:relay.example"});
  EXPECT_EQ(routes.entries.at(0).first, "[ipv6:2001:db8::9]");
  EXPECT_EQ(find_smtp_route(routes, "[IPv6:2001:DB8::9]"), route("relay.example"));
}

TEST(SmtpRoutes, LooksUpDomainThenSuffixesThenCatchAll) {
  SmtpRoutes routes = parse_ok({":catchall", ".example.com:suffix", "a.example.com:exact", ".b.example.com:deeper"});
  EXPECT_EQ(find_smtp_route(routes, "a.example.com"), route("exact"));
  EXPECT_EQ(find_smtp_route(routes, "x.a.example.com"), route("suffix"));
  EXPECT_EQ(find_smtp_route(routes, "x.b.example.com"), route("deeper"));
  EXPECT_EQ(find_smtp_route(routes, "b.example.com"), route("suffix"));
  // ".example.com" covers subdomains only, as in qmail.
  EXPECT_EQ(find_smtp_route(routes, "example.com"), route("catchall"));
  EXPECT_EQ(find_smtp_route(routes, "example.org"), route("catchall"));
  EXPECT_EQ(find_smtp_route(routes, ""), route("catchall"));
}

TEST(SmtpRoutes, KeyWithoutDotDoesNotCoverSubdomains) {
  SmtpRoutes routes = parse_ok({"example.com:relay"});
  EXPECT_EQ(find_smtp_route(routes, "example.com"), route("relay"));
  EXPECT_FALSE(find_smtp_route(routes, "www.example.com"));
  EXPECT_FALSE(find_smtp_route(routes, "badexample.com"));
}

TEST(SmtpRoutes, IgnoresCase) {
  SmtpRoutes routes = parse_ok({".EXAMPLE.com:Relay.Example"});
  EXPECT_EQ(find_smtp_route(routes, "Mail.Example.COM"), route("Relay.Example"));
}

TEST(SmtpRoutes, EmptyRelayOverridesCatchAll) {
  SmtpRoutes routes = parse_ok({":smarthost", "direct.example:", ".direct.example:"});
  EXPECT_EQ(find_smtp_route(routes, "direct.example"), route(""));
  EXPECT_EQ(find_smtp_route(routes, "sub.direct.example"), route(""));
  EXPECT_EQ(find_smtp_route(routes, "other.example"), route("smarthost"));
}

TEST(SmtpRoutes, NothingMatchesWithoutCatchAll) {
  EXPECT_FALSE(find_smtp_route(parse_ok({}), "example.com"));
  EXPECT_FALSE(find_smtp_route(parse_ok({"a.example:relay"}), "b.example"));
}

TEST(SmtpRoutes, PortBounds) {
  EXPECT_EQ(parse_ok({"a:relay:1"}).entries.at(0).second.port, 1);
  EXPECT_EQ(parse_ok({"a:relay:65535"}).entries.at(0).second.port, 65535);
  EXPECT_EQ(parse_ok({"a:[::1]:2525"}).entries.at(0).second, route("[::1]", 2525));
}

TEST(SmtpRoutes, ErrorSentences) {
  EXPECT_EQ(error_of({"example.com"}), "control/smtproutes line 1: no ':' in line (write domain:relay)");
  EXPECT_EQ(error_of({"a:relay", "b:relay:99999"}),
            "control/smtproutes line 2: port '99999' is not a number from 1 to 65535");
  EXPECT_EQ(error_of({"a:relay:0"}), "control/smtproutes line 1: port '0' is not a number from 1 to 65535");
  EXPECT_EQ(error_of({"a:relay:025"}), "control/smtproutes line 1: port '025' is not a number from 1 to 65535");
  EXPECT_EQ(error_of({"a:relay:"}), "control/smtproutes line 1: port '' is not a number from 1 to 65535");
  EXPECT_EQ(error_of({"a:relay:25x"}), "control/smtproutes line 1: port '25x' is not a number from 1 to 65535");
  EXPECT_EQ(error_of({"a:[1.2.3]"}), "control/smtproutes line 1: relay '[1.2.3]' is not an address literal");
  EXPECT_EQ(error_of({"a:[192.0.2.1"}), "control/smtproutes line 1: relay '[192.0.2.1' has no closing ']'");
  EXPECT_EQ(error_of({"a:[192.0.2.1]x"}),
            "control/smtproutes line 1: unexpected 'x' after relay '[192.0.2.1]' (write [address]:port)");
  EXPECT_EQ(error_of({"a::25"}),
            "control/smtproutes line 1: a port needs a relay (an empty relay means: the MX hosts, on port 25)");
  EXPECT_EQ(error_of({"a:192.0.2.1"}),
            "control/smtproutes line 1: relay '192.0.2.1' is an IP address: write it as [192.0.2.1]");
  EXPECT_EQ(error_of({"a:relay host"}), "control/smtproutes line 1: relay 'relay host' is not a host name");
  EXPECT_EQ(error_of({"a:relay..example"}), "control/smtproutes line 1: relay 'relay..example' is not a host name");
  EXPECT_EQ(error_of({"exa mple:relay"}),
            "control/smtproutes line 1: domain 'exa mple' is not a domain name (labels of letters, digits, '-' and "
            "'_' between single dots)");
  EXPECT_EQ(error_of({".:relay"}),
            "control/smtproutes line 1: domain '.' is not a domain name (labels of letters, digits, '-' and '_' "
            "between single dots)");
  EXPECT_EQ(error_of({"192.0.2.1:relay"}),
            "control/smtproutes line 1: domain '192.0.2.1' is an IP address: write it as [192.0.2.1]");
  EXPECT_EQ(error_of({"[1.2.3]:relay"}), "control/smtproutes line 1: domain '[1.2.3]' is not an address literal");
  EXPECT_EQ(error_of({"[192.0.2.1:relay"}), "control/smtproutes line 1: domain '[192.0.2.1:relay' has no closing ']'");
  EXPECT_EQ(error_of({"[192.0.2.1]x:relay"}), "control/smtproutes line 1: expected ':' after domain '[192.0.2.1]'");
  EXPECT_EQ(error_of({"a:r", "b:r", "A:s"}),
            "control/smtproutes line 3: domain 'a' is listed twice (first on line 1; qmail used the last)");
  EXPECT_EQ(error_of({":r", ":"}),
            "control/smtproutes line 2: the catch-all (an empty domain) is listed twice (first on line 1; qmail used "
            "the last)");
  EXPECT_EQ(error_of({"a:\trelay"}), "control/smtproutes line 1: line contains a control byte ('\\x09')");
  EXPECT_EQ(error_of({std::string(1025, 'a')}), "control/smtproutes line 1: line is longer than 1024 bytes");
}

TEST(SmtpRoutes, QuotesArePrintableAndShort) {
  EXPECT_EQ(quote_for_error("a\x7f\xc3\xa9"), "'a\\x7f\\xc3\\xa9'");
  EXPECT_EQ(quote_for_error(std::string(70, 'x')), "'" + std::string(64, 'x') + "...'");
}

TEST(SmtpRoutes, HostNameLimits) {
  std::string label63(63, 'a');
  EXPECT_TRUE(is_host_name(label63 + ".example"));
  EXPECT_FALSE(is_host_name(label63 + "a.example"));
  std::string name;
  while (name.size() < 260) name += "abcd.";
  name.resize(253);
  if (name.back() == '.') name.back() = 'x';
  EXPECT_TRUE(is_host_name(name));
  EXPECT_FALSE(is_host_name(name + "x"));
  EXPECT_FALSE(is_host_name("example."));
  EXPECT_FALSE(is_host_name(".example"));
  EXPECT_FALSE(is_host_name("ex\xc3\xa4mple"));
  EXPECT_TRUE(is_host_name("_dmarc.mx-1.example"));
}

TEST(SmtpRoutes, EntryLimit) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < route_limits::entries; ++i) lines.push_back("d" + std::to_string(i) + ":relay");
  EXPECT_TRUE(parse_smtp_routes(lines));
  lines.push_back("last:relay");
  EXPECT_EQ(error_of(lines), "control/smtproutes line 10001: more than 10000 entries");
}

TEST(SmtpRoutes, LookupKeys) {
  EXPECT_EQ(route_lookup_keys("A.b.C"), (std::vector<std::string>{"a.b.c", ".b.c", ".c", ""}));
  EXPECT_EQ(route_lookup_keys(""), (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace qcell::remote
