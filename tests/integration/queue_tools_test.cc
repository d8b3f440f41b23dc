// queue_tools_test.cc — the built `qcell queue`, `qmail-qread` and
// `qmail-qstat` programs against queues made under a temporary root (as
// root): init's owners, modes, fifo and idempotence, its refusals, list,
// show and count in text and JSON, the fsck exit codes, and usage errors.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "../unit/queue_fixture.h"
#include "confinement_trace.h"
#include "core/queue_layout.h"

namespace {

using qcell::queue::Dir;
using qcell::testing::FakeQueue;

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp_fd(int fd) {
  std::string text;
  ::lseek(fd, 0, SEEK_SET);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  return text;
}

// Runs bin/<program> with `args`; QCELL_ROOT is set to `root` when given.
Ran run(const std::string& program, const std::vector<std::string>& args, const std::string& root = "") {
  char out_name[] = "/tmp/qcell-qtools-out-XXXXXX";
  char err_name[] = "/tmp/qcell-qtools-err-XXXXXX";
  int out = ::mkstemp(out_name);
  int err = ::mkstemp(err_name);
  ::unlink(out_name);
  ::unlink(err_name);
  const std::string path = std::string(QCELL_BINARY_DIR "/bin/") + program;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (root.empty()) {
      ::unsetenv("QCELL_ROOT");
    } else {
      ::setenv("QCELL_ROOT", root.c_str(), 1);
    }
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  Ran ran;
  int status = 0;
  ::waitpid(pid, &status, 0);
  ran.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ran.out = slurp_fd(out);
  ran.err = slurp_fd(err);
  ::close(out);
  ::close(err);
  return ran;
}

Ran qcell_queue(const std::vector<std::string>& args) { return run("qcell", args); }

std::vector<std::string> with_root(const FakeQueue& q, std::vector<std::string> args) {
  args.insert(args.begin(), "queue");
  args.push_back("--root");
  args.push_back(q.root());
  return args;
}

uid_t uid_of(const char* name) {
  const passwd* pw = ::getpwnam(name);
  if (pw == nullptr) std::abort();
  return pw->pw_uid;
}

gid_t qmail_gid() {
  const group* gr = ::getgrnam("qmail");
  if (gr == nullptr) std::abort();
  return gr->gr_gid;
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) ADD_FAILURE() << "missing " << path;
  return st;
}

void expect_owned(const std::string& path, const char* user, mode_t mode) {
  struct stat st = lstat_of(path);
  EXPECT_EQ(st.st_uid, uid_of(user)) << path;
  EXPECT_EQ(st.st_gid, qmail_gid()) << path;
  EXPECT_EQ(st.st_mode & 07777, mode) << path;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class QueueTools : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown to qmail's accounts)";
    if (::getpwnam("qmailq") == nullptr || ::getgrnam("qmail") == nullptr) GTEST_SKIP() << "no qmail accounts";
  }
};

TEST_F(QueueTools, InitCreatesEverythingWithOwnersAndModes) {
  FakeQueue q(false);  // ROOT/queue exists as root:root 0755
  Ran first = qcell_queue(with_root(q, {"init"}));
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("owner queue 0:0 -> qmailq:qmail\n"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("mode queue 0755 -> 0750\n"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("created queue/mess/22 qmailq:qmail 0750\n"), std::string::npos) << first.out;
  expect_owned(q.queue_path(), "qmailq", 0750);
  for (const qcell::queue::DirEntry& entry : qcell::queue::dir_table()) {
    const char* owner = entry.owner == qcell::queue::Owner::qmailq ? "qmailq" : "qmails";
    expect_owned(q.path(entry.name), owner, entry.mode);
    for (std::uint64_t s = 0; entry.split && s < qcell::queue::split; ++s) {
      expect_owned(q.path(std::string(entry.name) + "/" + std::to_string(s)), owner, entry.mode);
    }
    EXPECT_EQ(::access(q.path(std::string(entry.name) + "/23").c_str(), F_OK), -1);
  }
  expect_owned(q.path("lock/sendmutex"), "qmails", 0600);
  expect_owned(q.path("lock/tcpto"), "qmailr", 0644);
  expect_owned(q.path("lock/trigger"), "qmails", 0622);
  EXPECT_TRUE(S_ISFIFO(lstat_of(q.path("lock/trigger")).st_mode));
  EXPECT_TRUE(S_ISREG(lstat_of(q.path("lock/sendmutex")).st_mode));
  EXPECT_EQ(lstat_of(q.path("lock/tcpto")).st_size, 1024);
  EXPECT_EQ(lstat_of(q.path("lock/sendmutex")).st_size, 0);

  Ran again = qcell_queue(with_root(q, {"init"}));
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, "queue " + q.queue_path() + " ok: 0 changes\n");

  // Damage is fixed and reported; nothing is removed.
  ASSERT_EQ(::chmod(q.path("todo").c_str(), 0777), 0);
  ASSERT_EQ(::chown(q.path("info/3").c_str(), 0, 0), 0);
  ASSERT_EQ(::truncate(q.path("lock/tcpto").c_str(), 10), 0);
  q.write("todo/5", "keep");
  Ran fixed = qcell_queue(with_root(q, {"init"}));
  EXPECT_EQ(fixed.code, 0) << fixed.err;
  EXPECT_NE(fixed.out.find("mode queue/todo 0777 -> 0750\n"), std::string::npos) << fixed.out;
  EXPECT_NE(fixed.out.find("owner queue/info/3 0:0 -> qmails:qmail\n"), std::string::npos) << fixed.out;
  EXPECT_NE(fixed.out.find("size queue/lock/tcpto 10 -> 1024\n"), std::string::npos) << fixed.out;
  EXPECT_NE(fixed.out.find("ok: 3 changes"), std::string::npos) << fixed.out;
  expect_owned(q.path("todo"), "qmailq", 0750);
  expect_owned(q.path("info/3"), "qmails", 0700);
  EXPECT_TRUE(q.exists("todo/5"));
}

