// queue_scan_test.cc — reading fake queues: the index (ids, misplaced files,
// bad names, irregular files, missing directories), every message state,
// sender, recipients, size and birth, symlinks never followed, fifos never
// blocking, oversized files reported and not read, and the entry bound.
#include "core/queue_scan.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "queue_fixture.h"

namespace qcell::queue {
namespace {

using testing::FakeQueue;

QueueIndex index_of(const FakeQueue& q) {
  auto index = index_queue(q.dir());
  if (!index.ok()) {
    ADD_FAILURE() << describe(index.error());
    return {};
  }
  return std::move(index.value());
}

std::size_t count_odd(const QueueIndex& index, OddEntry::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(index.odd.begin(), index.odd.end(), [&](const OddEntry& o) { return o.kind == kind; }));
}

const OddEntry* find_odd(const QueueIndex& index, std::string_view path) {
  for (const OddEntry& odd : index.odd) {
    if (odd.path == path) return &odd;
  }
  return nullptr;
}

bool has_problem(const Message& m, std::string_view path, std::string_view text) {
  return std::any_of(m.problems.begin(), m.problems.end(),
                     [&](const FileProblem& p) { return p.path == path && p.problem.find(text) != std::string::npos; });
}

// --- the index ------------------------------------------------------------------------

TEST(QueueScanIndex, EmptyQueue) {
  FakeQueue q;
  QueueIndex index = index_of(q);
  EXPECT_TRUE(index.complete);
  EXPECT_TRUE(index.messages.empty());
  EXPECT_TRUE(index.pid_files.empty());
  EXPECT_TRUE(index.odd.empty());
}

TEST(QueueScanIndex, FindsEveryFileOfAMessage) {
  FakeQueue q;
  std::uint64_t todo = q.add_todo_message("s@x", {"r@y"});
  std::uint64_t queued = q.add_queued_message("s@x", {{"l@x", false}}, {{"r@y", true}});
  q.put(Dir::bounce, queued, "failure\n");
  q.write("pid/123.456.1", "");
  QueueIndex index = index_of(q);
  EXPECT_TRUE(index.complete);
  ASSERT_EQ(index.messages.size(), 2u);
  EXPECT_EQ(index.messages[todo].present, bit(Dir::mess) | bit(Dir::intd) | bit(Dir::todo));
  EXPECT_EQ(index.messages[queued].present,
            bit(Dir::mess) | bit(Dir::info) | bit(Dir::local) | bit(Dir::remote) | bit(Dir::bounce));
  EXPECT_EQ(index.messages[queued].misplaced, 0);
  EXPECT_EQ(index.messages[queued].irregular, 0);
  EXPECT_EQ(index.pid_files, std::vector<std::string>{"123.456.1"});
  EXPECT_TRUE(index.odd.empty());
}

TEST(QueueScanIndex, MisplacedFileIsPresentAndReported) {
  FakeQueue q;
  const std::uint64_t id = 28;  // belongs in subdirectory 5
  q.write("mess/4/28", "x");
  QueueIndex index = index_of(q);
  ASSERT_TRUE(index.messages.count(id));
  EXPECT_TRUE(index.messages[id].has(Dir::mess));
  EXPECT_EQ(index.messages[id].misplaced, bit(Dir::mess));
  const OddEntry* odd = find_odd(index, "mess/4/28");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->kind, OddEntry::Kind::misplaced);
  EXPECT_EQ(odd->id, id);
  EXPECT_EQ(odd->subdir, 4u);
}

TEST(QueueScanIndex, BadNamesAreReportedNotCounted) {
  FakeQueue q;
  q.write("todo/abc", "");
  q.write("todo/012", "");  // not canonical: qmail never writes it
  q.write("mess/5/28x", "");
  q.write("mess/readme", "");
  q.mkdir_or_die(q.path("info/23"));  // no subdirectory 23 with conf-split 23
  std::string weird = "todo/a\nb\xff";
  q.write(weird, "");
  QueueIndex index = index_of(q);
  EXPECT_TRUE(index.messages.empty());
  EXPECT_EQ(count_odd(index, OddEntry::Kind::bad_name), 6u);
  EXPECT_NE(find_odd(index, "mess/readme"), nullptr);
  EXPECT_NE(find_odd(index, "info/23"), nullptr);
  EXPECT_NE(find_odd(index, weird), nullptr);
  EXPECT_TRUE(index.complete);
}

