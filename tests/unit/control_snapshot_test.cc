// control_snapshot_test.cc — the sealed control snapshot: files that exist
// are in it byte for byte, missing ones are absent, morercpthosts.cdb's
// records are copied, the memfd is sealed against every change, a snapshot
// that is not sealed is refused, a malformed control file or cdb stops the
// build with its name; and qmail-smtpd's configuration read from it.
#include "core/control_snapshot.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "qmail-smtpd/smtpd_config.h"

namespace qcell {
namespace {

class ControlSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-snapshot-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (std::system(("rm -rf '" + dir_ + "'").c_str()) != 0) ADD_FAILURE() << "cannot remove " << dir_;
  }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
  }
  // A morercpthosts.cdb holding `keys`.
  void write_cdb(std::initializer_list<std::string_view> keys) {
    UniqueFd fd(::open((dir_ + "/morercpthosts.cdb").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto writer = CdbWriter::start(fd.get());
    ASSERT_TRUE(writer.ok());
    for (std::string_view key : keys) ASSERT_TRUE(writer->add(key, "").ok());
    ASSERT_TRUE(writer->finish().ok());
  }
  Result<UniqueFd, std::string> build() {
    auto directory = open_directory(dir_.c_str());
    EXPECT_TRUE(directory.ok());
    return build_control_snapshot(*directory, smtpd_control_files);
  }
  std::string dir_;
};

TEST_F(ControlSnapshotTest, HoldsTheFilesThatExistAndMoreRcptHosts) {
  write("me", "mx.example.org\n");
  write("rcpthosts", "example.org\n.example.net\n");
  write("smtpkey.pem", std::string("-----BEGIN\0binary\xff", 18));
  write("unrelated", "not in the list\n");
  write_cdb({"cdb.example", ".sub.example"});
  auto fd = build();
  ASSERT_TRUE(fd.ok()) << fd.error();
  auto snapshot = ControlSnapshot::open(std::move(fd.value()));
  ASSERT_TRUE(snapshot.ok()) << snapshot.error();
  EXPECT_EQ(snapshot->file("me").value(), std::optional<std::string>("mx.example.org\n"));
  EXPECT_EQ(snapshot->file("rcpthosts").value(), std::optional<std::string>("example.org\n.example.net\n"));
  EXPECT_EQ(snapshot->file("smtpkey.pem").value(), std::optional<std::string>(std::string("-----BEGIN\0binary\xff", 18)));
  EXPECT_EQ(snapshot->file("badmailfrom").value(), std::nullopt);
  EXPECT_EQ(snapshot->file("unrelated").value(), std::nullopt);
  EXPECT_TRUE(snapshot->morercpthosts("cdb.example").value());
  EXPECT_TRUE(snapshot->morercpthosts(".sub.example").value());
  EXPECT_FALSE(snapshot->morercpthosts("example.org").value());
}

TEST_F(ControlSnapshotTest, IsSealedAgainstEveryChange) {
  write("me", "mx.example.org\n");
  auto fd = build();
  ASSERT_TRUE(fd.ok()) << fd.error();
  const int seals = ::fcntl(fd->get(), F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
            F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  EXPECT_EQ(::write(fd->get(), "x", 1), -1);
  EXPECT_EQ(::ftruncate(fd->get(), 0), -1);
  EXPECT_EQ(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd->get(), 0), MAP_FAILED);
  EXPECT_EQ(::fcntl(fd->get(), F_ADD_SEALS, 0), -1);  // F_SEAL_SEAL: no new seal, not even none
}

TEST_F(ControlSnapshotTest, AnUnsealedFileIsRefused) {
  UniqueFd memory(::memfd_create("not-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  auto writer = CdbWriter::start(memory.get());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->finish().ok());
  auto snapshot = ControlSnapshot::open(std::move(memory));
  ASSERT_FALSE(snapshot.ok());
  EXPECT_EQ(snapshot.error(), "control snapshot: not sealed against writing");
  UniqueFd plain(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_FALSE(ControlSnapshot::open(std::move(plain)).ok());
}

TEST_F(ControlSnapshotTest, BadFilesStopTheBuildWithTheirName) {
  write("me", std::string(limits::control_file + 1, 'x'));
  auto fd = build();
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().rfind("control/me", 0), 0U) << fd.error();
  write("me", "mx.example.org\n");
  write("morercpthosts.cdb", "short");
  auto bad_cdb = build();
  ASSERT_FALSE(bad_cdb.ok());
  EXPECT_EQ(bad_cdb.error().rfind("control/morercpthosts.cdb: ", 0), 0U) << bad_cdb.error();
}

// qmail-smtpd's configuration, read from a snapshot as the cell reads it.
TEST_F(ControlSnapshotTest, SmtpdSetupComesFromTheSnapshotAndTheEnvironment) {
  write("me", "mx.example.org\n");
  write("rcpthosts", "example.org\n");
  write("smtpgreeting", "mx.example.org welcomes you\n");
  write("databytes", "5000\n");
  write("timeoutsmtpd", "30\n");
  write("badmailfrom", "@bad.example\n");
  write_cdb({"cdb.example"});
  auto fd = build();
  ASSERT_TRUE(fd.ok());
  auto snapshot = ControlSnapshot::open(std::move(fd.value()));
  ASSERT_TRUE(snapshot.ok());
  static const char* (*environment)(const char*) = [](const char* name) -> const char* {
    const std::string_view n(name);
    if (n == "TCPREMOTEIP") return "192.0.2.1";
    if (n == "RELAYCLIENT") return "";
    if (n == "DATABYTES") return "4000";
    return nullptr;
  };
  auto setup = smtpd::load_smtpd_setup(*snapshot, environment);
  ASSERT_TRUE(setup.ok()) << setup.error();
  EXPECT_EQ(setup->session.me, "mx.example.org");
  EXPECT_EQ(setup->session.greeting, "mx.example.org welcomes you");
  EXPECT_EQ(setup->session.local_ip_host, "mx.example.org");
  EXPECT_EQ(setup->session.databytes, 4000U);  // DATABYTES overrides control/databytes, as in qmail
  EXPECT_EQ(setup->timeout, std::chrono::seconds(30));
  EXPECT_EQ(setup->session.rcpthosts.accepts("host.cdb.example"), std::optional<bool>(false));
  EXPECT_EQ(setup->session.rcpthosts.accepts("cdb.example"), std::optional<bool>(true));
  EXPECT_TRUE(setup->session.badmailfrom.refuses("x@bad.example"));
  EXPECT_FALSE(setup->session.tls_offered);
  EXPECT_FALSE(setup->session.auth_offered);
  EXPECT_EQ(setup->client.remote_ip, "192.0.2.1");
  EXPECT_EQ(setup->client.relay_client, std::optional<std::string>(""));
}

TEST_F(ControlSnapshotTest, SmtpdSetupNeedsRcpthosts) {
  write("me", "mx.example.org\n");
  auto fd = build();
  ASSERT_TRUE(fd.ok());
  auto snapshot = ControlSnapshot::open(std::move(fd.value()));
  ASSERT_TRUE(snapshot.ok());
  auto setup = smtpd::load_smtpd_setup(*snapshot, [](const char*) -> const char* { return nullptr; });
  ASSERT_FALSE(setup.ok());
  EXPECT_EQ(setup.error(), "control/rcpthosts: required file is missing");
}

}  // namespace
}  // namespace qcell
