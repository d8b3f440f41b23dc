// inject_test.cc — the real qmail-inject and sendmail programs, run with a
// clean environment, QCELL_ROOT pointing at a temporary root with control
// files, and QMAILQUEUE pointing at a fake qmail-queue (a shell script that
// saves descriptors 0 and 1 and exits with a chosen code). Checks the exact
// message, envelope, standard output, standard error and exit status.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "confinement_trace.h"

namespace {

const std::string bin_dir = QCELL_BINARY_DIR "/bin";
const std::string qmail_inject = bin_dir + "/qmail-inject";
const std::string sendmail = bin_dir + "/sendmail";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Ran {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

class InjectRoot {
 public:
  InjectRoot() {
    char pattern[] = "/tmp/qcell-inject-it-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    root_ = pattern;
    ::mkdir((root_ + "/control").c_str(), 0755);
    ::mkdir((root_ + "/bin").c_str(), 0755);
    control("me", "me.example.org");
    control("defaultdomain", "example.org");
    control("idhost", "id.example.org");
    fake_queue(0);
  }
  ~InjectRoot() {
    if (std::system(("rm -rf '" + root_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot clean %s\n", root_.c_str());
  }
  void control(const std::string& name, const std::string& value) const {
    std::ofstream(root_ + "/control/" + name) << value << "\n";
  }
  // The fake queue: saves descriptor 0 and 1, exits with `code`.
  void fake_queue(int code) const {
    script("fake-queue", "cat > \"$DIR/message\"\ncat <&1 > \"$DIR/envelope\"\nexit " + std::to_string(code));
  }
  void script(const std::string& name, const std::string& body) const {
    const std::string path = root_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\nDIR='" << root_ << "'\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
  }
  [[nodiscard]] std::string path(const std::string& name) const { return root_ + "/" + name; }
  [[nodiscard]] std::string message() const { return slurp(root_ + "/message"); }
  [[nodiscard]] std::string envelope() const { return slurp(root_ + "/envelope"); }
  [[nodiscard]] bool queued() const { return ::access((root_ + "/envelope").c_str(), F_OK) == 0; }

  // The environment a test starts from: the root and the fake queue only.
  [[nodiscard]] std::map<std::string, std::string> environment() const {
    return {{"PATH", "/usr/bin:/bin"}, {"QCELL_ROOT", root_}, {"QMAILQUEUE", root_ + "/fake-queue"}};
  }

  // Runs `argv` with `environment`, `input` on descriptor 0; collects 1 and 2.
  Ran run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
          const std::string& input) const {
    std::ofstream(root_ + "/stdin", std::ios::binary) << input;
    const pid_t pid = ::fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      const int in = ::open((root_ + "/stdin").c_str(), O_RDONLY);
      const int out = ::open((root_ + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open((root_ + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::signal(SIGPIPE, SIG_DFL);
      std::vector<std::string> env_strings;
      for (const auto& [name, value] : environment) env_strings.push_back(name + "=" + value);
      std::vector<char*> env;
      for (std::string& entry : env_strings) env.push_back(entry.data());
      env.push_back(nullptr);
      std::vector<std::string> args = argv;
      std::vector<char*> arg_pointers;
      for (std::string& arg : args) arg_pointers.push_back(arg.data());
      arg_pointers.push_back(nullptr);
      ::execve(args[0].c_str(), arg_pointers.data(), env.data());
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    Ran ran;
    if (WIFEXITED(status)) ran.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) ran.signal = WTERMSIG(status);
    ran.out = slurp(root_ + "/stdout");
    ran.err = slurp(root_ + "/stderr");
    return ran;
  }

 private:
  std::string root_;
};

// A message that has Date: and Message-ID: already, so the output is exact.
const std::string dated = "Date: 1 Jan 2024 00:00:00 -0000\nMessage-ID: <fixed@id>\n";

std::string envelope_of(const std::string& sender, const std::vector<std::string>& recipients) {
  std::string encoded = "F" + sender + std::string(1, '\0');
  for (const std::string& recipient : recipients) encoded += "T" + recipient + std::string(1, '\0');
  return encoded + std::string(1, '\0');
}

// --- qmail-inject ------------------------------------------------------------------------

TEST(InjectProgram, PrintsRewrittenMessage) {
  InjectRoot root;
  const Ran ran = root.run({qmail_inject, "-n"}, root.environment(),
                           dated + "To: joe, Fred <fred@box>\nBcc: hidden\nReturn-Path: <rp>\n\nbody\n");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.err, "");
  EXPECT_EQ(ran.out, "Return-Path: <rp@me.example.org>\nFrom: anonymous@me.example.org\n" + dated +
                         "To: joe@me.example.org, Fred <fred@box.example.org>\n\nbody\n");
  EXPECT_FALSE(root.queued());
}

TEST(InjectProgram, AddsDateAndMessageId) {
  InjectRoot root;
  const Ran ran = root.run({qmail_inject, "-n"}, root.environment(), "To: a@b.c\n\nx\n");
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  // Return-Path, Date, Message-ID, From, To.
  std::istringstream lines(ran.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "Return-Path: <anonymous@me.example.org>");
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("Date: ", 0), 0u) << line;
  EXPECT_EQ(line.substr(line.size() - 6), " -0000") << line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("Message-ID: <", 0), 0u) << line;
  EXPECT_EQ(line.substr(line.size() - 22), ".qmail@id.example.org>") << line;
  std::getline(lines, line);
  EXPECT_EQ(line, "From: anonymous@me.example.org");
}

TEST(InjectProgram, QueuesMessageAndEnvelope) {
  InjectRoot root;
  const Ran ran = root.run({qmail_inject, "r1", "r2@x.example.com"}, root.environment(), dated + "Subject: s\n\nhi\n");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "");
  EXPECT_EQ(ran.err, "");
  EXPECT_EQ(root.message(),
            "From: anonymous@me.example.org\nCc: recipient list not shown: ;\n" + dated + "Subject: s\n\nhi\n");
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"r1@me.example.org", "r2@x.example.com"}));
}

