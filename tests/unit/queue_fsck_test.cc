// queue_fsck_test.cc — the consistency checker on fake queues: every kind of
// finding, what a dry run and a repair do, the age threshold, the rule that
// an acknowledged message (todo/N or info/N) is never removed, wrong split
// subdirectories moved and never overwritten, symlinks never followed, an
// incomplete listing removing nothing, the exit codes, and the finding
// table against docs/queue-tools.md.
#include "core/queue_fsck.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/queue_report.h"
#include "queue_fixture.h"

namespace qcell::queue {
namespace {

using testing::FakeQueue;

constexpr std::int64_t hours = 3600;

FsckOptions dry(std::int64_t age = 0) {
  FsckOptions options;
  options.min_age_seconds = age;
  return options;
}

FsckOptions repair(std::int64_t age = 0) {
  FsckOptions options = dry(age);
  options.repair = true;
  return options;
}

FsckReport run(const FakeQueue& q, const FsckOptions& options) {
  auto report = fsck_queue(q.dir(), options);
  if (!report.ok()) {
    ADD_FAILURE() << describe(report.error());
    return {};
  }
  return std::move(report.value());
}

// The one finding with this kind and path (a test failure if not exactly one).
Finding only(const FsckReport& report, FindingKind kind, std::string_view path) {
  std::vector<Finding> matches;
  for (const Finding& f : report.findings) {
    if (f.kind == kind && f.path == path) matches.push_back(f);
  }
  if (matches.size() != 1) {
    std::string all;
    for (const Finding& f : report.findings) all += finding_text(f);
    ADD_FAILURE() << "expected one " << finding_name(kind) << " " << path << ", got " << matches.size() << ":\n" << all;
    return {};
  }
  return matches[0];
}

std::string all_text(const FsckReport& report) {
  std::string all;
  for (const Finding& f : report.findings) all += finding_text(f);
  return all;
}

// --- a consistent queue -----------------------------------------------------------------

TEST(QueueFsck, ConsistentQueueHasNoFindings) {
  FakeQueue q;
  q.add_todo_message("s@x", {"r@y"});
  std::uint64_t queued = q.add_queued_message("s@x", {{"l@x", true}}, {{"r@y", false}});
  q.put(Dir::bounce, queued, "failure text");
  // Partial preprocessing next to todo/ is normal S4.
  std::uint64_t s4 = q.add_todo_message("s", {"r"});
  q.put(Dir::local, s4, "");
  FsckReport report = run(q, repair());
  EXPECT_TRUE(report.findings.empty()) << all_text(report);
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.exit_code(), fsck_exit_clean);
}

// --- pid/ -------------------------------------------------------------------------------

TEST(QueueFsck, OrphanPidFile) {
  FakeQueue q;
  q.write("pid/100.1700000000.1", "partial");
  q.age("pid/100.1700000000.1", 40 * hours);
  FsckReport dry_run = run(q, dry(default_cleanup_age_seconds));
  Finding f = only(dry_run, FindingKind::orphan_pid, "pid/100.1700000000.1");
  EXPECT_EQ(f.outcome, Outcome::would_repair);
  EXPECT_NE(f.action.find("would remove pid/100.1700000000.1"), std::string::npos) << f.action;
  EXPECT_EQ(dry_run.exit_code(), fsck_exit_problems);
  EXPECT_TRUE(q.exists("pid/100.1700000000.1"));

  FsckReport fixed = run(q, repair(default_cleanup_age_seconds));
  EXPECT_EQ(only(fixed, FindingKind::orphan_pid, "pid/100.1700000000.1").outcome, Outcome::repaired);
  EXPECT_EQ(fixed.exit_code(), fsck_exit_repaired);
  EXPECT_FALSE(q.exists("pid/100.1700000000.1"));
  EXPECT_TRUE(run(q, repair()).findings.empty());
}

TEST(QueueFsck, RecentPidFileIsKept) {
  FakeQueue q;
  q.write("pid/200.1.1", "");
  FsckReport report = run(q, repair(default_cleanup_age_seconds));
  Finding f = only(report, FindingKind::orphan_pid, "pid/200.1.1");
  EXPECT_EQ(f.outcome, Outcome::kept_recent);
  EXPECT_NE(f.action.find("under the age limit of 129600 seconds"), std::string::npos) << f.action;
  EXPECT_TRUE(q.exists("pid/200.1.1"));
  EXPECT_EQ(report.exit_code(), fsck_exit_clean);  // may be a qmail-queue at work: not a problem
}

// --- unfinished injections (S2/S3) ---------------------------------------------------------

TEST(QueueFsck, UnfinishedInjectionWithoutIntd) {
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  const std::string mess = q.at(Dir::mess, id);
  FsckReport dry_run = run(q, dry());
  Finding f = only(dry_run, FindingKind::unfinished_injection, mess);
  EXPECT_EQ(f.outcome, Outcome::would_repair);
  EXPECT_TRUE(q.exists(mess));

  FsckReport fixed = run(q, repair());
  f = only(fixed, FindingKind::unfinished_injection, mess);
  EXPECT_EQ(f.outcome, Outcome::repaired);
  EXPECT_EQ(f.action.rfind("removed " + mess, 0), 0u) << f.action;
  EXPECT_FALSE(q.exists(mess));
  EXPECT_EQ(fixed.exit_code(), fsck_exit_repaired);
}

TEST(QueueFsck, UnfinishedInjectionWithIntdRemovesBoth) {
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  q.put(Dir::intd, id, testing::record('u', "1"));
  FsckReport fixed = run(q, repair());
  Finding f = only(fixed, FindingKind::unfinished_injection, q.at(Dir::mess, id));
  EXPECT_EQ(f.outcome, Outcome::repaired);
  EXPECT_EQ(f.action.rfind("removed " + q.at(Dir::intd, id) + " and " + q.at(Dir::mess, id), 0), 0u) << f.action;
  EXPECT_FALSE(q.exists(q.at(Dir::intd, id)));
  EXPECT_FALSE(q.exists(q.at(Dir::mess, id)));
  // Removing intd/ too is part of this finding, not an orphan-intd of its own.
  EXPECT_EQ(fixed.findings.size(), 1u) << all_text(fixed);
}

TEST(QueueFsck, AgeThreshold) {
  FakeQueue q;
  std::uint64_t young = q.add_mess();
  std::uint64_t old = q.add_mess();
  q.age(q.at(Dir::mess, old), 37 * hours);
  std::uint64_t old_with_new_intd = q.add_mess();
  q.age(q.at(Dir::mess, old_with_new_intd), 37 * hours);
  q.put(Dir::intd, old_with_new_intd, "");  // written just now: its qmail-queue may be alive

  FsckReport report = run(q, repair(default_cleanup_age_seconds));
  EXPECT_EQ(only(report, FindingKind::unfinished_injection, q.at(Dir::mess, young)).outcome, Outcome::kept_recent);
  EXPECT_EQ(only(report, FindingKind::unfinished_injection, q.at(Dir::mess, old)).outcome, Outcome::repaired);
  EXPECT_EQ(only(report, FindingKind::unfinished_injection, q.at(Dir::mess, old_with_new_intd)).outcome,
            Outcome::kept_recent);
  EXPECT_TRUE(q.exists(q.at(Dir::mess, young)));
  EXPECT_FALSE(q.exists(q.at(Dir::mess, old)));
  EXPECT_TRUE(q.exists(q.at(Dir::mess, old_with_new_intd)));
  EXPECT_EQ(report.exit_code(), fsck_exit_repaired);

  // A shorter age removes the young ones too.
  FsckReport shorter = run(q, repair(0));
  EXPECT_EQ(shorter.count(Outcome::repaired), 2u);
  EXPECT_FALSE(q.exists(q.at(Dir::mess, young)));
}

TEST(QueueFsck, DefaultAgeIsQmails36Hours) {
  EXPECT_EQ(FsckOptions{}.min_age_seconds, 36 * hours);
  EXPECT_FALSE(FsckOptions{}.repair);
}

// --- acknowledged messages are never removed ------------------------------------------------

TEST(QueueFsck, NeverRemovesAnAcknowledgedMessage) {
  FakeQueue q;
  std::uint64_t todo = q.add_todo_message("s", {"r"});
  std::uint64_t queued = q.add_queued_message("s", {{"l", false}}, {});
  std::uint64_t todo_no_mess = 1000001;
  q.put(Dir::todo, todo_no_mess, testing::envelope_bytes("s", {"r"}));
  q.put(Dir::intd, todo_no_mess, testing::envelope_bytes("s", {"r"}));
  std::uint64_t info_no_mess = 1000002;
  q.put(Dir::info, info_no_mess, testing::info_bytes("s"));
  q.put(Dir::local, info_no_mess, testing::recipient_bytes({{"l", false}}));
  std::uint64_t todo_bounce = q.add_todo_message("s", {"r"});
  q.put(Dir::bounce, todo_bounce, "old report");
  std::vector<std::string> files;
  for (std::uint64_t id : {todo, queued, todo_no_mess, info_no_mess, todo_bounce}) {
    for (Dir dir : {Dir::mess, Dir::intd, Dir::todo, Dir::info, Dir::local, Dir::remote, Dir::bounce}) {
      if (q.exists(q.at(dir, id))) {
        files.push_back(q.at(dir, id));
        q.age(q.at(dir, id), 1000 * hours);
      }
    }
  }
  FsckReport report = run(q, repair(0));
  for (const std::string& file : files) EXPECT_TRUE(q.exists(file)) << file << " removed\n" << all_text(report);
  EXPECT_EQ(only(report, FindingKind::todo_without_mess, q.at(Dir::todo, todo_no_mess)).outcome, Outcome::reported);
  EXPECT_EQ(only(report, FindingKind::info_without_mess, q.at(Dir::info, info_no_mess)).outcome, Outcome::reported);
  Finding bounce = only(report, FindingKind::orphan_bounce, q.at(Dir::bounce, todo_bounce));
  EXPECT_EQ(bounce.outcome, Outcome::reported);
  EXPECT_NE(bounce.action.find("todo/"), std::string::npos);
  EXPECT_EQ(report.count(Outcome::repaired), 0u);
  EXPECT_EQ(report.exit_code(), fsck_exit_problems);
}

TEST(QueueFsck, SymlinkInPlaceOfTodoProtectsTheMessage) {
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  q.symlink("/nonexistent", q.at(Dir::todo, id));
  FsckReport report = run(q, repair());
  EXPECT_TRUE(q.exists(q.at(Dir::mess, id)));
  EXPECT_EQ(only(report, FindingKind::not_regular, q.at(Dir::todo, id)).outcome, Outcome::reported);
  EXPECT_EQ(report.findings.size(), 1u) << all_text(report);
}

// --- orphans ------------------------------------------------------------------------------------

TEST(QueueFsck, OrphanIntd) {
  FakeQueue q;
  q.put(Dir::intd, 4242, "u1");
  FsckReport report = run(q, repair());
  EXPECT_EQ(only(report, FindingKind::orphan_intd, "intd/4242").outcome, Outcome::repaired);
  EXPECT_FALSE(q.exists("intd/4242"));
}

TEST(QueueFsck, OrphanLocalRemoteBounce) {
  FakeQueue q;
  q.put(Dir::local, 46, testing::recipient_bytes({{"a", true}}));
  q.put(Dir::remote, 47, testing::recipient_bytes({{"b", false}}));
  q.put(Dir::bounce, 48, "report");
  FsckReport dry_run = run(q, dry());
  EXPECT_EQ(only(dry_run, FindingKind::orphan_local, "local/0/46").outcome, Outcome::would_repair);
  EXPECT_EQ(only(dry_run, FindingKind::orphan_remote, "remote/1/47").outcome, Outcome::would_repair);
  EXPECT_EQ(only(dry_run, FindingKind::orphan_bounce, "bounce/48").outcome, Outcome::would_repair);
  EXPECT_TRUE(q.exists("local/0/46"));

  FsckReport fixed = run(q, repair());
  EXPECT_EQ(fixed.count(Outcome::repaired), 3u) << all_text(fixed);
  EXPECT_FALSE(q.exists("local/0/46"));
  EXPECT_FALSE(q.exists("remote/1/47"));
  EXPECT_FALSE(q.exists("bounce/48"));
  EXPECT_EQ(fixed.exit_code(), fsck_exit_repaired);
}

// --- wrong split subdirectory -----------------------------------------------------------------

TEST(QueueFsck, WrongSplitIsMovedNeverRemoved) {
  FakeQueue q;
  std::uint64_t id = q.add_queued_message("s", {{"l", false}}, {});
  const std::string right = q.at(Dir::info, id);
  const std::string wrong = "info/" + std::to_string((split_of(id) + 1) % split) + "/" + std::to_string(id);
  ASSERT_EQ(::rename(q.path(right).c_str(), q.path(wrong).c_str()), 0);

  FsckReport dry_run = run(q, dry());
  Finding f = only(dry_run, FindingKind::wrong_split, wrong);
  EXPECT_EQ(f.outcome, Outcome::would_repair);
  EXPECT_EQ(f.action, "would move to " + right);
  // Still counts as present: the message is not mistaken for an unfinished injection.
  EXPECT_EQ(dry_run.findings.size(), 1u) << all_text(dry_run);
  EXPECT_TRUE(q.exists(wrong));

  FsckReport fixed = run(q, repair());
  EXPECT_EQ(only(fixed, FindingKind::wrong_split, wrong).outcome, Outcome::repaired);
  EXPECT_EQ(fixed.findings.size(), 1u) << all_text(fixed);
  EXPECT_FALSE(q.exists(wrong));
  EXPECT_TRUE(q.exists(right));
  EXPECT_EQ(read_message(q.dir(), id).state, MessageState::queued);
  EXPECT_TRUE(run(q, repair()).findings.empty());
}

TEST(QueueFsck, WrongSplitNeverOverwrites) {
  FakeQueue q;
  std::uint64_t id = q.add_mess("original");
  q.put(Dir::todo, id, testing::envelope_bytes("s", {"r"}));
  const std::string wrong = "mess/" + std::to_string((split_of(id) + 3) % split) + "/" + std::to_string(id);
  q.write(wrong, "impostor");
  FsckReport report = run(q, repair());
  Finding f = only(report, FindingKind::wrong_split, wrong);
  EXPECT_EQ(f.outcome, Outcome::repair_failed);
  EXPECT_NE(f.action.find("File exists"), std::string::npos) << f.action;
  EXPECT_TRUE(q.exists(wrong));
  auto bytes = read_queue_file(q.dir(), q.at(Dir::mess, id), 100);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()), "original");
  EXPECT_EQ(report.exit_code(), fsck_exit_problems);
}

