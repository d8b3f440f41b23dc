// mx_plan_test.cc — the MX plan: preference order, the seeded shuffle among
// equal preferences (repeatable, and every order reachable), a host's
// addresses kept together, qmail's self-MX rule, duplicates, the root
// dropped, and RFC 7505's null MX.
#include "qmail-remote/mx_plan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace qcell::remote {
namespace {

IpAddress ip(const char* text) {
  auto address = parse_ip_address(text);
  if (!address) ADD_FAILURE() << "not an address: " << text;
  return address.value_or(IpAddress{});
}

MxHost host(std::string name, std::uint16_t preference, std::vector<const char*> addresses) {
  MxHost result{std::move(name), preference, {}};
  for (const char* text : addresses) result.addresses.push_back(ip(text));
  return result;
}

std::vector<std::string> hosts_of(const std::vector<Target>& targets) {
  std::vector<std::string> names;
  for (const Target& target : targets) names.push_back(target.host + "/" + target.address.text());
  return names;
}

TEST(NullMx, OnlyALoneRootExchange) {
  EXPECT_TRUE(is_null_mx(std::vector<MxRecord>{{0, ""}}));
  EXPECT_TRUE(is_null_mx(std::vector<MxRecord>{{10, ""}}));
  EXPECT_FALSE(is_null_mx(std::vector<MxRecord>{}));
  EXPECT_FALSE(is_null_mx(std::vector<MxRecord>{{0, "mx.example"}}));
  EXPECT_FALSE(is_null_mx(std::vector<MxRecord>{{0, ""}, {10, "mx.example"}}));
}

TEST(MxPlan, OrdersByPreference) {
  auto plan = plan_targets(
      {host("c", 30, {"192.0.2.3"}), host("a", 10, {"192.0.2.1", "2001:db8::1"}), host("b", 20, {"192.0.2.2"})}, {}, 1);
  ASSERT_TRUE(plan);
  EXPECT_EQ(hosts_of(*plan), (std::vector<std::string>{"a/192.0.2.1", "a/2001:db8::1", "b/192.0.2.2", "c/192.0.2.3"}));
  EXPECT_EQ(plan->at(2).preference, 20);
}

TEST(MxPlan, ShuffleIsRepeatableAndReachesEveryOrder) {
  std::vector<MxHost> hosts = {host("a", 10, {"192.0.2.1", "192.0.2.11"}), host("b", 10, {"192.0.2.2"}),
                               host("c", 10, {"192.0.2.3"}), host("z", 5, {"192.0.2.9"})};
  std::set<std::vector<std::string>> orders;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto plan = plan_targets(hosts, {}, seed);
    ASSERT_TRUE(plan);
    auto again = plan_targets(hosts, {}, seed);
    ASSERT_TRUE(again);
    EXPECT_EQ(*plan, *again);
    auto names = hosts_of(*plan);
    EXPECT_EQ(names.front(), "z/192.0.2.9");
    // a's addresses stay together, in their order.
    auto first = std::find(names.begin(), names.end(), "a/192.0.2.1");
    ASSERT_NE(first, names.end());
    ASSERT_NE(first + 1, names.end());
    EXPECT_EQ(*(first + 1), "a/192.0.2.11");
    orders.insert(names);
  }
  EXPECT_EQ(orders.size(), 6u);  // 3! orders of a, b, c
}

TEST(MxPlan, SelfMxDropsOurPreferenceAndAbove) {
  std::vector<IpAddress> ipme = {ip("127.0.0.1"), ip("198.51.100.1")};
  auto plan = plan_targets({host("backup", 20, {"192.0.2.20"}), host("us", 10, {"198.51.100.1"}),
                            host("primary", 5, {"192.0.2.5"}), host("peer", 10, {"192.0.2.10"})},
                           ipme, 7);
  ASSERT_TRUE(plan);
  EXPECT_EQ(hosts_of(*plan), (std::vector<std::string>{"primary/192.0.2.5"}));
}

TEST(MxPlan, SelfAsBestMxIsAnError) {
  std::vector<IpAddress> ipme = {ip("198.51.100.1")};
  auto plan = plan_targets({host("us", 10, {"198.51.100.1"}), host("backup", 20, {"192.0.2.20"})}, ipme, 7);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(), PlanErrc::self_is_best_mx);
  // The A fallback (the domain itself at preference 0) pointing at us too.
  auto fallback = plan_targets({host("example.com", 0, {"192.0.2.1", "198.51.100.1"})}, ipme, 7);
  ASSERT_FALSE(fallback);
  EXPECT_EQ(fallback.error(), PlanErrc::self_is_best_mx);
}

TEST(MxPlan, SelfMatchesMappedAddresses) {
  std::vector<IpAddress> ipme = {ip("198.51.100.1")};
  auto plan = plan_targets({host("us", 10, {"::ffff:198.51.100.1"})}, ipme, 7);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(), PlanErrc::self_is_best_mx);
}

TEST(MxPlan, HostsWithoutAddressesBelowUsLeaveNothing) {
  std::vector<IpAddress> ipme = {ip("198.51.100.1")};
  auto plan = plan_targets({host("dead", 5, {}), host("us", 10, {"198.51.100.1"})}, ipme, 7);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(), PlanErrc::self_is_best_mx);
}

TEST(MxPlan, DuplicateAddressesTriedOnce) {
  auto plan = plan_targets({host("a", 10, {"192.0.2.1", "192.0.2.1", "192.0.2.2"}), host("b", 20, {"192.0.2.1"}),
                            host("c", 30, {"::ffff:192.0.2.2", "192.0.2.3"})},
                           {}, 3);
  ASSERT_TRUE(plan);
  EXPECT_EQ(hosts_of(*plan), (std::vector<std::string>{"a/192.0.2.1", "a/192.0.2.2", "c/192.0.2.3"}));
}

TEST(MxPlan, NoAddressAtAll) {
  auto plan = plan_targets({host("a", 10, {}), host("b", 20, {})}, std::vector<IpAddress>{ip("192.0.2.1")}, 3);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error(), PlanErrc::no_address);
  auto empty = plan_targets({}, {}, 3);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(), PlanErrc::no_address);
}

TEST(MxPlan, RootHostDropped) {
  auto plan = plan_targets({host("", 0, {"192.0.2.99"}), host("mail", 10, {"192.0.2.1"})}, {}, 3);
  ASSERT_TRUE(plan);
  EXPECT_EQ(hosts_of(*plan), (std::vector<std::string>{"mail/192.0.2.1"}));
  auto only_root = plan_targets({host("", 0, {"192.0.2.99"})}, {}, 3);
  ASSERT_FALSE(only_root);
  EXPECT_EQ(only_root.error(), PlanErrc::no_address);
}

}  // namespace
}  // namespace qcell::remote