TEST(InjectProgram, RecipientFlags) {
  InjectRoot root;
  const std::string message = dated + "To: t@x.y\nBcc: b@x.y\n\n";
  // -a: arguments only.
  EXPECT_EQ(root.run({qmail_inject, "-a", "arg@x.y"}, root.environment(), message).exit_code, 0);
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"arg@x.y"}));
  // -h: header only.
  EXPECT_EQ(root.run({qmail_inject, "-h", "arg@x.y"}, root.environment(), message).exit_code, 0);
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"t@x.y", "b@x.y"}));
  // -H: both.
  EXPECT_EQ(root.run({qmail_inject, "-H", "arg@x.y"}, root.environment(), message).exit_code, 0);
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"arg@x.y", "t@x.y", "b@x.y"}));
  // -A (default): arguments, else header.
  EXPECT_EQ(root.run({qmail_inject, "-A"}, root.environment(), message).exit_code, 0);
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"t@x.y", "b@x.y"}));
  EXPECT_EQ(root.message(), "From: anonymous@me.example.org\n" + dated + "To: t@x.y\n\n");
  // -N after -n queues again.
  EXPECT_EQ(root.run({qmail_inject, "-n", "-N", "-f", "s@x.y"}, root.environment(), message).exit_code, 0);
  EXPECT_EQ(root.envelope(), envelope_of("s@x.y", {"t@x.y", "b@x.y"}));
}

TEST(InjectProgram, EnvironmentVariables) {
  InjectRoot root;
  auto environment = root.environment();
  environment["QMAILUSER"] = "quser";
  environment["USER"] = "ignored";
  environment["QMAILHOST"] = "qhost";
  environment["QMAILNAME"] = "Q Name";
  environment["QMAILSUSER"] = "bounces";
  environment["QMAILSHOST"] = "bounce.example.net";
  EXPECT_EQ(root.run({qmail_inject, "r@x.y"}, environment, dated + "To: r@x.y\n\n").exit_code, 0);
  EXPECT_EQ(root.message(), "From: \"Q Name\" <quser@qhost.example.org>\n" + dated + "To: r@x.y\n\n");
  EXPECT_EQ(root.envelope(), envelope_of("bounces@bounce.example.net", {"r@x.y"}));

  environment = root.environment();
  environment["MAILUSER"] = "muser";
  environment["MAILHOST"] = "mhost.example.com";
  environment["MAILNAME"] = "M Name";
  environment["QMAILINJECT"] = "c";
  EXPECT_EQ(root.run({qmail_inject, "r@x.y"}, environment, dated + "To: r@x.y\n\n").exit_code, 0);
  EXPECT_EQ(root.message(), "From: muser@mhost.example.com (M Name)\n" + dated + "To: r@x.y\n\n");
  EXPECT_EQ(root.envelope(), envelope_of("muser@mhost.example.com", {"r@x.y"}));

  environment = root.environment();
  environment["LOGNAME"] = "lname";
  environment["NAME"] = "N";
  EXPECT_EQ(root.run({qmail_inject, "r@x.y"}, environment, dated + "To: r@x.y\n\n").exit_code, 0);
  EXPECT_EQ(root.message(), "From: \"N\" <lname@me.example.org>\n" + dated + "To: r@x.y\n\n");
}

