// tcp_rules_test.cc — control/tcp.smtp: every ADDRESS form matching and not
// matching, the most-specific-rule order, IPv4-mapped clients, the quote
// rule of values, every error with its exact text, each limit exceeded by
// one, and the error table against docs/smtpd-access.md.
#include "core/tcp_rules.h"

#include <arpa/inet.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "core/byte_buffer.h"

namespace qcell {
namespace {

Result<TcpRules, TcpRulesError> parse(std::string_view text) { return parse_tcp_rules(as_bytes(text)); }

TcpRules parse_ok(std::string_view text) {
  auto rules = parse(text);
  if (!rules) {
    ADD_FAILURE() << "refused: " << describe(rules.error()) << "\n" << text;
    return {};
  }
  return rules.value();
}

// The decision for a textual client address (which must parse).
TcpDecision decide(const TcpRules& rules, std::string_view client) {
  auto decision = match_tcp_rules(rules, client);
  if (!decision) {
    ADD_FAILURE() << "not an address: " << client;
    return {};
  }
  return *decision;
}

// The line of the rule that wins for `client`; 0 when none does.
std::size_t line_for(const TcpRules& rules, std::string_view client) { return decide(rules, client).line; }

std::string error_of(std::string_view text) {
  auto rules = parse(text);
  if (rules) return "accepted";
  return describe(rules.error());
}

TcpRulesErrc code_of(std::string_view text) {
  auto rules = parse(text);
  EXPECT_FALSE(rules.ok()) << "accepted: " << text;
  return rules ? TcpRulesErrc::file_too_large : rules.error().code;
}

std::string read_source_file(const std::string& relative) {
  std::ifstream file(std::string(QCELL_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!file.good()) return {};
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// --- a realistic file ------------------------------------------------------------

TEST(TcpRules, RealisticQmailFile) {
  TcpRules rules = parse_ok(
      "# qmail-smtpd access\n"
      "127.:allow,RELAYCLIENT=\"\"\n"
      "192.168.1.:allow,RELAYCLIENT=\"\"\n"
      ":allow\n");
  ASSERT_EQ(rules.rules.size(), 3u);

  TcpDecision local = decide(rules, "127.0.0.1");
  EXPECT_EQ(local.verdict, TcpVerdict::allow);
  EXPECT_EQ(local.line, 2u);
  ASSERT_EQ(local.variables.size(), 1u);
  EXPECT_EQ(local.variables[0], (TcpVariable{"RELAYCLIENT", ""}));

  TcpDecision lan = decide(rules, "192.168.1.77");
  EXPECT_EQ(lan.verdict, TcpVerdict::allow);
  EXPECT_EQ(lan.line, 3u);
  EXPECT_EQ(lan.variables, (std::vector<TcpVariable>{{"RELAYCLIENT", ""}}));

  TcpDecision stranger = decide(rules, "192.168.2.1");
  EXPECT_EQ(stranger.verdict, TcpVerdict::allow);
  EXPECT_EQ(stranger.line, 4u);
  EXPECT_TRUE(stranger.variables.empty()) << "strangers must not relay";

  EXPECT_EQ(line_for(rules, "2001:db8::1"), 4u) << "the default rule matches IPv6 too";
  EXPECT_EQ(line_for(rules, "::ffff:127.0.0.1"), 2u) << "an IPv4-mapped client is an IPv4 client";
  EXPECT_EQ(line_for(rules, "::1"), 4u) << "::1 is not 127.0.0.1";
}

TEST(TcpRules, ParsedRuleFields) {
  TcpRules rules = parse_ok("192.0.2.0/24:deny\n10.2-3.:allow,A=\"1\",B='2'\n2001:db8::/32:allow\n:deny\n");
  ASSERT_EQ(rules.rules.size(), 4u);
  const TcpRule& cidr = rules.rules[0];
  EXPECT_EQ(cidr.line, 1u);
  EXPECT_EQ(cidr.family, TcpFamily::ipv4);
  EXPECT_FALSE(cidr.allow);
  EXPECT_EQ(cidr.prefix_length, 24u);
  EXPECT_EQ((std::array<std::uint8_t, 4>{cidr.first[0], cidr.first[1], cidr.first[2], cidr.first[3]}),
            (std::array<std::uint8_t, 4>{192, 0, 2, 0}));
  EXPECT_EQ((std::array<std::uint8_t, 4>{cidr.last[0], cidr.last[1], cidr.last[2], cidr.last[3]}),
            (std::array<std::uint8_t, 4>{192, 0, 2, 255}));
  const TcpRule& range = rules.rules[1];
  EXPECT_EQ(range.prefix_length, 16u);
  EXPECT_EQ(range.first[1], 2);
  EXPECT_EQ(range.last[1], 3);
  EXPECT_EQ(range.last[2], 255);
  EXPECT_EQ(range.variables, (std::vector<TcpVariable>{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(rules.rules[2].family, TcpFamily::ipv6);
  EXPECT_EQ(rules.rules[2].prefix_length, 32u);
  EXPECT_EQ(rules.rules[3].family, TcpFamily::any);
}

// --- each ADDRESS form ---------------------------------------------------------

TEST(TcpRules, ExactIpv4) {
  TcpRules rules = parse_ok("192.0.2.7:allow\n");
  EXPECT_EQ(line_for(rules, "192.0.2.7"), 1u);
  EXPECT_EQ(line_for(rules, "192.0.2.8"), 0u);
  EXPECT_EQ(line_for(rules, "192.0.2.70"), 0u) << "not a string prefix";
  EXPECT_EQ(line_for(rules, "::ffff:192.0.2.7"), 1u);
  EXPECT_EQ(line_for(rules, "::192.0.2.7"), 0u) << "IPv4-compatible is IPv6, not mapped";
}

TEST(TcpRules, DottedPrefixes) {
  TcpRules rules = parse_ok("10.:allow\n172.16.:allow\n192.0.2.:allow\n0.:deny\n");
  EXPECT_EQ(line_for(rules, "10.0.0.0"), 1u);
  EXPECT_EQ(line_for(rules, "10.255.255.255"), 1u);
  EXPECT_EQ(line_for(rules, "11.0.0.0"), 0u);
  EXPECT_EQ(line_for(rules, "9.255.255.255"), 0u);
  EXPECT_EQ(line_for(rules, "172.16.40.1"), 2u);
  EXPECT_EQ(line_for(rules, "172.17.0.1"), 0u);
  EXPECT_EQ(line_for(rules, "192.0.2.255"), 3u);
  EXPECT_EQ(line_for(rules, "192.0.3.0"), 0u);
  EXPECT_EQ(line_for(rules, "0.1.2.3"), 4u);
}

TEST(TcpRules, Ranges) {
  TcpRules rules = parse_ok("192.0.2.1-100:allow\n10.2-3.:deny\n198.51.100.7-7:allow\n");
  EXPECT_EQ(line_for(rules, "192.0.2.0"), 0u);
  EXPECT_EQ(line_for(rules, "192.0.2.1"), 1u);
  EXPECT_EQ(line_for(rules, "192.0.2.50"), 1u);
  EXPECT_EQ(line_for(rules, "192.0.2.100"), 1u);
  EXPECT_EQ(line_for(rules, "192.0.2.101"), 0u);
  EXPECT_EQ(line_for(rules, "10.1.255.255"), 0u);
  EXPECT_EQ(line_for(rules, "10.2.0.0"), 2u);
  EXPECT_EQ(line_for(rules, "10.3.255.255"), 2u);
  EXPECT_EQ(line_for(rules, "10.4.0.0"), 0u);
  EXPECT_EQ(line_for(rules, "198.51.100.7"), 3u);
  EXPECT_EQ(line_for(rules, "198.51.100.8"), 0u);
}

TEST(TcpRules, Ipv4Cidr) {
  TcpRules rules = parse_ok("192.0.2.128/25:allow\n203.0.113.9/32:allow\n172.16.0.0/12:allow\n");
  EXPECT_EQ(line_for(rules, "192.0.2.127"), 0u);
  EXPECT_EQ(line_for(rules, "192.0.2.128"), 1u);
  EXPECT_EQ(line_for(rules, "192.0.2.255"), 1u);
  EXPECT_EQ(line_for(rules, "203.0.113.9"), 2u);
  EXPECT_EQ(line_for(rules, "203.0.113.10"), 0u);
  EXPECT_EQ(line_for(rules, "172.31.255.255"), 3u);
  EXPECT_EQ(line_for(rules, "172.32.0.0"), 0u);
  EXPECT_EQ(line_for(rules, "172.15.255.255"), 0u);

  TcpRules everything = parse_ok("0.0.0.0/0:deny\n");
  EXPECT_EQ(line_for(everything, "255.255.255.255"), 1u);
  EXPECT_EQ(line_for(everything, "0.0.0.0"), 1u);
  EXPECT_EQ(line_for(everything, "::1"), 0u) << "an IPv4 rule never matches IPv6";
}

TEST(TcpRules, Ipv6ExactAndCidr) {
  TcpRules rules = parse_ok(
      "2001:DB8:0:0:0:0:0:1:allow\n"  // not canonical: upper case, no ::
      "2001:db8::/32:deny\n"
      "::1:allow\n"
      "fe80::/10:allow\n");
  EXPECT_EQ(line_for(rules, "2001:db8::1"), 1u);
  EXPECT_EQ(line_for(rules, "2001:db8::2"), 2u);
  EXPECT_EQ(line_for(rules, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), 2u);
  EXPECT_EQ(line_for(rules, "2001:db9::"), 0u);
  EXPECT_EQ(line_for(rules, "::1"), 3u);
  EXPECT_EQ(line_for(rules, "::2"), 0u);
  EXPECT_EQ(line_for(rules, "febf:ffff::1"), 4u);
  EXPECT_EQ(line_for(rules, "fec0::1"), 0u);
  EXPECT_EQ(line_for(rules, "127.0.0.1"), 0u);

  TcpRules all_ipv6 = parse_ok("::/0:deny\n");
  EXPECT_EQ(line_for(all_ipv6, "2001:db8::1"), 1u);
  EXPECT_EQ(line_for(all_ipv6, "::"), 1u);
  EXPECT_EQ(line_for(all_ipv6, "192.0.2.1"), 0u);
  EXPECT_EQ(line_for(all_ipv6, "::ffff:192.0.2.1"), 0u) << "a mapped client is IPv4, even for ::/0";
}

TEST(TcpRules, DefaultRuleAndNoRule) {
  TcpRules none = parse_ok("# nothing\n\n");
  EXPECT_TRUE(none.rules.empty());
  TcpDecision decision = decide(none, "192.0.2.1");
  EXPECT_EQ(decision.verdict, TcpVerdict::no_rule);
  EXPECT_EQ(decision.line, 0u);
  EXPECT_TRUE(decision.variables.empty());

  TcpRules empty_file = parse_ok("");
  EXPECT_EQ(decide(empty_file, "::1").verdict, TcpVerdict::no_rule);

  TcpRules deny_all = parse_ok(":deny\n");
  EXPECT_EQ(decide(deny_all, "192.0.2.1").verdict, TcpVerdict::deny);
  EXPECT_EQ(decide(deny_all, "2001:db8::1").verdict, TcpVerdict::deny);
}

// --- most specific wins --------------------------------------------------------------

TEST(TcpRules, MostSpecificRuleWinsWhateverTheOrder) {
  TcpRules rules = parse_ok(
      ":deny\n"                    // 1
      "10.1.2.3:deny\n"            // 2: /32
      "10.:allow\n"                // 3: /8
      "10.1.2.:allow\n"            // 4: /24
      "10.1.0.0/16:deny\n"         // 5: /16
      "0.0.0.0/0:allow,W=\"0\"\n"  // 6: /0, above the default
      "10.1.2.0/23:deny\n");       // 7: /23
  EXPECT_EQ(line_for(rules, "10.1.2.3"), 2u);
  EXPECT_EQ(line_for(rules, "10.1.2.4"), 4u);
  EXPECT_EQ(line_for(rules, "10.1.3.4"), 7u);
  EXPECT_EQ(line_for(rules, "10.1.4.4"), 5u);
  EXPECT_EQ(line_for(rules, "10.2.0.1"), 3u);
  EXPECT_EQ(line_for(rules, "11.0.0.1"), 6u);
  EXPECT_EQ(line_for(rules, "2001:db8::1"), 1u);
}

TEST(TcpRules, FirstOfEqualSpecificityWins) {
  TcpRules exact_first = parse_ok("10.1.2.3:allow\n10.1.2.0-9:deny\n");
  EXPECT_EQ(line_for(exact_first, "10.1.2.3"), 1u);
  EXPECT_EQ(line_for(exact_first, "10.1.2.4"), 2u);
  TcpRules range_first = parse_ok("10.1.2.0-9:deny\n10.1.2.3:allow\n");
  EXPECT_EQ(line_for(range_first, "10.1.2.3"), 1u) << "a range counts as /32 for each address";

  TcpRules same_block = parse_ok("192.0.2.0/24:deny\n192.0.2.:allow\n");
  EXPECT_EQ(line_for(same_block, "192.0.2.9"), 1u);
  TcpRules same_block_reversed = parse_ok("192.0.2.:allow\n192.0.2.0/24:deny\n");
  EXPECT_EQ(line_for(same_block_reversed, "192.0.2.9"), 1u);

  TcpRules two_defaults = parse_ok(":deny\n:allow\n");
  EXPECT_EQ(line_for(two_defaults, "192.0.2.9"), 1u);

  TcpRules v6 = parse_ok("2001:db8::1:deny\n2001:db8:0::1/128:allow\n");
  EXPECT_EQ(line_for(v6, "2001:db8::1"), 1u);
}

TEST(TcpRules, DefaultRuleRanksBelowSlashZero) {
  TcpRules rules = parse_ok(":deny\n0.0.0.0/0:allow\n");
  EXPECT_EQ(line_for(rules, "203.0.113.1"), 2u);
}

// --- IPv4-mapped clients, and the binary matchers -----------------------------------

TEST(TcpRules, Ipv4MappedClientsMatchIpv4Rules) {
  TcpRules rules = parse_ok("192.0.2.:allow,RELAYCLIENT=\"\"\n::/0:deny\n");
  in6_addr mapped{};
  ASSERT_EQ(::inet_pton(AF_INET6, "::ffff:192.0.2.33", &mapped), 1);
  TcpDecision decision = match_tcp_rules(rules, mapped);
  EXPECT_EQ(decision.verdict, TcpVerdict::allow);
  EXPECT_EQ(decision.line, 1u);
  EXPECT_EQ(tcp_client_address(mapped).family, TcpFamily::ipv4);

  in_addr plain{};
  ASSERT_EQ(::inet_pton(AF_INET, "192.0.2.33", &plain), 1);
  EXPECT_EQ(match_tcp_rules(rules, plain), decision);
  EXPECT_EQ(tcp_client_address(plain), tcp_client_address(mapped));

  in6_addr other{};
  ASSERT_EQ(::inet_pton(AF_INET6, "2001:db8::33", &other), 1);
  EXPECT_EQ(match_tcp_rules(rules, other).line, 2u);

  // A hand-built IPv6 client that is in fact mapped is held as IPv4 too.
  TcpClientAddress hand_built;
  hand_built.family = TcpFamily::ipv6;
  std::memcpy(hand_built.bytes.data(), &mapped, sizeof mapped);
  EXPECT_EQ(match_tcp_rules(rules, hand_built), decision);
}

TEST(TcpRules, SockaddrStorageClients) {
  TcpRules rules = parse_ok("192.0.2.1:deny\n2001:db8::1:allow\n");
  sockaddr_storage storage{};
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  ASSERT_EQ(::inet_pton(AF_INET, "192.0.2.1", &v4.sin_addr), 1);
  std::memcpy(&storage, &v4, sizeof v4);
  auto client = tcp_client_address(storage);
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(match_tcp_rules(rules, *client).line, 1u);

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  ASSERT_EQ(::inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr), 1);
  storage = {};
  std::memcpy(&storage, &v6, sizeof v6);
  client = tcp_client_address(storage);
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(match_tcp_rules(rules, *client).line, 2u);

  storage = {};
  storage.ss_family = AF_UNIX;
  EXPECT_FALSE(tcp_client_address(storage).has_value());
}

TEST(TcpRules, TextualClientMustBeAnAddress) {
  TcpRules rules = parse_ok(":allow\n");
  const std::string_view not_addresses[] = {
      "",      "1.2.3",  "01.2.3.4",  "1.2.3.4 ",   "localhost",
      "[::1]", "::1%lo", "1.2.3.256", "1.2.3.4/32", std::string_view("1.2.3.4\0", 8)};
  for (std::string_view text : not_addresses) {
    EXPECT_FALSE(match_tcp_rules(rules, text).has_value()) << text;
    EXPECT_FALSE(parse_tcp_client_address(text).has_value()) << text;
  }
  EXPECT_FALSE(parse_tcp_client_address(std::string(100, '1')).has_value());
  EXPECT_TRUE(parse_tcp_client_address("0.0.0.0").has_value());
  EXPECT_TRUE(parse_tcp_client_address("::").has_value());
}

// --- instructions and variables ----------------------------------------------------

TEST(TcpRules, AnyCharacterQuotesAValue) {
  TcpRules rules = parse_ok(":allow,X=/a\"b/,Y=\"\",Z=,a,,Q=xyzx,S=|two words|,T=\"a:allow,b\"\n");
  ASSERT_EQ(rules.rules.size(), 1u);
  EXPECT_EQ(rules.rules[0].variables,
            (std::vector<TcpVariable>{
                {"X", "a\"b"}, {"Y", ""}, {"Z", "a"}, {"Q", "yz"}, {"S", "two words"}, {"T", "a:allow,b"}}));
}

TEST(TcpRules, InstructionIsTheFirstAllowOrDenyBeforeACommaOrTheEnd) {
  // A value that holds ":allow" does not move the instruction.
  TcpRules rules = parse_ok("192.0.2.1:deny,MSG=\":allow\"\n");
  ASSERT_EQ(rules.rules.size(), 1u);
  EXPECT_FALSE(rules.rules[0].allow);
  TcpDecision decision = decide(rules, "192.0.2.1");
  EXPECT_EQ(decision.verdict, TcpVerdict::deny);
  EXPECT_TRUE(decision.variables.empty()) << "a deny decision carries no variables";
  EXPECT_EQ(rules.rules[0].variables.size(), 1u) << "but they are parsed and kept";

  // An IPv6 ADDRESS holds colons; the instruction still comes last.
  TcpRules v6 = parse_ok("::1:allow\n::/0:deny,X=\"::1:allow\"\n");
  EXPECT_TRUE(v6.rules[0].allow);
  EXPECT_FALSE(v6.rules[1].allow);
  EXPECT_EQ(v6.rules[1].prefix_length, 0u);
}

TEST(TcpRules, CommentsBlankLinesCrlfAndLineNumbers) {
  TcpRules rules = parse_ok(
      "# comment :deny\r\n"
      "\r\n"
      "   \t\n"
      "192.0.2.1:allow,X=\"v\" \t\r\n"
      "#192.0.2.2:allow\n"
      ":deny");
  ASSERT_EQ(rules.rules.size(), 2u);
  EXPECT_EQ(rules.rules[0].line, 4u);
  EXPECT_EQ(rules.rules[0].variables, (std::vector<TcpVariable>{{"X", "v"}}));
  EXPECT_EQ(rules.rules[1].line, 6u);
  EXPECT_EQ(line_for(rules, "192.0.2.2"), 6u);
}

TEST(TcpRules, TabsInsideValuesAndNonAsciiBytesAreKept) {
  TcpRules rules = parse_ok(":allow,GREETING=\"a\tb \xc3\xa9\"\n");
  EXPECT_EQ(rules.rules[0].variables[0].value, "a\tb \xc3\xa9");
}

// --- every error, with its exact text -----------------------------------------------

TEST(TcpRules, ErrorMessagesAreExact) {
  EXPECT_EQ(error_of(std::string(tcp_rules_limits::file + 1, '#')),
            "control/tcp.smtp: file is larger than 1048576 bytes");
  EXPECT_EQ(error_of(":allow\n#" + std::string(1024, 'x')), "control/tcp.smtp line 2: line is longer than 1024 bytes");
  EXPECT_EQ(error_of(":allow\n\n1.2.3.4:al\x01low"),
            "control/tcp.smtp line 3: NUL or control byte in line (only TAB is allowed)");
  EXPECT_EQ(error_of("1.2.3.4:permit"),
            "control/tcp.smtp line 1: no :allow or :deny (followed by a comma or the end of the line)");
  EXPECT_EQ(error_of("=mail.example.org:allow"),
            "control/tcp.smtp line 1: host-name rule (=name): qcell never looks up names, use addresses");
  EXPECT_EQ(error_of("joe@127.0.0.1:allow"),
            "control/tcp.smtp line 1: ident rule (user@address): qcell never asks ident, use addresses");
  EXPECT_EQ(error_of("# x\n256.0.0.1:allow"),
            "control/tcp.smtp line 2: bad IPv4 address (use a.b.c.d, a.b.c., a.b.c.d-e or a.b.c.d/n, "
            "without leading zeros)");
  EXPECT_EQ(error_of("2001:db8::g:allow"), "control/tcp.smtp line 1: bad IPv6 address");
  EXPECT_EQ(error_of("192.0.2.0/33:allow"),
            "control/tcp.smtp line 1: bad prefix length (/0 to /32 for IPv4, /0 to /128 for IPv6)");
  EXPECT_EQ(error_of("192.0.2.1/24:allow"),
            "control/tcp.smtp line 1: address has bits set beyond its prefix length (write the network address)");
  EXPECT_EQ(error_of("192.0.2.9-3:allow"),
            "control/tcp.smtp line 1: range runs backwards (its low end is above its high end)");
  EXPECT_EQ(error_of("::ffff:192.0.2.1:allow"),
            "control/tcp.smtp line 1: IPv4-mapped IPv6 address: write the IPv4 form, which also matches ::ffff: "
            "clients");
  EXPECT_EQ(error_of(":allow,1X=\"\""),
            "control/tcp.smtp line 1: bad variable name (use letters, digits and _, not starting with a digit)");
  EXPECT_EQ(error_of(":allow,RELAYCLIENT"), "control/tcp.smtp line 1: variable has no = and value");
  EXPECT_EQ(error_of(":allow,X=\"abc"),
            "control/tcp.smtp line 1: value has no closing quote (the character after = is the quote)");
  EXPECT_EQ(error_of(":allow,X=\"a\"b"),
            "control/tcp.smtp line 1: expected a comma or the end of the line after a value");
  EXPECT_EQ(error_of(":allow,X=\"a\",X=\"b\""), "control/tcp.smtp line 1: variable set twice in one rule");
  // The three left are limits, exceeded by one below; their texts:
  EXPECT_EQ(describe(TcpRulesError{TcpRulesErrc::too_many_rules, 10001}),
            "control/tcp.smtp line 10001: more than 10000 rules");
  EXPECT_EQ(describe(TcpRulesError{TcpRulesErrc::too_many_variables, 1}),
            "control/tcp.smtp line 1: more than 16 variables in one rule");
  EXPECT_EQ(describe(TcpRulesError{TcpRulesErrc::value_too_long, 1}),
            "control/tcp.smtp line 1: value is longer than 512 bytes");
}

TEST(TcpRules, ControlBytes) {
  for (std::string_view line : {std::string_view("1.2.3.4:al\0low", 14), std::string_view("1.2.3.4:allow\0", 14),
                                std::string_view("1.2.3.4:allow\r,X=\"a\""), std::string_view("# \x1b[2J"),
                                std::string_view(":allow,X=\"\x7f\""), std::string_view("\x0c")}) {
    auto rules = parse(line);
    ASSERT_FALSE(rules.ok()) << line;
    EXPECT_EQ(rules.error().code, TcpRulesErrc::control_byte) << line;
    EXPECT_EQ(rules.error().line, 1u);
  }
}

TEST(TcpRules, MissingInstruction) {
  for (std::string_view line : {"1.2.3.4", "1.2.3.4:", "1.2.3.4:allowed", "1.2.3.4:ALLOW", "1.2.3.4:allow ,X=\"a\"",
                                " # indented comment", "allow", ":allow;X=\"\""}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::missing_instruction) << line;
  }
}

TEST(TcpRules, NameAndIdentRules) {
  for (std::string_view line : {"=mail.example.org:allow", "=.example.org:deny", "=:allow", "=host"}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::hostname_rule) << line;
  }
  for (std::string_view line : {"joe@127.0.0.1:allow", "joe@=host.example:allow", "@:deny", "joe@::1:allow"}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::remote_info_rule) << line;
  }
}

TEST(TcpRules, BadIpv4Addresses) {
  for (std::string_view address :
       {"256.0.0.1",   "1.2.3",        "01.2.3.4",   "1.02.3.4",  "1.2.3.4.",    "1..3.4",
        "1.2.3.4.5",   "1.2.3.4-256",  ".",          "..",        "1.2.3.x",     " 1.2.3.4",
        "1.2.3.4-",    "-1.2.3.4",     "1.2-3.4.5",  "1.2-3.4",   "1.2.3.4-5-6", "1.2.3.+4",
        "1.2.3.0x1",   "1.2.3.1000",   "1.2.3.4-05", "1.2.3./24", "1.2.3/24",    "1.2.3.4.5/24",
        "300.0.0.0/8", "1.2.3.4-9/32", "10.1-2.3.",  "x",         "1.2.3.4 "}) {
    std::string line = std::string(address) + ":allow";
    EXPECT_EQ(code_of(line), TcpRulesErrc::bad_ipv4_address) << line;
  }
}

TEST(TcpRules, BadIpv6Addresses) {
  for (std::string_view address : {"2001:db8::g", "[::1]", "fe80::1%eth0", "2001:db8:", "1.2.3.4:5",
                                   ":::", "1:2:3:4:5:6:7:8:9", "2001:db8::1::2", "::1 ", "1.2.3.4:deny"}) {
    std::string line = std::string(address) + ":allow";
    EXPECT_EQ(code_of(line), TcpRulesErrc::bad_ipv6_address) << line;
  }
  EXPECT_EQ(code_of(std::string(50, ':') + ":allow"), TcpRulesErrc::bad_ipv6_address);
}

TEST(TcpRules, BadPrefixLengths) {
  for (std::string_view address :
       {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/024", "192.0.2.0/x", "192.0.2.0/-1", "192.0.2.0/24/8",
        "192.0.2.0/1000", "2001:db8::/129", "2001:db8::/", "2001:db8::/032", "::/+1"}) {
    std::string line = std::string(address) + ":allow";
    EXPECT_EQ(code_of(line), TcpRulesErrc::bad_prefix_length) << line;
  }
  // The extremes are fine.
  parse_ok("0.0.0.0/0:allow\n192.0.2.1/32:allow\n::/0:allow\n::1/128:allow\n");
}

TEST(TcpRules, HostBitsBeyondThePrefixAreRefused) {
  for (std::string_view address :
       {"192.0.2.1/24", "192.0.2.128/24", "11.0.0.0/7", "0.0.0.1/0", "2001:db8::1/32", "2001:db9::/31", "::1/127"}) {
    std::string line = std::string(address) + ":allow";
    EXPECT_EQ(code_of(line), TcpRulesErrc::host_bits_set) << line;
  }
}

TEST(TcpRules, BackwardsRanges) {
  EXPECT_EQ(code_of("192.0.2.9-3:allow"), TcpRulesErrc::backwards_range);
  EXPECT_EQ(code_of("10.3-2.:allow"), TcpRulesErrc::backwards_range);
  EXPECT_EQ(code_of("255-0.:allow"), TcpRulesErrc::backwards_range);
}

TEST(TcpRules, MappedIpv6RulesAreRefused) {
  for (std::string_view address :
       {"::ffff:192.0.2.1", "::FFFF:c000:0201", "::ffff:192.0.2.0/120", "::ffff:0:0/96", "0:0:0:0:0:ffff:0a00:0001"}) {
    std::string line = std::string(address) + ":allow";
    EXPECT_EQ(code_of(line), TcpRulesErrc::mapped_ipv6_rule) << line;
  }
  // A wider IPv6 block around the mapped space is an ordinary IPv6 rule.
  parse_ok("::/64:deny\n::/80:deny\n");
}

TEST(TcpRules, VariableSyntaxErrors) {
  for (std::string_view line : {":allow,", ":allow,1X=\"\"", ":allow,X Y=\"\"", ":allow,=\"\"", ":allow,X-Y=\"\"",
                                ":allow,X=\"a\",", ":allow,X.Y=\"\""}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::bad_variable_name) << line;
  }
  for (std::string_view line : {":allow,RELAYCLIENT", ":allow,A,B=\"\"", ":deny,X=\"\",Y"}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::missing_equals) << line;
  }
  for (std::string_view line : {":allow,X=", ":allow,X=\"abc", ":allow,X=\"a\",Y='b", ":allow,X= a "}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::unterminated_value) << line;
  }
  for (std::string_view line : {":allow,X=\"a\"b", ":allow,X=\"a\" ,Y=\"b\"", ":allow,X=\"a\"\"b\""}) {
    EXPECT_EQ(code_of(line), TcpRulesErrc::junk_after_value) << line;
  }
  EXPECT_EQ(code_of(":allow,X=\"a\",Y=\"\",X=\"b\""), TcpRulesErrc::repeated_variable);
  parse_ok(":allow,_=\"\",_a1=\"\",A_1=\"\",x=\"\",X=\"\"\n");  // names are case-sensitive
}

