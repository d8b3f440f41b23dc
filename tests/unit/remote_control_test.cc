// remote_control_test.cc — what the broker works out for qmail-remote at
// start (qcell/remote_control.h): the resolvers, the TCP ports its
// Landlock rules add, the host's addresses, the CA files, and the errors
// that stop `qcell start`.
#include "qcell/remote_control.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "test_files.h"

namespace qcell {
namespace {

class RemoteControlTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_.path() + "/" + name) << text; }

  Result<RemoteControl, std::string> prepare(const std::string& resolv_conf = "/nonexistent/resolv.conf") {
    auto control = open_directory(dir_.path().c_str());
    EXPECT_TRUE(control.ok());
    return prepare_remote_control(*control, {}, resolv_conf);
  }

  static std::string extra(const RemoteControl& control, const std::string& name) {
    for (const SnapshotExtra& e : control.extras) {
      if (e.name == name) return e.content;
    }
    return "(absent)";
  }

  TempDir dir_;
};

TEST(ResolvConf, NameserverLinesOnly) {
  EXPECT_EQ(resolv_conf_servers("# nameserver 10.0.0.1\nsearch example.com\nnameserver 192.0.2.53\n"
                                "  nameserver\t2001:db8::53  # a comment\nnameserver fe80::1%eth0\n"
                                "nameserverx 192.0.2.9\nnameserver not-an-address\n"),
            (std::vector<std::string>{"192.0.2.53", "2001:db8::53"}));
  EXPECT_TRUE(resolv_conf_servers("").empty());
}

TEST_F(RemoteControlTest, ResolversAndPortsFromTheControlFiles) {
  write("dnsservers", "127.0.0.1:5353\n[::1]:5300\n192.0.2.53\n");
  write("smtproutes", ":[192.0.2.1]:2525\nexample.com:relay.example.com\nlocal.example:\n");
  auto prepared = prepare();
  ASSERT_TRUE(prepared.ok()) << prepared.error();
  EXPECT_EQ(extra(*prepared, "dnsservers"), "127.0.0.1:5353\n[::1]:5300\n192.0.2.53\n");
  std::vector<std::uint16_t> ports = prepared->tcp_ports;
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(ports, (std::vector<std::uint16_t>{25, 53, 2525, 5300, 5353}));
  // This host's addresses: loopback, and the unspecified ones.
  const std::string ipme = extra(*prepared, "ipme");
  EXPECT_NE(ipme.find("127.0.0.1\n"), std::string::npos) << ipme;
  EXPECT_NE(ipme.find("0.0.0.0\n"), std::string::npos) << ipme;
  EXPECT_EQ(extra(*prepared, "ca:"), "(absent)");  // no verify line: no trust store read
}

TEST_F(RemoteControlTest, ResolversFromResolvConfThenLoopback) {
  write("resolv.conf", "nameserver 192.0.2.7\n");
  auto from_file = prepare(dir_.path() + "/resolv.conf");
  ASSERT_TRUE(from_file.ok()) << from_file.error();
  EXPECT_EQ(extra(*from_file, "dnsservers"), "192.0.2.7\n");
  EXPECT_EQ(from_file->tcp_ports, (std::vector<std::uint16_t>{53}));
  auto none = prepare();
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(extra(*none, "dnsservers"), "127.0.0.1\n");
}

TEST_F(RemoteControlTest, CaFilesAreRead) {
  write("ca.pem", "-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n");
  write("tlsdestinations", "partner.example:verify:" + dir_.path() + "/ca.pem\n:may\n");
  auto prepared = prepare();
  ASSERT_TRUE(prepared.ok()) << prepared.error();
  EXPECT_EQ(extra(*prepared, "ca:" + dir_.path() + "/ca.pem").substr(0, 27), "-----BEGIN CERTIFICATE-----");
}

TEST_F(RemoteControlTest, EveryErrorNamesItsFile) {
  write("dnsservers", "localhost\n");
  auto bad_server = prepare();
  ASSERT_FALSE(bad_server.ok());
  EXPECT_EQ(bad_server.error(), "control/dnsservers line 1: 'localhost' is not ADDRESS, IPV4:PORT or [IPV6]:PORT");
  write("dnsservers", "127.0.0.1:0\n");
  EXPECT_FALSE(prepare().ok());
  write("dnsservers", "127.0.0.1\n");
  write("smtproutes", "example.com:relay:99999\n");
  auto bad_route = prepare();
  ASSERT_FALSE(bad_route.ok());
  EXPECT_EQ(bad_route.error().rfind("control/smtproutes line 1: ", 0), 0U) << bad_route.error();
  write("smtproutes", "");
  write("tlsdestinations", "partner.example:verify:/nonexistent/ca.pem\n");
  auto missing_ca = prepare();
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_EQ(missing_ca.error(), "control/tlsdestinations: CA file /nonexistent/ca.pem: No such file or directory");
}

}  // namespace
}  // namespace qcell