TEST(InjectProgram, QmailInjectFlags) {
  InjectRoot root;
  auto environment = root.environment();
  environment["USER"] = "u";
  environment["QMAILINJECT"] = "sfi";
  const Ran ran = root.run({qmail_inject, "-n"}, environment,
                           "Date: d\nMessage-ID: <old@x>\nFrom: forged@x.y\nReturn-Path: <rp@x.y>\nTo: t@x.y\n\n");
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out.find("forged"), std::string::npos);
  EXPECT_EQ(ran.out.find("<old@x>"), std::string::npos);
  EXPECT_EQ(ran.out.rfind("Return-Path: <u@me.example.org>\n", 0), 0u) << ran.out;
  EXPECT_NE(ran.out.find("\nFrom: u@me.example.org\nDate: d\nTo: t@x.y\n"), std::string::npos) << ran.out;

  environment["QMAILINJECT"] = "r";
  EXPECT_EQ(root.run({qmail_inject, "r@x.y"}, environment, dated + "To: r@x.y\n\n").exit_code, 0);
  EXPECT_EQ(root.envelope(), envelope_of("u-@me.example.org-@[]", {"r@x.y"}));
}

TEST(InjectProgram, ControlFilesAndTheirOverrides) {
  InjectRoot root;
  root.control("defaulthost", "dh");
  root.control("plusdomain", "plus.example.net");
  const std::string message = dated + "To: bare, a@box, b@box+\n\n";
  const Ran files = root.run({qmail_inject, "-n"}, root.environment(), message);
  ASSERT_EQ(files.exit_code, 0) << files.err;
  EXPECT_NE(files.out.find("To: bare@dh.example.org, a@box.example.org, b@box.plus.example.net\n"), std::string::npos)
      << files.out;

  auto environment = root.environment();
  environment["QMAILDEFAULTHOST"] = "edh.example.com";
  environment["QMAILDEFAULTDOMAIN"] = "edd.example.com";
  environment["QMAILPLUSDOMAIN"] = "epd.example.com";
  environment["QMAILIDHOST"] = "eid.example.com";
  const Ran overridden = root.run({qmail_inject, "-n"}, environment, "To: bare, a@box, b@box+\n\n");
  ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
  EXPECT_NE(overridden.out.find("To: bare@edh.example.com, a@box.edd.example.com, b@box.epd.example.com\n"),
            std::string::npos)
      << overridden.out;
  EXPECT_NE(overridden.out.find(".qmail@eid.example.com>\n"), std::string::npos) << overridden.out;
}

TEST(InjectProgram, QueueExitCodesBecomeMessages) {
  InjectRoot root;
  struct Case {
    int queue_exit;
    int inject_exit;
    std::string text;
  };
  for (const Case& c :
       {Case{11, 100, "qq permanent problem: address too long (#5.1.3)"},
        Case{31, 100, "mail server permanently rejected message (#5.3.0)"}, Case{51, 111, "qq out of memory (#4.3.0)"},
        Case{53, 111, "qq write error or disk full (#4.3.0)"},
        Case{71, 111, "mail server temporarily rejected message (#4.3.0)"},
        Case{91, 111, "qq internal bug (#4.3.0)"}}) {
    root.fake_queue(c.queue_exit);
    const Ran ran = root.run({qmail_inject, "r@x.y"}, root.environment(), dated + "\n");
    EXPECT_EQ(ran.exit_code, c.inject_exit) << c.queue_exit;
    EXPECT_EQ(ran.err, "qmail-inject: fatal: " + c.text + "\n") << c.queue_exit;
  }
}