TEST(QueueFsck, MisplacedMessageFileIsNotRemovedAsAnInjection) {
  FakeQueue q;
  q.write("mess/4/28", "x");  // 28 belongs in mess/5, and has no todo or info
  FsckReport report = run(q, dry());
  EXPECT_EQ(only(report, FindingKind::wrong_split, "mess/4/28").outcome, Outcome::would_repair);
  Finding f = only(report, FindingKind::unfinished_injection, "mess/5/28");
  EXPECT_EQ(f.outcome, Outcome::reported);
  EXPECT_NE(f.action.find("wrong split"), std::string::npos) << f.action;
  EXPECT_TRUE(q.exists("mess/4/28"));
}

// --- what is only reported ---------------------------------------------------------------------

TEST(QueueFsck, BadNamesAreOnlyReported) {
  FakeQueue q;
  q.write("todo/core", "");
  q.write("mess/notes.txt", "");
  q.write("info/3/x1", "");
  FsckReport report = run(q, repair());
  EXPECT_EQ(only(report, FindingKind::bad_name, "todo/core").outcome, Outcome::reported);
  EXPECT_EQ(only(report, FindingKind::bad_name, "mess/notes.txt").outcome, Outcome::reported);
  EXPECT_EQ(only(report, FindingKind::bad_name, "info/3/x1").outcome, Outcome::reported);
  EXPECT_TRUE(q.exists("todo/core"));
  EXPECT_TRUE(q.exists("mess/notes.txt"));
  EXPECT_TRUE(q.exists("info/3/x1"));
  EXPECT_EQ(report.exit_code(), fsck_exit_problems);
}

