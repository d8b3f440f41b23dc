// dns_answer_test.cc — DNS answers read through c-ares: the seed packets of
// fuzz/corpus/dns_answer (an MX answer, a null MX, an A answer behind a
// CNAME chain, AAAA with a mapped address, NODATA, NXDOMAIN, truncated and
// looping packets, bad exchange names), and the caps.
#include "qmail-remote/dns_answer.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace qcell::remote {
namespace {

std::vector<unsigned char> seed(const std::string& name) {
  std::ifstream file(std::string(QCELL_SOURCE_DIR) + "/fuzz/corpus/dns_answer/" + name, std::ios::binary);
  if (!file.good()) ADD_FAILURE() << "no seed " << name;
  std::stringstream text;
  text << file.rdbuf();
  std::string bytes = text.str();
  return {bytes.begin(), bytes.end()};
}

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> result;
  for (const IpAddress& address : addresses) result.push_back(address.text());
  return result;
}

TEST(DnsAnswer, MxRecordsSortedAndLowercased) {
  auto records = read_mx_answer(seed("mx_three"));
  ASSERT_TRUE(records);
  EXPECT_EQ(*records,
            (std::vector<MxRecord>{{10, "mx1.example.com"}, {10, "mx1b.example.com"}, {20, "mx2.example.com"}}));
  EXPECT_FALSE(is_null_mx(*records));
}

TEST(DnsAnswer, NullMx) {
  auto records = read_mx_answer(seed("null_mx"));
  ASSERT_TRUE(records);
  EXPECT_EQ(*records, (std::vector<MxRecord>{{0, ""}}));
  EXPECT_TRUE(is_null_mx(*records));
  auto mixed = read_mx_answer(seed("null_mx_mixed"));
  ASSERT_TRUE(mixed);
  EXPECT_EQ(*mixed, (std::vector<MxRecord>{{0, ""}, {10, "mail.example.net"}}));
  EXPECT_FALSE(is_null_mx(*mixed));
}

TEST(DnsAnswer, BadExchangeNamesSkipped) {
  auto records = read_mx_answer(seed("mx_bad_name"));
  ASSERT_TRUE(records);
  EXPECT_EQ(*records, (std::vector<MxRecord>{{20, "good.example.com"}}));
  auto only_bad = read_mx_answer(seed("mx_only_bad_name"));
  ASSERT_FALSE(only_bad);
  EXPECT_EQ(only_bad.error(), AnswerErrc::malformed);
}

TEST(DnsAnswer, NoDataAndNxdomain) {
  auto nodata = read_mx_answer(seed("mx_nodata"));
  ASSERT_FALSE(nodata);
  EXPECT_EQ(nodata.error(), AnswerErrc::no_data);
  auto nxdomain = read_address_answer(seed("a_nxdomain"), AF_INET);
  ASSERT_FALSE(nxdomain);
  EXPECT_EQ(nxdomain.error(), AnswerErrc::no_data);
}

TEST(DnsAnswer, MalformedPackets) {
  for (const char* name : {"mx_truncated", "mx_pointer_loop"}) {
    auto records = read_mx_answer(seed(name));
    ASSERT_FALSE(records) << name;
    EXPECT_EQ(records.error(), AnswerErrc::malformed) << name;
  }
  std::vector<unsigned char> empty;
  EXPECT_EQ(read_mx_answer(empty).error(), AnswerErrc::malformed);
  EXPECT_EQ(read_address_answer(empty, AF_INET).error(), AnswerErrc::malformed);
  std::vector<unsigned char> huge(dns_answer_limits::packet + 1, 0);
  EXPECT_EQ(read_mx_answer(huge).error(), AnswerErrc::malformed);
  EXPECT_EQ(read_address_answer(seed("aaaa_two"), AF_UNIX).error(), AnswerErrc::malformed);
}

TEST(DnsAnswer, AFollowsCnameChain) {
  auto addresses = read_address_answer(seed("a_cname_chain"), AF_INET);
  ASSERT_TRUE(addresses);
  EXPECT_EQ(texts(*addresses), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
}

TEST(DnsAnswer, Aaaa) {
  auto addresses = read_address_answer(seed("aaaa_two"), AF_INET6);
  ASSERT_TRUE(addresses);
  EXPECT_EQ(texts(*addresses), (std::vector<std::string>{"2001:db8::25", "192.0.2.1"}));
  EXPECT_EQ(addresses->at(1).family, AF_INET);
}

TEST(DnsAnswer, WrongTypeIsNoData) {
  auto addresses = read_address_answer(seed("aaaa_two"), AF_INET);
  ASSERT_FALSE(addresses);
  EXPECT_EQ(addresses.error(), AnswerErrc::no_data);
  auto mx = read_mx_answer(seed("a_cname_chain"));
  ASSERT_FALSE(mx);
  EXPECT_EQ(mx.error(), AnswerErrc::no_data);
}

// An answer of `count` records for "example.com" built here (the same wire
// format as the seeds): MX records of descending preference, or A records.
std::vector<unsigned char> many_records(std::uint16_t type, unsigned count) {
  std::vector<unsigned char> packet = {
      0x12, 0x34, 0x81, 0x80, 0, 1, static_cast<unsigned char>(count >> 8), static_cast<unsigned char>(count),
      0,    0,    0,    0};
  const unsigned char name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
  packet.insert(packet.end(), std::begin(name), std::end(name));
  packet.insert(packet.end(), {0, static_cast<unsigned char>(type), 0, 1});
  for (unsigned i = 0; i < count; ++i) {
    packet.insert(packet.end(), {0xc0, 0x0c, 0, static_cast<unsigned char>(type), 0, 1, 0, 0, 0x0e, 0x10});
    if (type == 15) {
      // preference 1000 - i, exchange "m<i>" + pointer to example.com
      std::string label = "m" + std::to_string(i);
      auto rdlength = static_cast<unsigned char>(2 + 1 + label.size() + 2);
      unsigned preference = 1000 - i;
      packet.insert(packet.end(), {0, rdlength, static_cast<unsigned char>(preference >> 8),
                                   static_cast<unsigned char>(preference), static_cast<unsigned char>(label.size())});
      packet.insert(packet.end(), label.begin(), label.end());
      packet.insert(packet.end(), {0xc0, 0x0c});
    } else {
      packet.insert(packet.end(), {0, 4, 10, 0, static_cast<unsigned char>(i >> 8), static_cast<unsigned char>(i)});
    }
  }
  return packet;
}

TEST(DnsAnswer, MxCapKeepsTheMostPreferred) {
  auto records = read_mx_answer(many_records(15, 100));
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), dns_answer_limits::mx_records);
  EXPECT_EQ(records->front(), (MxRecord{901, "m99.example.com"}));
  EXPECT_EQ(records->back(), (MxRecord{964, "m36.example.com"}));
}

TEST(DnsAnswer, AddressCapKeepsTheFirst) {
  auto addresses = read_address_answer(many_records(1, 100), AF_INET);
  ASSERT_TRUE(addresses);
  ASSERT_EQ(addresses->size(), dns_answer_limits::addresses);
  EXPECT_EQ(addresses->front().text(), "10.0.0.0");
  EXPECT_EQ(addresses->back().text(), "10.0.0.63");
}

}  // namespace
}  // namespace qcell::remote