TEST(InjectProgram, QueueThatStopsReading) {
  InjectRoot root;
  root.script("fake-queue", "exec 0<&- 1>&-\nexit 53");
  const Ran ran = root.run({qmail_inject, "r@x.y"}, root.environment(), "To: r@x.y\n\n" + std::string(3000000, 'b'));
  EXPECT_EQ(ran.signal, 0);
  EXPECT_EQ(ran.exit_code, 111);
  EXPECT_EQ(ran.err, "qmail-inject: fatal: qq write error or disk full (#4.3.0)\n");
}

TEST(InjectProgram, QueueProgramMissingAndDefaultPath) {
  InjectRoot root;
  auto environment = root.environment();
  environment["QMAILQUEUE"] = root.path("nonexistent");
  const Ran missing = root.run({qmail_inject, "r@x.y"}, environment, "\n");
  EXPECT_EQ(missing.exit_code, 111);
  EXPECT_EQ(missing.err, "qmail-inject: fatal: unable to run " + root.path("nonexistent") +
                             ": No such file or directory (#4.3.0)\n");
  // Without QMAILQUEUE: <root>/bin/qmail-queue.
  environment.erase("QMAILQUEUE");
  root.script("bin/qmail-queue", "cat > \"$DIR/message\"\ncat <&1 > \"$DIR/envelope\"\nexit 0");
  const Ran fallback = root.run({qmail_inject, "r@x.y"}, environment, dated + "\n");
  EXPECT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"r@x.y"}));
  // An empty QMAILQUEUE counts as unset.
  environment["QMAILQUEUE"] = "";
  EXPECT_EQ(root.run({qmail_inject, "r@x.y"}, environment, dated + "\n").exit_code, 0);
}

TEST(InjectProgram, PermanentErrors) {
  InjectRoot root;
  const Ran usage = root.run({qmail_inject, "-z"}, root.environment(), "");
  EXPECT_EQ(usage.exit_code, 100);
  EXPECT_EQ(usage.err,
            "qmail-inject: fatal: unknown option -z; usage: qmail-inject [-nNaAhH] [-fsender] [recipient ...]\n");

  const Ran address = root.run({qmail_inject, "bad\x01@x"}, root.environment(), "");
  EXPECT_EQ(address.exit_code, 100);
  EXPECT_EQ(address.err,
            "qmail-inject: fatal: unable to parse address \"bad\\x01@x\": control character in address list\n");

  const Ran header = root.run({qmail_inject, "r@x.y"}, root.environment(), "To: Joe <joe@x\n\n");
  EXPECT_EQ(header.exit_code, 100);
  EXPECT_EQ(
      header.err,
      "qmail-inject: fatal: unable to parse the addresses of a To field (missing > after <): \"To: Joe <joe@x\"\n");
  EXPECT_EQ(root.envelope(), "");  // the queue was started, and got no envelope

  const Ran none = root.run({qmail_inject}, root.environment(), "Subject: x\n\n");
  EXPECT_EQ(none.exit_code, 100);
  EXPECT_EQ(none.err, "qmail-inject: fatal: no recipients\n");
}

TEST(InjectProgram, HeaderSectionOverTheLimit) {
  InjectRoot root;
  std::string header;
  while (header.size() <= 256 * 1024) header += "X-Padding: " + std::string(200, 'p') + "\n";
  const Ran ran = root.run({qmail_inject, "r@x.y"}, root.environment(), header + "\nbody\n");
  EXPECT_EQ(ran.exit_code, 100);
  EXPECT_EQ(ran.err, "qmail-inject: fatal: header section is too large (more than 262144 bytes)\n");
  // Nothing was queued: the fake queue saw no envelope.
  EXPECT_EQ(root.envelope(), "");
}

TEST(InjectProgram, TemporaryErrorsForConfiguration) {
  InjectRoot root;
  auto environment = root.environment();
  environment["QCELL_ROOT"] = root.path("missing-root");
  const Ran no_root = root.run({qmail_inject, "-n"}, environment, "");
  EXPECT_EQ(no_root.exit_code, 111);
  EXPECT_EQ(no_root.err, "qmail-inject: fatal: unable to open " + root.path("missing-root") +
                             "/control: No such file or directory\n");

  ::unlink(root.path("control/me").c_str());
  const Ran no_me = root.run({qmail_inject, "-n"}, root.environment(), "");
  EXPECT_EQ(no_me.exit_code, 111);
  EXPECT_EQ(no_me.err, "qmail-inject: fatal: unable to read control/me: required file is missing\n");
}

