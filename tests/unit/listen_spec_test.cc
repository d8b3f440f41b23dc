// listen_spec_test.cc — the broker's --listen argument.
#include "core/listen_spec.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace qcell {
namespace {

TEST(ListenSpec, ParsesIpv4AndIpv6) {
  auto v4 = parse_listen_spec("qmail-smtpd@127.0.0.1:2525");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->cell, "qmail-smtpd");
  EXPECT_EQ(v4->text, "127.0.0.1:2525");
  const auto* in = reinterpret_cast<const sockaddr_in*>(&v4->address);
  EXPECT_EQ(in->sin_family, AF_INET);
  EXPECT_EQ(ntohs(in->sin_port), 2525);
  auto v6 = parse_listen_spec("qmail-smtpd@[::1]:65535");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address.ss_family, AF_INET6);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&v6->address)->sin6_port), 65535);
}

TEST(ListenSpec, RefusesEachMalformedPart) {
  EXPECT_EQ(parse_listen_spec(std::string(129, 'a')).error(), ListenSpecError::too_long);
  EXPECT_EQ(parse_listen_spec("127.0.0.1:25").error(), ListenSpecError::missing_cell);
  EXPECT_EQ(parse_listen_spec("@127.0.0.1:25").error(), ListenSpecError::bad_cell);
  EXPECT_EQ(parse_listen_spec("Smtpd@127.0.0.1:25").error(), ListenSpecError::bad_cell);
  EXPECT_EQ(parse_listen_spec("x@127.0.0.1").error(), ListenSpecError::missing_port);
  EXPECT_EQ(parse_listen_spec("x@127.0.0.1:0").error(), ListenSpecError::bad_port);
  EXPECT_EQ(parse_listen_spec("x@127.0.0.1:65536").error(), ListenSpecError::bad_port);
  EXPECT_EQ(parse_listen_spec("x@127.0.0.1:025").error(), ListenSpecError::bad_port);
  EXPECT_EQ(parse_listen_spec("x@127.0.0.1:2x").error(), ListenSpecError::bad_port);
  EXPECT_EQ(parse_listen_spec("x@localhost:25").error(), ListenSpecError::bad_address) << "no name is resolved";
  EXPECT_EQ(parse_listen_spec("x@::1:25").error(), ListenSpecError::bad_address) << "IPv6 needs brackets";
  EXPECT_EQ(parse_listen_spec("x@[127.0.0.1]:25").error(), ListenSpecError::bad_address);
  EXPECT_EQ(parse_listen_spec("x@:25").error(), ListenSpecError::bad_address);
}

TEST(ListenSpec, EveryErrorIsDescribedDistinctly) {
  std::set<std::string_view> seen;
  for (auto e : {ListenSpecError::too_long, ListenSpecError::missing_cell, ListenSpecError::bad_cell,
                 ListenSpecError::missing_port, ListenSpecError::bad_port, ListenSpecError::bad_address}) {
    EXPECT_TRUE(seen.insert(describe(e)).second);
  }
}

}  // namespace
}  // namespace qcell