TEST(TcpRules, FirstErrorStops) {
  auto rules = parse("192.0.2.1:allow\n256.0.0.0:allow\n=host:allow\n");
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().code, TcpRulesErrc::bad_ipv4_address);
  EXPECT_EQ(rules.error().line, 2u);
}

// --- limits, each exceeded by one ---------------------------------------------------

TEST(TcpRules, RuleLimit) {
  std::string text;
  for (std::size_t i = 0; i < tcp_rules_limits::rules; ++i) text += "10.:allow\n";
  text += "# comments do not count\n";
  TcpRules full = parse_ok(text);
  EXPECT_EQ(full.rules.size(), tcp_rules_limits::rules);
  text += ":deny\n";
  auto over = parse(text);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, TcpRulesErrc::too_many_rules);
  EXPECT_EQ(over.error().line, tcp_rules_limits::rules + 2);
}

TEST(TcpRules, LineLimit) {
  // :allow,X="..." is 10 bytes around the value; comments count too.
  std::string longest = "#" + std::string(tcp_rules_limits::line - 1, 'x');
  parse_ok(longest + "   \r\n");  // trailing blanks are trimmed first
  auto over = parse(longest + "x\n");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, TcpRulesErrc::line_too_long);
  EXPECT_EQ(over.error().line, 1u);
}