TEST(QueueFsck, SymlinksAreNeitherFollowedNorRemoved) {
  FakeQueue q;
  FakeQueue elsewhere;
  elsewhere.write("victim", "keep me");
  elsewhere.age("victim", 1000 * hours);
  q.symlink(elsewhere.path("victim"), "pid/777.1.1");
  q.symlink(elsewhere.path("victim"), "intd/777");
  FsckReport report = run(q, repair());
  EXPECT_EQ(only(report, FindingKind::not_regular, "pid/777.1.1").outcome, Outcome::reported);
  EXPECT_EQ(only(report, FindingKind::not_regular, "intd/777").outcome, Outcome::reported);
  EXPECT_TRUE(q.exists("pid/777.1.1"));
  EXPECT_TRUE(q.exists("intd/777"));
  EXPECT_TRUE(elsewhere.exists("victim"));
  EXPECT_EQ(report.count(Outcome::repaired), 0u) << all_text(report);
}

TEST(QueueFsck, IncompleteListingRemovesNothing) {
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  ASSERT_EQ(::rmdir(q.path("info/" + std::to_string(split_of(id))).c_str()), 0);
  q.write("pid/1.2.3", "");
  FsckReport report = run(q, repair());
  EXPECT_FALSE(report.complete);
  EXPECT_EQ(only(report, FindingKind::missing_directory, "info/" + std::to_string(split_of(id))).outcome,
            Outcome::reported);
  Finding f = only(report, FindingKind::unfinished_injection, q.at(Dir::mess, id));
  EXPECT_EQ(f.outcome, Outcome::reported);
  EXPECT_NE(f.action.find("could not be listed completely"), std::string::npos);
  EXPECT_TRUE(q.exists(q.at(Dir::mess, id)));
  EXPECT_TRUE(q.exists("pid/1.2.3"));
  EXPECT_EQ(report.exit_code(), fsck_exit_problems);
}