TEST(QueueScanIndex, IrregularEntriesAreFlagged) {
  FakeQueue q;
  q.symlink("/etc/passwd", "todo/99");
  q.mkdir_or_die(q.path("intd/98"));
  ASSERT_EQ(::mkfifo(q.path("pid/fifo").c_str(), 0600), 0);
  QueueIndex index = index_of(q);
  EXPECT_EQ(index.messages[99].irregular, bit(Dir::todo));
  EXPECT_EQ(index.messages[98].irregular, bit(Dir::intd));
  EXPECT_TRUE(index.pid_files.empty());
  EXPECT_EQ(count_odd(index, OddEntry::Kind::not_regular), 3u);
}

TEST(QueueScanIndex, MissingDirectoriesMakeTheIndexIncomplete) {
  FakeQueue q;
  ASSERT_EQ(::rmdir(q.path("local/7").c_str()), 0);
  ASSERT_EQ(::rmdir(q.path("bounce").c_str()), 0);
  QueueIndex index = index_of(q);
  EXPECT_FALSE(index.complete);
  EXPECT_EQ(count_odd(index, OddEntry::Kind::missing_directory), 2u);
  EXPECT_NE(find_odd(index, "local/7"), nullptr);
  EXPECT_NE(find_odd(index, "bounce"), nullptr);
}

TEST(QueueScanIndex, SymlinkedDirectoryIsNotFollowed) {
  FakeQueue q;
  FakeQueue elsewhere;
  elsewhere.write("mess/5/28", "x");
  ASSERT_EQ(::rmdir(q.path("mess/5").c_str()), 0);
  q.symlink(elsewhere.path("mess/5"), "mess/5");
  QueueIndex index = index_of(q);
  EXPECT_FALSE(index.complete);
  EXPECT_EQ(index.messages.count(28), 0u);
  const OddEntry* odd = find_odd(index, "mess/5");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->kind, OddEntry::Kind::not_regular);
  auto ids = list_ids(q.dir(), Dir::mess);
  ASSERT_FALSE(ids.ok());
  // O_DIRECTORY|O_NOFOLLOW on a symlink: ELOOP or ENOTDIR, never followed.
  EXPECT_TRUE(ids.error().sys_errno == ELOOP || ids.error().sys_errno == ENOTDIR) << ids.error().sys_errno;
}

TEST(QueueScanIndex, EntryBound) {
  FakeQueue q;
  // A split directory holds 23 entries itself.
  for (int i = 1; i <= 23; ++i) q.write("todo/" + std::to_string(i), "");
  ScanLimits limits;
  limits.max_entries_per_directory = 23;
  EXPECT_TRUE(index_queue(q.dir(), limits).ok());
  q.write("todo/24", "");
  auto index = index_queue(q.dir(), limits);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().kind, ScanErrc::too_many_entries);
  EXPECT_EQ(index.error().path, "todo");
  EXPECT_EQ(describe(index.error()), "too many entries in todo");
}

TEST(QueueScanIndex, ListIds) {
  FakeQueue q;
  std::uint64_t a = q.add_queued_message("s", {{"l", false}}, {});
  std::uint64_t b = q.add_queued_message("s", {}, {{"r", false}});
  q.write("info/0/not-a-number", "");
  auto ids = list_ids(q.dir(), Dir::info);
  ASSERT_TRUE(ids.ok());
  std::sort(ids->begin(), ids->end());
  std::vector<std::uint64_t> expected{a, b};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*ids, expected);
  auto none = list_ids(q.dir(), Dir::todo);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// --- messages ----------------------------------------------------------------------------

TEST(QueueScanMessage, InjectingWithoutAndWithIntd) {
  FakeQueue q;
  std::uint64_t s2 = q.add_mess("12345");
  Message m = read_message(q.dir(), s2);
  EXPECT_EQ(m.id, s2);
  EXPECT_EQ(m.state, MessageState::injecting);
  EXPECT_EQ(m.files, bit(Dir::mess));
  EXPECT_EQ(m.size, 5u);
  EXPECT_FALSE(m.sender.has_value());
  EXPECT_TRUE(m.recipients.empty());
  EXPECT_TRUE(m.problems.empty());

  std::uint64_t s3 = q.add_mess();
  q.put(Dir::intd, s3, testing::record('u', "1"));  // half written
  m = read_message(q.dir(), s3);
  EXPECT_EQ(m.state, MessageState::injecting);
  EXPECT_EQ(m.files, bit(Dir::mess) | bit(Dir::intd));
  EXPECT_TRUE(m.problems.empty());  // intd/ is never judged: it may be being written
}