TEST(TcpRules, VariableLimit) {
  std::string rule = ":allow";
  for (std::size_t i = 0; i < tcp_rules_limits::variables; ++i) rule += ",V" + std::to_string(i) + "=\"\"";
  TcpRules full = parse_ok(rule);
  EXPECT_EQ(full.rules[0].variables.size(), tcp_rules_limits::variables);
  auto over = parse(rule + ",W=\"\"");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, TcpRulesErrc::too_many_variables);
}

TEST(TcpRules, ValueLimit) {
  std::string value(tcp_rules_limits::value, 'v');
  TcpRules full = parse_ok(":allow,RBLSMTPD=\"" + value + "\"");
  EXPECT_EQ(full.rules[0].variables[0].value, value);
  auto over = parse(":allow,RBLSMTPD=\"" + value + "v\"");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, TcpRulesErrc::value_too_long);
}

TEST(TcpRules, FileLimit) {
  std::string text(tcp_rules_limits::file, '\n');
  EXPECT_TRUE(parse(text).ok());
  text += '\n';
  auto over = parse(text);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, TcpRulesErrc::file_too_large);
  EXPECT_EQ(over.error().line, 0u);
}

// --- the error table and the documentation ------------------------------------------

TEST(TcpRules, ErrorTableIsCompleteDistinctAndStatesTheLimits) {
  std::set<std::string_view> texts;
  std::size_t index = 0;
  for (const TcpRulesErrorEntry& entry : tcp_rules_errors()) {
    EXPECT_EQ(static_cast<std::size_t>(entry.code), index++);
    EXPECT_TRUE(texts.insert(entry.text).second) << entry.text;
    EXPECT_EQ(describe(entry.code), entry.text);
    EXPECT_FALSE(entry.cause.empty());
  }
  EXPECT_EQ(index, static_cast<std::size_t>(TcpRulesErrc::repeated_variable) + 1);
  auto states = [](TcpRulesErrc code, std::size_t limit) {
    EXPECT_NE(describe(code).find(std::to_string(limit)), std::string_view::npos) << describe(code);
  };
  states(TcpRulesErrc::file_too_large, tcp_rules_limits::file);
  states(TcpRulesErrc::line_too_long, tcp_rules_limits::line);
  states(TcpRulesErrc::too_many_rules, tcp_rules_limits::rules);
  states(TcpRulesErrc::too_many_variables, tcp_rules_limits::variables);
  states(TcpRulesErrc::value_too_long, tcp_rules_limits::value);
}

TEST(TcpRules, DocsListEveryErrorAndLimit) {
  const std::string doc = read_source_file("docs/smtpd-access.md");
  ASSERT_FALSE(doc.empty()) << "docs/smtpd-access.md is missing";
  for (const TcpRulesErrorEntry& entry : tcp_rules_errors()) {
    std::string row = "| `" + std::string(entry.text) + "` | " + std::string(entry.cause) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/smtpd-access.md lacks the row:\n" << row;
  }
  for (std::size_t limit : {tcp_rules_limits::file, tcp_rules_limits::rules, tcp_rules_limits::line,
                            tcp_rules_limits::variables, tcp_rules_limits::value}) {
    EXPECT_NE(doc.find("| " + std::to_string(limit) + " |"), std::string::npos) << limit;
  }
}

}  // namespace
}  // namespace qcell