TEST(QueueFsck, InodeMismatch) {
  FakeQueue q;
  q.write("mess/0/23", "copied from a backup");
  q.put(Dir::todo, 23, testing::envelope_bytes("s", {"r"}));
  FsckReport report = run(q, repair());
  Finding f = only(report, FindingKind::inode_mismatch, "mess/0/23");
  EXPECT_EQ(f.outcome, Outcome::reported);
  EXPECT_TRUE(q.exists("mess/0/23"));
}

TEST(QueueFsck, BadRecordsAndOversizedFiles) {
  FakeQueue q;
  std::uint64_t todo = q.add_mess();
  q.put(Dir::todo, todo, "u1");  // cut short
  std::uint64_t queued = q.add_queued_message("s", {{"l", false}}, {});
  q.put(Dir::info, queued, std::string(200, 'F'));
  std::uint64_t remote = q.add_queued_message("s", {}, {{"r", false}});
  q.put(Dir::remote, remote, testing::record('X', "r"));
  // info/ and local/ next to todo/ may be half rewritten by qmail-send: not judged.
  std::uint64_t s4 = q.add_todo_message("s", {"r"});
  q.put(Dir::info, s4, "F");
  FsckOptions options = repair();
  options.records.max_file = 100;
  FsckReport report = run(q, options);
  Finding cut = only(report, FindingKind::bad_records, q.at(Dir::todo, todo));
  EXPECT_EQ(cut.outcome, Outcome::reported);
  EXPECT_NE(cut.action.find("unterminated record at byte 0"), std::string::npos) << cut.action;
  Finding big = only(report, FindingKind::bad_records, q.at(Dir::info, queued));
  EXPECT_NE(big.action.find("file too large (200 bytes, limit 100)"), std::string::npos) << big.action;
  Finding letter = only(report, FindingKind::bad_records, q.at(Dir::remote, remote));
  EXPECT_NE(letter.action.find("unknown record letter"), std::string::npos) << letter.action;
  EXPECT_EQ(report.findings.size(), 3u) << all_text(report);
  EXPECT_TRUE(q.exists(q.at(Dir::info, queued)));
  EXPECT_EQ(report.exit_code(), fsck_exit_problems);
}

