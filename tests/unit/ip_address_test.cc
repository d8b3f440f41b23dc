// ip_address_test.cc — qmail-remote's addresses: strict IPv4 and IPv6 text,
// IPv4-mapped addresses held as IPv4, text() round trips, and the domain
// literal forms ("[1.2.3.4]", "[IPv6:...]", "[...]") with what they refuse.
#include "qmail-remote/ip_address.h"

#include <gtest/gtest.h>

#include <string>

namespace qcell::remote {
namespace {

TEST(IpAddress, ParsesIpv4) {
  auto address = parse_ip_address("192.0.2.1");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->family, AF_INET);
  EXPECT_EQ(address->bytes[0], 192);
  EXPECT_EQ(address->bytes[3], 1);
  EXPECT_EQ(address->bytes[4], 0);
  EXPECT_EQ(address->text(), "192.0.2.1");
}

TEST(IpAddress, ParsesIpv6AndPrintsItCanonically) {
  auto address = parse_ip_address("2001:DB8:0:0::1");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->family, AF_INET6);
  EXPECT_EQ(address->text(), "2001:db8::1");
}

TEST(IpAddress, HoldsMappedAddressesAsIpv4) {
  auto mapped = parse_ip_address("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->family, AF_INET);
  EXPECT_EQ(mapped, parse_ip_address("192.0.2.1"));
  std::array<std::uint8_t, 16> bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7};
  EXPECT_EQ(ipv6_address(bytes), parse_ip_address("198.51.100.7"));
}

TEST(IpAddress, RefusesEverythingElse) {
  for (const char* text :
       {"", "192.0.2", "192.0.2.1.", "192.0.2.256", "192.0.2.01", " 192.0.2.1", "192.0.2.1 ", "[192.0.2.1]",
        "localhost", "2001:db8::1%eth0", "2001:db8::/32", "::1::2", "1.2.3.4/32", "0x7f.0.0.1"}) {
    EXPECT_FALSE(parse_ip_address(text)) << text;
  }
  EXPECT_FALSE(parse_ip_address(std::string_view("127.0.0.1\0", 10)));
}

TEST(IpAddress, DefaultHasNoText) { EXPECT_EQ(IpAddress{}.text(), ""); }

TEST(IpAddressLiteral, TakesTheRfc5321Forms) {
  EXPECT_EQ(parse_address_literal("[192.0.2.1]"), parse_ip_address("192.0.2.1"));
  EXPECT_EQ(parse_address_literal("[IPv6:2001:db8::1]"), parse_ip_address("2001:db8::1"));
  EXPECT_EQ(parse_address_literal("[ipv6:2001:db8::1]"), parse_ip_address("2001:db8::1"));
  EXPECT_EQ(parse_address_literal("[IPV6:::1]"), parse_ip_address("::1"));
}

TEST(IpAddressLiteral, TakesUntaggedIpv6AsInSmtproutes) {
  EXPECT_EQ(parse_address_literal("[::1]"), parse_ip_address("::1"));
  EXPECT_EQ(parse_address_literal("[2001:db8::25]"), parse_ip_address("2001:db8::25"));
}

TEST(IpAddressLiteral, RefusesOtherForms) {
  for (const char* text :
       {"", "[", "[]", "192.0.2.1", "[192.0.2.1", "192.0.2.1]", "[1.2.3]", "[IPv6:192.0.2.1]", "[IPv6:]", "[IPv6]",
        "[tag:content]", "[ 192.0.2.1]", "[[192.0.2.1]]", "[192.0.2.1]:25", "[example.com]", "[IPv4:192.0.2.1]"}) {
    EXPECT_FALSE(parse_address_literal(text)) << text;
  }
}

}  // namespace
}  // namespace qcell::remote