TEST(QueueScanMessage, TodoStateReadsTheEnvelope) {
  FakeQueue q;
  std::uint64_t id = q.add_todo_message("s@x", {"a@y", "b@z"});
  q.age(q.at(Dir::mess, id), 3600);
  Message m = read_message(q.dir(), id);
  EXPECT_EQ(m.state, MessageState::todo);
  EXPECT_EQ(m.files, bit(Dir::mess) | bit(Dir::intd) | bit(Dir::todo));
  ASSERT_TRUE(m.sender.has_value());
  EXPECT_EQ(*m.sender, "s@x");
  ASSERT_EQ(m.recipients.size(), 2u);
  EXPECT_EQ(m.recipients[0].address, "a@y");
  EXPECT_EQ(m.recipients[0].channel, Channel::unsorted);
  EXPECT_FALSE(m.recipients[0].done);
  struct stat st {};
  ASSERT_EQ(::stat(q.path(q.at(Dir::mess, id)).c_str(), &st), 0);
  EXPECT_EQ(m.birth, st.st_mtime);  // no info/ yet: the message file's time
}

TEST(QueueScanMessage, TodoWinsOverALeftoverInfo) {
  // A crash during preprocessing leaves todo and a partial info (S4).
  FakeQueue q;
  std::uint64_t id = q.add_todo_message("s@x", {"a@y"});
  q.put(Dir::info, id, "");
  Message m = read_message(q.dir(), id);
  EXPECT_EQ(m.state, MessageState::todo);
  EXPECT_EQ(m.sender, "s@x");
  EXPECT_TRUE(m.problems.empty());
}

TEST(QueueScanMessage, QueuedStateReadsInfoLocalRemote) {
  FakeQueue q;
  std::uint64_t id = q.add_queued_message("", {{"l1@x", true}, {"l2@x", false}}, {{"r1@y", false}});
  q.put(Dir::bounce, id, "x");
  q.age(q.at(Dir::info, id), 7200);
  Message m = read_message(q.dir(), id);
  EXPECT_EQ(m.state, MessageState::queued);
  EXPECT_TRUE(m.has(Dir::bounce));
  EXPECT_EQ(m.sender, "");
  ASSERT_EQ(m.recipients.size(), 3u);
  EXPECT_EQ(m.recipients[0].address, "l1@x");
  EXPECT_EQ(m.recipients[0].channel, Channel::local);
  EXPECT_TRUE(m.recipients[0].done);
  EXPECT_EQ(m.recipients[1].channel, Channel::local);
  EXPECT_FALSE(m.recipients[1].done);
  EXPECT_EQ(m.recipients[2].channel, Channel::remote);
  struct stat st {};
  ASSERT_EQ(::stat(q.path(q.at(Dir::info, id)).c_str(), &st), 0);
  EXPECT_EQ(m.birth, st.st_mtime);  // info's mtime is the birth
  struct stat mess {};
  ASSERT_EQ(::stat(q.path(q.at(Dir::mess, id)).c_str(), &mess), 0);
  EXPECT_NE(m.birth, mess.st_mtime);
  EXPECT_EQ(m.size, static_cast<std::uint64_t>(mess.st_size));
}

TEST(QueueScanMessage, BrokenLeftoverAbsent) {
  FakeQueue q;
  q.put(Dir::todo, 77, testing::envelope_bytes("s", {"r"}));
  EXPECT_EQ(read_message(q.dir(), 77).state, MessageState::broken);
  q.put(Dir::info, 78, testing::info_bytes("s"));
  EXPECT_EQ(read_message(q.dir(), 78).state, MessageState::broken);
  q.put(Dir::intd, 79, "");
  EXPECT_EQ(read_message(q.dir(), 79).state, MessageState::leftover);
  q.put(Dir::bounce, 80, "");
  EXPECT_EQ(read_message(q.dir(), 80).state, MessageState::leftover);
  Message none = read_message(q.dir(), 81);
  EXPECT_EQ(none.state, MessageState::absent);
  EXPECT_EQ(none.files, 0);
}

TEST(QueueScanMessage, MisplacedFileIsNotSeen) {
  FakeQueue q;
  q.write("info/4/28", testing::info_bytes("s"));
  Message m = read_message(q.dir(), 28);
  EXPECT_EQ(m.state, MessageState::absent);
}