TEST(InjectProgram, ResentMessage) {
  InjectRoot root;
  const std::string message = dated + "From: orig@x.y\nTo: orig-to@x.y\nResent-To: again\nResent-Bcc: quiet@x.y\n\nb\n";
  const Ran ran = root.run({qmail_inject, "-h"}, root.environment(), message);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"again@me.example.org", "quiet@x.y"}));
  const std::string queued = root.message();
  EXPECT_EQ(queued.rfind("Resent-Date: ", 0), 0u) << queued;
  EXPECT_NE(queued.find("\nResent-Message-ID: <"), std::string::npos);
  EXPECT_NE(queued.find("\nResent-From: anonymous@me.example.org\n" + dated +
                        "From: orig@x.y\nTo: orig-to@x.y\nResent-To: again@me.example.org\n\nb\n"),
            std::string::npos)
      << queued;
}

// --- sendmail ---------------------------------------------------------------------------

TEST(SendmailProgram, RecipientsFromArguments) {
  InjectRoot root;
  const Ran ran = root.run({sendmail, "-oi", "-i", "r@x.y"}, root.environment(), dated + "To: header@x.y\n\nb\n");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"r@x.y"}));
  EXPECT_EQ(root.message(), "From: anonymous@me.example.org\n" + dated + "To: header@x.y\n\nb\n");
}

TEST(SendmailProgram, DashTTakesHeaderRecipientsIncludingBcc) {
  InjectRoot root;
  const Ran ran = root.run({sendmail, "-t", "-f", "s@x.y"}, root.environment(),
                           dated + "To: t@x.y\nCc: c@x.y\nBcc: hidden@x.y\nSubject: s\n\nb\n");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(root.envelope(), envelope_of("s@x.y", {"t@x.y", "c@x.y", "hidden@x.y"}));
  EXPECT_EQ(root.message(), "From: anonymous@me.example.org\n" + dated + "To: t@x.y\nCc: c@x.y\nSubject: s\n\nb\n");
}

TEST(SendmailProgram, SenderAttachedAndFullName) {
  InjectRoot root;
  auto environment = root.environment();
  environment["USER"] = "u";
  const Ran ran =
      root.run({sendmail, "-fs@x.y", "-F", "Full Name", "-odi", "-oem", "r@x.y"}, environment, dated + "To: r@x.y\n\n");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(root.envelope(), envelope_of("s@x.y", {"r@x.y"}));
  EXPECT_EQ(root.message(), "From: \"Full Name\" <u@me.example.org>\n" + dated + "To: r@x.y\n\n");
}

TEST(SendmailProgram, RefusedModesAndUsage) {
  InjectRoot root;
  const Ran smtp = root.run({sendmail, "-bs"}, root.environment(), "");
  EXPECT_EQ(smtp.exit_code, 100);
  EXPECT_EQ(smtp.err, "sendmail: fatal: -bs (SMTP on standard input) is not supported; use qmail-smtpd\n");

  const Ran unknown = root.run({sendmail, "-q"}, root.environment(), "");
  EXPECT_EQ(unknown.exit_code, 100);
  EXPECT_EQ(unknown.err,
            "sendmail: fatal: unknown option -q\nsendmail: usage: sendmail [-t] [-f sender] [-F name] [-bm | -bp] "
            "[-i] [-o option] [recipient ...]\n");

  ASSERT_EQ(::symlink(sendmail.c_str(), root.path("newaliases").c_str()), 0);
  const Ran newaliases = root.run({root.path("newaliases")}, root.environment(), "");
  EXPECT_EQ(newaliases.exit_code, 100);
  EXPECT_EQ(newaliases.err,
            "sendmail: fatal: newaliases is not supported: qmail has no aliases file; use ~alias/.qmail-* files or "
            "fastforward\n");
}