TEST_F(QueueTools, InitRefusesSymlinksAndWrongTypes) {
  FakeQueue real(false);
  FakeQueue other(false);
  ASSERT_EQ(::rmdir(other.queue_path().c_str()), 0);
  ASSERT_EQ(::symlink(real.queue_path().c_str(), other.queue_path().c_str()), 0);
  Ran linked = qcell_queue(with_root(other, {"init"}));
  EXPECT_EQ(linked.code, 100);
  EXPECT_NE(linked.err.find("queue is a symlink"), std::string::npos) << linked.err;
  EXPECT_EQ(::access(real.path("mess").c_str(), F_OK), -1);  // nothing made through the link

  FakeQueue q(false);
  ASSERT_EQ(::mkdir(q.path("lock").c_str(), 0750), 0);
  q.write("lock/trigger", "not a fifo");
  Ran typed = qcell_queue(with_root(q, {"init"}));
  EXPECT_EQ(typed.code, 100);
  EXPECT_NE(typed.err.find("queue/lock/trigger exists and is not a named pipe"), std::string::npos) << typed.err;
  EXPECT_TRUE(q.exists("lock/trigger"));

  FakeQueue s(false);
  ASSERT_EQ(::symlink("/tmp", s.path("todo").c_str()), 0);
  Ran dir_link = qcell_queue(with_root(s, {"init"}));
  EXPECT_EQ(dir_link.code, 100);
  EXPECT_NE(dir_link.err.find("queue/todo is a symlink"), std::string::npos) << dir_link.err;

  Ran missing_root = qcell_queue({"queue", "init", "--root", "/nonexistent/qcell-root"});
  EXPECT_EQ(missing_root.code, 111);
}

class PopulatedQueue : public QueueTools {
 protected:
  void SetUp() override {
    QueueTools::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(qcell_queue(with_root(q, {"init"})).code, 0);
    q.reopen();
    queued = q.add_queued_message("s\x01\xff@x", {{"l@x", true}}, {{"r@y", false}});
    todo = q.add_todo_message("t@x", {"a@b", "c@d"});
  }
  FakeQueue q{false};
  std::uint64_t queued = 0;
  std::uint64_t todo = 0;
};

