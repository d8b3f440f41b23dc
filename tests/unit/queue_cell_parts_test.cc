// queue_cell_parts_test.cc — the pure parts of the queue cell and layout:
// the Received: line's exact text and bound, message file names in their
// split directories, message id parsing, docs/queue.md listing every
// exit code of queue_exit.h with its meaning, control/queuesync's values,
// and the filesystems a syncfs commit covers.
#include <errno.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include <fstream>
#include <sstream>
#include <string>

#include "core/queue_exit.h"
#include "core/queue_layout.h"
#include "qmail-queue/injection.h"
#include "qmail-queue/queue_dirs.h"
#include "qmail-queue/received_line.h"
#include "queue_fixture.h"

namespace qcell::queue {
namespace {

TEST(ReceivedLine, HasQmailsTextForEveryOrigin) {
  std::time_t when = 1795444200;  // 2026-11-23 14:30:00 UTC
  EXPECT_EQ(received_line(QueueJob{1, 1000, 4242, QueueOrigin::user}, when),
            "Received: (qmail 4242 invoked by uid 1000); 23 Nov 2026 14:30:00 -0000\n");
  EXPECT_EQ(received_line(QueueJob{1, 7, 1, QueueOrigin::network}, when),
            "Received: (qmail 1 invoked from network); 23 Nov 2026 14:30:00 -0000\n");
  EXPECT_EQ(received_line(QueueJob{1, 7, 1, QueueOrigin::bounce}, when),
            "Received: (qmail 1 invoked for bounce); 23 Nov 2026 14:30:00 -0000\n");
  EXPECT_EQ(received_line(QueueJob{1, 7, 1, QueueOrigin::alias}, when),
            "Received: (qmail 1 invoked by alias); 23 Nov 2026 14:30:00 -0000\n");
  std::string longest = received_line(QueueJob{~0ULL, ~0U, ~0U, QueueOrigin::user}, when);
  EXPECT_LE(longest.size(), received_line_max);
  EXPECT_EQ(longest.back(), '\n');
}

TEST(QueueLayout, MessagePathsUseTheSplitDirectories) {
  EXPECT_EQ(MessagePath(Dir::mess, 11034944).view(), "mess/4/11034944");
  EXPECT_EQ(MessagePath(Dir::todo, 11034944).view(), "todo/11034944");
  EXPECT_EQ(MessagePath(Dir::intd, 5).view(), "intd/5");
  EXPECT_EQ(MessagePath(Dir::remote, ~0ULL).view(), "remote/" + std::to_string(~0ULL % 23) + "/18446744073709551615");
  EXPECT_EQ(SplitDirPath(Dir::info, 46).view(), "info/0");
  EXPECT_EQ(SplitDirPath(Dir::todo, 46).view(), "todo");
  for (const DirEntry& e : dir_table()) EXPECT_EQ(&dir_entry(e.dir), &e);
  EXPECT_TRUE(dir_entry(Dir::mess).split && dir_entry(Dir::info).split && dir_entry(Dir::local).split &&
              dir_entry(Dir::remote).split);
  EXPECT_FALSE(dir_entry(Dir::todo).split || dir_entry(Dir::intd).split || dir_entry(Dir::pid).split);
}

TEST(QueueLayout, MessageIdsAreCanonicalDecimal) {
  EXPECT_EQ(parse_message_id("0"), 0u);
  EXPECT_EQ(parse_message_id("18446744073709551615"), ~0ULL);
  for (const char* bad : {"", "01", "1a", "-1", "+1", " 1", "18446744073709551616", "123456789012345678901"}) {
    EXPECT_FALSE(parse_message_id(bad)) << bad;
  }
}

TEST(QueueExit, QmailCloseMappingForUnlistedCodes) {
  EXPECT_TRUE(describe_exit(0).ok);
  EXPECT_TRUE(describe_exit(11).permanent);
  EXPECT_TRUE(describe_exit(25).permanent);
  EXPECT_FALSE(describe_exit(53).permanent);
  EXPECT_FALSE(describe_exit(99).permanent);
  EXPECT_EQ(describe_exit(53).reply, "qq write error or disk full (#4.3.0)");
  EXPECT_TRUE(describe_exit(115).permanent);
  EXPECT_EQ(describe_exit(120).reply, "unable to exec qq (#4.3.0)");
}

TEST(QueueExit, DocsListEveryCodeWithItsMeaning) {
  std::ifstream in(QCELL_SOURCE_DIR "/docs/queue.md");
  std::stringstream text;
  text << in.rdbuf();
  for (const ExitEntry& e : exit_table()) {
    std::string row = "| " + std::to_string(static_cast<int>(e.code)) + " | " + std::string(e.meaning) + " | " +
                      (e.code == Exit::ok ? "-" : e.permanent ? "permanent" : "temporary") + " | " +
                      (e.reply.empty() ? "-" : std::string(e.reply)) + " |";
    EXPECT_NE(text.str().find(row), std::string::npos) << "docs/queue.md lacks the row\n" << row;
  }
}

TEST(QueueSync, ControlValuesAreSyncfsOrFsync) {
  EXPECT_EQ(parse_sync_mode(""), SyncMode::filesystem);  // an empty file: the default
  EXPECT_EQ(parse_sync_mode("syncfs"), SyncMode::filesystem);
  EXPECT_EQ(parse_sync_mode("fsync"), SyncMode::files);
  for (const char* wrong : {"SYNCFS", "fsync2", "sync", "0", "fsync syncfs"}) {
    EXPECT_FALSE(parse_sync_mode(wrong).has_value()) << wrong;
  }
  EXPECT_EQ(sync_mode_name(SyncMode::filesystem), "syncfs");
  EXPECT_EQ(sync_mode_name(SyncMode::files), "fsync");
}

// syncfs covers one filesystem: a queue with one mess/ subdirectory mounted
// elsewhere needs two calls, one per filesystem.
TEST(QueueSync, EveryFilesystemHoldingMessOrIntdIsSynced) {
  testing::FakeQueue plain;
  auto dirs = QueueDirs::open(open_directory(plain.queue_path().c_str()).value());
  ASSERT_TRUE(dirs);
  EXPECT_EQ(dirs->filesystems.size(), 1u);

  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  testing::FakeQueue split_queue;
  std::string mounted = split_queue.path("mess/5");
  ASSERT_EQ(::mount("tmpfs", mounted.c_str(), "tmpfs", 0, "size=64k"), 0) << std::strerror(errno);
  {
    auto two = QueueDirs::open(open_directory(split_queue.queue_path().c_str()).value());
    ASSERT_TRUE(two);
    EXPECT_EQ(two->filesystems.size(), 2u);
    EXPECT_EQ(two->filesystems[0], two->intd.get());
    EXPECT_EQ(two->filesystems[1], two->mess[5].get());
  }
  ::umount2(mounted.c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace qcell::queue