TEST(SendmailProgram, ListsTheQueueWithTheRootsQmailQreadAndInjectsInItsOwnProcess) {
  // A copy of sendmail alone in a directory finds no qmail-qread next to
  // itself and uses <root>/bin's (a fake that shows what it gets). It runs
  // qmail-inject's code itself: a <root>/bin/qmail-inject is never run.
  InjectRoot root;
  ::mkdir(root.path("sbin").c_str(), 0755);
  const std::string copy = root.path("sbin/sendmail");
  ASSERT_EQ(std::system(("cp '" + sendmail + "' '" + copy + "'").c_str()), 0);
  root.script("bin/qmail-inject", "echo never run; exit 99");
  root.script("bin/qmail-qread", "echo \"qread $#\"");

  const Ran header = root.run({copy, "-t", "-fs@x.y", "-F", "A Name", "-v", "--", "extra@x.y"}, root.environment(),
                              dated + "To: t@x.y\n\nb\n");
  EXPECT_EQ(header.exit_code, 0) << header.err;
  EXPECT_EQ(header.out, "");
  EXPECT_EQ(root.envelope(), envelope_of("s@x.y", {"extra@x.y", "t@x.y"}));
  EXPECT_EQ(root.message(), "From: \"A Name\" <anonymous@me.example.org>\n" + dated + "To: t@x.y\n\nb\n");

  const Ran listing = root.run({copy, "-bp"}, root.environment(), "");
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_EQ(listing.out, "qread 0\n");
  ASSERT_EQ(::symlink(copy.c_str(), root.path("mailq").c_str()), 0);
  const Ran mailq = root.run({root.path("mailq"), "-v"}, root.environment(), "");
  EXPECT_EQ(mailq.exit_code, 0) << mailq.err;
  EXPECT_EQ(mailq.out, "qread 0\n");

  ::unlink(root.path("bin/qmail-qread").c_str());
  const Ran missing = root.run({copy, "-bp"}, root.environment(), "");
  EXPECT_EQ(missing.exit_code, 111);
  EXPECT_EQ(missing.err,
            "sendmail: fatal: unable to run " + root.path("bin/qmail-qread") + ": No such file or directory\n");
}

// Both confine themselves (policy/qmail-inject.policy, policy/sendmail.policy)
// after starting qmail-queue and before the first read of the message.
TEST(CallerConfinement, QmailInjectAndSendmailConfineThemselvesBeforeReadingTheMessage) {
  for (const auto& [program, argument] : {std::pair{qmail_inject, "-H"}, std::pair{sendmail, "-t"}}) {
    SCOPED_TRACE(program);
    InjectRoot root;
    std::ofstream(root.path("input")) << dated << "To: t@x.y\n\nbody\n";
    qcell::testing::Traced traced =
        qcell::testing::run_traced({program, argument}, root.environment(), root.path("input"), root.path("trace"));
    EXPECT_EQ(traced.exit_code, 0) << traced.trace;
    EXPECT_TRUE(qcell::testing::confined_before(traced.trace, "read(0,"));
    EXPECT_EQ(root.envelope(), envelope_of("anonymous@me.example.org", {"t@x.y"}));
  }
}

// While it reads the message, /proc shows the walls: no_new_privs, a
// seccomp filter, no new process, no core file.
TEST(CallerConfinement, WhileReadingTheMessageProcShowsTheWalls) {
  for (const auto& [program, argument] : {std::pair{qmail_inject, "-H"}, std::pair{sendmail, "-t"}}) {
    SCOPED_TRACE(program);
    InjectRoot root;
    int input[2];
    ASSERT_EQ(::pipe(input), 0);
    std::vector<std::string> env_text;
    for (const auto& [name, value] : root.environment()) env_text.push_back(name + "=" + value);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(input[0], 0);
      ::close(input[1]);
      std::vector<char*> envp;
      for (const std::string& e : env_text) envp.push_back(const_cast<char*>(e.c_str()));
      envp.push_back(nullptr);
      ::execle(program.c_str(), program.c_str(), argument, static_cast<char*>(nullptr), envp.data());
      ::_exit(127);
    }
    ::close(input[0]);
    EXPECT_TRUE(qcell::testing::wait_until_filtered(pid));
    EXPECT_TRUE(qcell::testing::shows_walls(pid));
    std::string message = dated + "To: t@x.y\n\nbody\n";
    EXPECT_EQ(::write(input[1], message.data(), message.size()), static_cast<ssize_t>(message.size()));
    ::close(input[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_TRUE(root.queued());
  }
}

}  // namespace