TEST_F(PopulatedQueue, ListShowCount) {
  Ran list = qcell_queue(with_root(q, {"list"}));
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(lines(list.out), 2u) << list.out;
  EXPECT_NE(list.out.find("#" + std::to_string(queued) + "  queued  "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("<s__@x>  2 recipients (1 done)"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("#" + std::to_string(todo) + "  todo  "), std::string::npos) << list.out;

  Ran json = qcell_queue(with_root(q, {"list", "--json"}));
  EXPECT_EQ(json.code, 0);
  EXPECT_EQ(lines(json.out), 2u);
  EXPECT_NE(json.out.find("\"sender\":\"s\\u0001\\udcff@x\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("{\"channel\":\"unsorted\",\"address\":\"a@b\",\"done\":false}"), std::string::npos);
  for (char c : json.out) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << static_cast<int>(c);

  Ran show = qcell_queue(with_root(q, {"show", std::to_string(queued)}));
  EXPECT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("state: queued\nbirth: "), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("recipient: remote todo r@y\n"), std::string::npos) << show.out;
  Ran show_json = qcell_queue(with_root(q, {"show", "--json", std::to_string(todo)}));
  EXPECT_EQ(show_json.code, 0);
  EXPECT_EQ(show_json.out.rfind("{\"id\":" + std::to_string(todo) + ",\"state\":\"todo\"", 0), 0u) << show_json.out;
  Ran none = qcell_queue(with_root(q, {"show", "1"}));
  EXPECT_EQ(none.code, 100);
  EXPECT_EQ(none.err, "qcell queue show: no message #1\n");

  Ran count = qcell_queue(with_root(q, {"count", "--json"}));
  EXPECT_EQ(count.code, 0);
  EXPECT_EQ(count.out, "{\"messages\":2,\"todo\":1,\"injecting\":0,\"queued\":1,\"broken\":0}\n");
}

TEST_F(PopulatedQueue, QreadAndQstat) {
  Ran qstat = run("qmail-qstat", {}, q.root());
  EXPECT_EQ(qstat.code, 0) << qstat.err;
  EXPECT_EQ(qstat.out, "messages in queue: 2\nmessages in queue but not yet preprocessed: 1\n");

  Ran qread = run("qmail-qread", {}, q.root());
  EXPECT_EQ(qread.code, 0) << qread.err;
  EXPECT_EQ(lines(qread.out), 3u) << qread.out;
  EXPECT_NE(qread.out.find(" GMT  #" + std::to_string(queued) + "  "), std::string::npos) << qread.out;
  EXPECT_NE(qread.out.find("  <s__@x> \n  done\tlocal\tl@x\n\tremote\tr@y\n"), std::string::npos) << qread.out;
  EXPECT_EQ(qread.err, "");

  Ran missing = run("qmail-qstat", {}, "/nonexistent/qcell-root");
  EXPECT_EQ(missing.code, 111);
  EXPECT_NE(missing.err.find("qmail-qstat: fatal: unable to open /nonexistent/qcell-root/queue"), std::string::npos);
  Ran missing_qread = run("qmail-qread", {}, "/nonexistent/qcell-root");
  EXPECT_EQ(missing_qread.code, 111);
}

// qmail-qread and qmail-qstat confine themselves (policy/qmail-qread.policy,
// policy/qmail-qstat.policy) once ROOT/queue is open, before they open
// anything beneath it (qmail-qread starts with info/, qmail-qstat with mess/).
TEST_F(PopulatedQueue, QreadAndQstatConfineThemselvesBeforeReadingTheQueue) {
  const std::string bin = QCELL_BINARY_DIR "/bin/";
  // `qcell queue list` too (policy/qcell.policy); it starts with pid/.
  for (const auto& [argv, first] :
       {std::pair{std::vector<std::string>{bin + "qmail-qread"}, "\"info/"},
        std::pair{std::vector<std::string>{bin + "qmail-qstat"}, "\"mess/"},
        std::pair{std::vector<std::string>{bin + "qcell", "queue", "list", "--root", q.root()}, "\"pid"}}) {
    SCOPED_TRACE(argv.back());
    std::string trace_path = q.root() + "/trace";
    qcell::testing::Traced traced =
        qcell::testing::run_traced(argv, {{"QCELL_ROOT", q.root()}}, "/dev/null", trace_path);
    EXPECT_EQ(traced.exit_code, 0) << traced.trace;
    EXPECT_TRUE(qcell::testing::confined_before(traced.trace, "openat2(", first));
    ::unlink(trace_path.c_str());
  }
}

// Confined, `qcell queue fsck --repair` still moves a file into its right
// split directory (rename beneath the queue) and removes a leftover.
TEST_F(PopulatedQueue, ConfinedFsckRepairMovesAndRemoves) {
  const std::string right = q.at(Dir::info, queued);
  const std::string wrong = "info/" + std::to_string((queued % 23 + 1) % 23) + "/" + std::to_string(queued);
  ASSERT_EQ(::rename(q.path(right).c_str(), q.path(wrong).c_str()), 0);
  q.write("pid/77.1.1", "");
  Ran repaired = qcell_queue(with_root(q, {"fsck", "--repair", "--age", "0"}));
  EXPECT_EQ(repaired.code, 2) << repaired.out << repaired.err;
  EXPECT_TRUE(q.exists(right));
  EXPECT_FALSE(q.exists(wrong));
  EXPECT_FALSE(q.exists("pid/77.1.1"));
}

TEST_F(PopulatedQueue, FsckExitCodes) {
  Ran clean = qcell_queue(with_root(q, {"fsck"}));
  EXPECT_EQ(clean.code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out, "fsck: 0 findings, 0 repaired, 0 remaining, 0 recent kept\n");

  std::uint64_t unfinished = q.add_mess();
  const std::string mess = q.at(Dir::mess, unfinished);
  Ran recent = qcell_queue(with_root(q, {"fsck", "--repair"}));  // the 36-hour default
  EXPECT_EQ(recent.code, 0) << recent.out;
  EXPECT_NE(recent.out.find("unfinished-injection " + mess + " kept: "), std::string::npos) << recent.out;
  EXPECT_TRUE(q.exists(mess));

  Ran found = qcell_queue(with_root(q, {"fsck", "--age", "0"}));
  EXPECT_EQ(found.code, 1) << found.out;
  EXPECT_NE(found.out.find("unfinished-injection " + mess + " would remove " + mess), std::string::npos) << found.out;
  EXPECT_TRUE(q.exists(mess));

  Ran json = qcell_queue(with_root(q, {"fsck", "--json", "--age", "0"}));
  EXPECT_EQ(json.code, 1);
  EXPECT_EQ(json.out.rfind("{\"kind\":\"unfinished-injection\",\"path\":\"" + mess +
                               "\",\"outcome\":\"would-repair\",\"repairable\":true,",
                           0),
            0u)
      << json.out;
  EXPECT_EQ(lines(json.out), 1u);

  Ran repaired = qcell_queue(with_root(q, {"fsck", "--repair", "--age", "0"}));
  EXPECT_EQ(repaired.code, 2) << repaired.out;
  EXPECT_FALSE(q.exists(mess));
  EXPECT_TRUE(q.exists(q.at(Dir::mess, queued)));
  EXPECT_TRUE(q.exists(q.at(Dir::mess, todo)));
  EXPECT_EQ(qcell_queue(with_root(q, {"fsck"})).code, 0);

  q.put(Dir::todo, 1000009, qcell::testing::envelope_bytes("s", {"r"}));
  Ran unrepairable = qcell_queue(with_root(q, {"fsck", "--repair", "--age", "0"}));
  EXPECT_EQ(unrepairable.code, 1);
  EXPECT_NE(unrepairable.out.find("todo-without-mess todo/1000009 cannot repair"), std::string::npos)
      << unrepairable.out;
  EXPECT_TRUE(q.exists("todo/1000009"));
}

TEST_F(QueueTools, UsageAndSystemErrors) {
  FakeQueue q;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{{"queue"},
                                                                                    {"queue", "frobnicate"},
                                                                                    {"queue", "show"},
                                                                                    {"queue", "show", "12x"},
                                                                                    {"queue", "show", "1", "2"},
                                                                                    {"queue", "fsck", "--age"},
                                                                                    {"queue", "fsck", "--age", "-1"},
                                                                                    {"queue", "list", "--repair"},
                                                                                    {"queue", "init", "--json"},
                                                                                    {"queue", "count", "--root"}}) {
    Ran ran = qcell_queue(args);
    EXPECT_EQ(ran.code, 100) << args.size() << " " << args.back();
    EXPECT_NE(ran.err.find("usage: qcell queue"), std::string::npos);
  }
  Ran missing = qcell_queue({"queue", "list", "--root", "/nonexistent/qcell-root"});
  EXPECT_EQ(missing.code, 111);

  FakeQueue linked(false);
  ASSERT_EQ(::rmdir(linked.queue_path().c_str()), 0);
  ASSERT_EQ(::symlink(q.queue_path().c_str(), linked.queue_path().c_str()), 0);
  for (const char* sub : {"list", "count", "fsck"}) {
    Ran ran = qcell_queue({"queue", sub, "--root", linked.root()});
    EXPECT_EQ(ran.code, 100) << sub;
    EXPECT_NE(ran.err.find("is a symlink"), std::string::npos) << ran.err;
  }
  Ran qstat = run("qmail-qstat", {}, linked.root());
  EXPECT_EQ(qstat.code, 111);
  EXPECT_NE(qstat.err.find("symlink"), std::string::npos) << qstat.err;
}

}  // namespace