TEST(QueueFsck, MissingQueueDirectoryIsReported) {
  FakeQueue q(false);
  FsckReport report = run(q, repair());
  EXPECT_FALSE(report.complete);
  EXPECT_EQ(only(report, FindingKind::missing_directory, "todo").outcome, Outcome::reported);
  EXPECT_EQ(only(report, FindingKind::missing_directory, "mess").action, "missing: run `qcell queue init`");
  EXPECT_EQ(report.exit_code(), fsck_exit_problems);
}

TEST(QueueFsck, ListingErrorFailsWithoutRemoving) {
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  for (int i = 0; i < 4; ++i) q.write("bounce/" + std::to_string(900 + i), "");
  FsckOptions options = repair();
  options.scan.max_entries_per_directory = 3;
  auto report = fsck_queue(q.dir(), options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().kind, ScanErrc::too_many_entries);
  EXPECT_TRUE(q.exists(q.at(Dir::mess, id)));
}

TEST(QueueFsck, MessWithTodoButNoIntdIsAccepted) {
  // S4 after qmail-clean removed intd/ but not yet todo/: nothing to do.
  FakeQueue q;
  std::uint64_t id = q.add_mess();
  q.put(Dir::todo, id, testing::envelope_bytes("s", {"r"}));
  FsckReport report = run(q, repair());
  EXPECT_TRUE(report.findings.empty()) << all_text(report);
  EXPECT_TRUE(q.exists(q.at(Dir::mess, id)));
}