TEST(QueueScanMessage, BadRecordsAreProblemsNotFailures) {
  FakeQueue q;
  std::uint64_t id = q.add_queued_message("s", {{"l", false}}, {});
  q.put(Dir::remote, id, "Tcut");
  Message m = read_message(q.dir(), id);
  EXPECT_EQ(m.state, MessageState::queued);
  EXPECT_EQ(m.recipients.size(), 1u);
  EXPECT_TRUE(has_problem(m, q.at(Dir::remote, id), "unterminated record at byte 0"));

  std::uint64_t bad = q.add_mess();
  q.put(Dir::todo, bad, "Xjunk");
  Message t = read_message(q.dir(), bad);
  EXPECT_EQ(t.state, MessageState::todo);
  EXPECT_FALSE(t.sender.has_value());
  EXPECT_TRUE(has_problem(t, q.at(Dir::todo, bad), "unterminated record"));
}

TEST(QueueScanMessage, OversizedFileIsReportedNotRead) {
  FakeQueue q;
  std::uint64_t id = q.add_todo_message("s", {"r"});
  RecordLimits limits;
  limits.max_file = 8;
  Message m = read_message(q.dir(), id, limits);
  EXPECT_FALSE(m.sender.has_value());
  EXPECT_TRUE(has_problem(m, q.at(Dir::todo, id), "file too large"));
  EXPECT_TRUE(has_problem(m, q.at(Dir::todo, id), "limit 8"));
}

TEST(QueueScanMessage, SymlinksAreNeverFollowed) {
  FakeQueue q;
  FakeQueue elsewhere;
  elsewhere.write("secret", testing::envelope_bytes("leak@secret", {"x"}));
  std::uint64_t id = q.add_mess();
  q.symlink(elsewhere.path("secret"), q.at(Dir::todo, id));
  Message m = read_message(q.dir(), id);
  EXPECT_EQ(m.state, MessageState::todo);  // something is there: not assumed absent
  EXPECT_FALSE(m.sender.has_value());
  EXPECT_TRUE(has_problem(m, q.at(Dir::todo, id), "symlink"));

  // A symlink for a whole split subdirectory: nothing beneath it is read.
  elsewhere.write("info/5/28", testing::info_bytes("leak@secret"));
  ASSERT_EQ(::rmdir(q.path("info/5").c_str()), 0);
  q.symlink(elsewhere.path("info/5"), "info/5");
  Message through = read_message(q.dir(), 28);
  EXPECT_FALSE(through.sender.has_value());
  EXPECT_TRUE(has_problem(through, "info/5/28", "symlink"));
}

TEST(QueueScanMessage, FifoDoesNotBlock) {
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  ASSERT_EQ(::mkfifo(q.path(q.at(Dir::todo, id)).c_str(), 0600), 0);
  Message m = read_message(q.dir(), id);
  EXPECT_EQ(m.state, MessageState::todo);
  EXPECT_TRUE(has_problem(m, q.at(Dir::todo, id), "not a regular file"));
}

TEST(QueueScanFile, ReadQueueFile) {
  FakeQueue q;
  q.write("todo/5", "abc");
  auto bytes = read_queue_file(q.dir(), "todo/5", 3);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 3u);
  auto big = read_queue_file(q.dir(), "todo/5", 2);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, FileReadError::Kind::too_large);
  EXPECT_EQ(big.error().size, 3u);
  EXPECT_EQ(describe(big.error(), 2), "file too large (3 bytes, limit 2)");
  q.symlink("5", "todo/6");
  auto link = read_queue_file(q.dir(), "todo/6", 100);
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.error().sys_errno, ELOOP);
  auto missing = read_queue_file(q.dir(), "todo/7", 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  auto escape = read_queue_file(q.dir(), "../queue/todo/5", 100);
  EXPECT_FALSE(escape.ok());
}

TEST(QueueScanNames, StatesAndChannels) {
  EXPECT_EQ(state_name(MessageState::injecting), "injecting");
  EXPECT_EQ(state_name(MessageState::todo), "todo");
  EXPECT_EQ(state_name(MessageState::queued), "queued");
  EXPECT_EQ(state_name(MessageState::broken), "broken");
  EXPECT_EQ(channel_name(Channel::local), "local");
  EXPECT_EQ(channel_name(Channel::remote), "remote");
  EXPECT_EQ(channel_name(Channel::unsorted), "unsorted");
}

}  // namespace
}  // namespace qcell::queue
