// queue_store_test.cc — qmail-send's queue files on a real queue layout.
#include "qmail-send/queue_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "core/queue_layout.h"
#include "qmail-send/sender.h"
#include "test_files.h"

namespace qcell::send {
namespace {

class QueueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& e : queue::dir_table()) {
      std::string dir = root_.path() + "/" + std::string(e.name);
      ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
      for (std::uint64_t i = 0; e.split && i < queue::split; ++i) {
        ASSERT_EQ(::mkdir((dir + "/" + std::to_string(i)).c_str(), 0700), 0);
      }
    }
    auto queue = open_directory(root_.path().c_str());
    ASSERT_TRUE(queue.ok());
    store_ = std::make_unique<QueueStore>(std::move(queue.value()));
    rules_.envnoathost = "mx.test";
    rules_.locals = {"mx.test"};
  }
  void put(const std::string& path, std::string_view bytes) {
    std::ofstream(root_.path() + "/" + path, std::ios::binary) << bytes;
  }
  std::string get(const std::string& path) { return slurp(root_.path() + "/" + path); }
  static std::string slurp(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return fd ? drain(fd.get()) : std::string("(missing)");
  }
  bool exists(const std::string& path) { return ::access((root_.path() + "/" + path).c_str(), F_OK) == 0; }

  TempDir root_;
  std::unique_ptr<QueueStore> store_;
  RewriteRules rules_;
};

TEST_F(QueueStoreTest, PreprocessesTodoIntoInfoLocalAndRemote) {
  // Message 47 lives in split directory 47 % 23 = 1.
  put("mess/1/47", "Subject: x\n\nbody\n");
  put("todo/47", std::string("u1000\0p42\0Fbob@example.org\0Tjoe@mx.test\0Tann@far.example\0Tsam\0", 62));
  auto pre = store_->preprocess(47, rules_);
  ASSERT_TRUE(pre.ok()) << pre.error();
  EXPECT_EQ(pre->uid, 1000u);
  EXPECT_EQ(pre->pid, 42u);
  EXPECT_EQ(get("info/1/47"), std::string("Fbob@example.org\0", 17));
  EXPECT_EQ(get("local/1/47"), std::string("Tjoe@mx.test\0Tsam@mx.test\0", 26));
  EXPECT_EQ(get("remote/1/47"), std::string("Tann@far.example\0", 17));
  const StoredMessage& m = pre->message;
  EXPECT_EQ(m.sender, "bob@example.org");
  ASSERT_EQ(m.recipients[0].size(), 2u);
  EXPECT_EQ(m.recipients[0][1].address, "sam@mx.test");
  EXPECT_EQ(m.recipients[0][1].offset, 13u);
  EXPECT_EQ(m.bytes, 17u);
  EXPECT_FALSE(m.has_bounce);
  ASSERT_TRUE(store_->sync().ok());
  // todo/ stays: removing it is qmail-clean's.
  EXPECT_TRUE(exists("todo/47"));
}

TEST_F(QueueStoreTest, AMessageWithoutRemoteRecipientsHasNoRemoteFile) {
  put("remote/1/47", "stale from an earlier try");
  put("todo/47", std::string("u1\0p2\0F\0Tjoe@mx.test\0", 21));
  ASSERT_TRUE(store_->preprocess(47, rules_).ok());
  EXPECT_FALSE(exists("remote/1/47"));
}

TEST_F(QueueStoreTest, ACorruptTodoIsRefused) {
  put("todo/47", std::string("u1\0p2\0Tjoe@mx.test\0", 19));  // no F
  auto pre = store_->preprocess(47, rules_);
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.error().find("todo/47"), std::string::npos);
  EXPECT_FALSE(exists("info/1/47"));
}

TEST_F(QueueStoreTest, MarksDoneInPlace) {
  put("info/1/47", std::string("Fb@x\0", 5));
  put("local/1/47", std::string("Tjoe@mx.test\0Tsam@mx.test\0", 26));
  auto loaded = store_->load(47);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(store_->mark_done(47, Channel::local, loaded->recipients[0][1].offset).ok());
  EXPECT_EQ(get("local/1/47"), std::string("Tjoe@mx.test\0Dsam@mx.test\0", 26));
  auto again = store_->load(47);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->recipients[0][0].done);
  EXPECT_TRUE(again->recipients[0][1].done);
}

TEST_F(QueueStoreTest, BounceRecordsAppendAndDropACutShortTail) {
  ASSERT_TRUE(store_->add_bounce(47, "joe@mx.test", "Sorry, no mailbox here by that name. (#5.1.1)").ok());
  // A crash while appending left half a pair: the next append replaces it.
  std::string first = get("bounce/47");
  put("bounce/47", first + std::string("Tsam@mx", 7));
  ASSERT_TRUE(store_->add_bounce(47, "ann@mx.test", "looping (#5.4.6)").ok());
  auto failed = store_->read_bounces(47);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[1].address, "ann@mx.test");
  EXPECT_EQ(get("bounce/47"), first + encode_bounce_record("ann@mx.test", "looping (#5.4.6)"));
  ASSERT_TRUE(store_->remove_bounce(47).ok());
  EXPECT_TRUE(store_->read_bounces(47)->empty());
}

TEST_F(QueueStoreTest, SavesTheNextTryAsTheMtime) {
  put("info/1/47", std::string("Fb@x\0", 5));
  put("local/1/47", std::string("Tjoe@mx.test\0", 13));
  ASSERT_TRUE(store_->save_next_try(47, Channel::local, 2000000000).ok());
  auto loaded = store_->load(47);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->next_try[0], 2000000000);
  EXPECT_EQ(loaded->next_try[1], 0);
}

TEST_F(QueueStoreTest, FinishRemovesEverythingButTheMessage) {
  for (const char* path : {"info/1/47", "local/1/47", "remote/1/47", "bounce/47", "mess/1/47"}) put(path, "x");
  ASSERT_TRUE(store_->finish(47).ok());
  for (const char* path : {"info/1/47", "local/1/47", "remote/1/47", "bounce/47"}) EXPECT_FALSE(exists(path)) << path;
  EXPECT_TRUE(exists("mess/1/47"));  // qmail-clean's
  ASSERT_TRUE(store_->finish(47).ok());  // again: nothing left is fine
}

TEST(Outcome, MapsExitsAsQmailLspawn) {
  EXPECT_EQ(outcome_of_exit(false, 0), Outcome::success);
  for (int code : {111, 71, 74, 75}) EXPECT_EQ(outcome_of_exit(false, code), Outcome::deferral) << code;
  for (int code : {100, 1, 64, 112, 255}) EXPECT_EQ(outcome_of_exit(false, code), Outcome::failure) << code;
  EXPECT_EQ(outcome_of_exit(true, 9), Outcome::deferral);
  EXPECT_EQ(outcome_of_exit(true, 31), Outcome::deferral);  // SIGSYS: a cell killed by its filter
}

}  // namespace
}  // namespace qcell::send