// --- output and the table ------------------------------------------------------------------------

TEST(QueueFsckOutput, TextAndJsonLines) {
  Finding f{FindingKind::bad_name, "todo/a b\n\xff\"", Outcome::reported, "left alone: not a message id"};
  EXPECT_EQ(finding_text(f), "bad-name todo/a\\x20b\\x0a\\xff\" left alone: not a message id\n");
  EXPECT_EQ(finding_json(f),
            "{\"kind\":\"bad-name\",\"path\":\"todo/a b\\n\\udcff\\\"\",\"outcome\":\"reported\","
            "\"repairable\":false,\"action\":\"left alone: not a message id\"}\n");
  Finding repaired{FindingKind::orphan_pid, "pid/1.2.3", Outcome::repaired, "removed pid/1.2.3"};
  EXPECT_EQ(finding_json(repaired),
            "{\"kind\":\"orphan-pid\",\"path\":\"pid/1.2.3\",\"outcome\":\"repaired\",\"repairable\":true,"
            "\"action\":\"removed pid/1.2.3\"}\n");
}

TEST(QueueFsckOutput, ExitCodes) {
  FsckReport report;
  EXPECT_EQ(report.exit_code(), 0);
  report.findings.push_back(Finding{FindingKind::orphan_pid, "pid/x", Outcome::kept_recent, ""});
  EXPECT_EQ(report.exit_code(), 0);
  report.findings.push_back(Finding{FindingKind::orphan_pid, "pid/y", Outcome::repaired, ""});
  EXPECT_EQ(report.exit_code(), 2);
  report.findings.push_back(Finding{FindingKind::bad_name, "todo/z", Outcome::reported, ""});
  EXPECT_EQ(report.exit_code(), 1);
  report.findings.back().outcome = Outcome::repair_failed;
  EXPECT_EQ(report.exit_code(), 1);
  report.findings.back().outcome = Outcome::would_repair;
  EXPECT_EQ(report.exit_code(), 1);
}

TEST(QueueFsckTable, NamesAreStableDistinctAndDocumented) {
  std::ifstream in(QCELL_SOURCE_DIR "/docs/queue-tools.md");
  std::stringstream docs;
  docs << in.rdbuf();
  ASSERT_FALSE(docs.str().empty());
  std::set<std::string_view> names;
  for (const FindingKindEntry& entry : finding_kinds()) {
    EXPECT_EQ(finding_name(entry.kind), entry.name);
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_NE(docs.str().find("`" + std::string(entry.name) + "`"), std::string::npos)
        << entry.name << " is not in docs/queue-tools.md";
  }
  for (Outcome outcome :
       {Outcome::reported, Outcome::would_repair, Outcome::repaired, Outcome::repair_failed, Outcome::kept_recent}) {
    EXPECT_NE(docs.str().find("`" + std::string(outcome_name(outcome)) + "`"), std::string::npos)
        << outcome_name(outcome) << " is not in docs/queue-tools.md";
  }
  EXPECT_EQ(finding_name(FindingKind::orphan_pid), "orphan-pid");
  EXPECT_EQ(finding_name(FindingKind::unfinished_injection), "unfinished-injection");
  EXPECT_EQ(finding_name(FindingKind::wrong_split), "wrong-split");
}

}  // namespace
}  // namespace qcell::queue
