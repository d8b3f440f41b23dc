// queue_command.cc — `qcell queue`: creating the queue, listing it, and
// checking it. The queue's contents are hostile (names, sizes, symlinks);
// the command line is the administrator's.
#include "qcell/queue_command.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/queue_fsck.h"
#include "sandbox/confine.h"
#include "core/queue_layout.h"
#include "core/queue_report.h"
#include "core/queue_scan.h"

namespace qcell {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_usage = 100;
constexpr int exit_config = 100;
constexpr int exit_system = 111;

constexpr std::string_view usage =
    "usage: qcell queue init [--root DIR]\n"
    "       qcell queue list [--root DIR] [--json]\n"
    "       qcell queue show [--root DIR] [--json] ID\n"
    "       qcell queue count [--root DIR] [--json]\n"
    "       qcell queue fsck [--root DIR] [--json] [--repair] [--age SECONDS]\n"
    "       qcell queue flush [--root DIR]\n"
    "DIR defaults to /var/qmail; the queue is DIR/queue. fsck exits 0 when the\n"
    "queue is consistent, 1 when problems remain, 2 when all were repaired.\n";

struct Options {
  std::string command;
  std::string root = "/var/qmail";
  bool json = false;
  bool repair = false;
  std::int64_t age = queue::default_cleanup_age_seconds;
  std::optional<std::uint64_t> id;
};

int usage_error(std::string_view why) {
  std::string text = "qcell queue: " + std::string(why) + "\n" + std::string(usage);
  (void)write_full(STDERR_FILENO, text);
  return exit_usage;
}

// Parses "queue SUBCOMMAND [options] [ID]"; an error message or "".
std::string parse_options(int argc, char** argv, Options& options) {
  if (argc < 3) return "missing subcommand";
  options.command = argv[2];
  const std::string& c = options.command;
  if (c != "init" && c != "list" && c != "show" && c != "count" && c != "fsck") return "unknown subcommand: " + c;
  for (int i = 3; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--root") {
      if (i + 1 >= argc) return "--root needs a directory";
      options.root = argv[++i];
      if (options.root.empty()) return "--root needs a directory";
    } else if (arg == "--json" && c != "init") {
      options.json = true;
    } else if (arg == "--repair" && c == "fsck") {
      options.repair = true;
    } else if (arg == "--age" && c == "fsck") {
      if (i + 1 >= argc) return "--age needs a number of seconds";
      // Seconds as a decimal number; parse_message_id is the strict decimal parser.
      auto age = queue::parse_message_id(argv[++i]);
      if (!age || *age > 10ULL * 365 * 86400) return "--age needs a number of seconds (at most ten years)";
      options.age = static_cast<std::int64_t>(*age);
    } else if (c == "show" && !options.id && !arg.starts_with("-")) {
      options.id = queue::parse_message_id(arg);
      if (!options.id) return "not a message id: " + std::string(arg);
    } else {
      return "unexpected argument for " + c + ": " + std::string(arg);
    }
  }
  if (c == "show" && !options.id) return "show needs a message id";
  return "";
}

void say(int fd, const std::string& text) { (void)write_full(fd, text); }

// Opens ROOT/queue for reading; prints the reason and returns the exit code on failure.
std::optional<DirFd> open_queue_or_report(const Options& options, int& exit_code) {
  auto queue = queue::open_queue(options.root.c_str());
  if (queue) return std::move(queue.value());
  const int err = queue.error();
  std::string why = err == ELOOP     ? "is a symlink (refused: the queue must be a real directory)"
                    : err == ENOTDIR ? "is not a directory"
                                     : std::string(::strerror(err));
  say(STDERR_FILENO, "qcell queue " + options.command + ": " + options.root + "/queue: " + why + "\n");
  exit_code = (err == ELOOP || err == ENOTDIR) ? exit_config : exit_system;
  return std::nullopt;
}

int list(const DirFd& queue, const Options& options) {
  auto index = queue::index_queue(queue);
  if (!index) {
    say(STDERR_FILENO, "qcell queue list: " + queue::describe(index.error()) + "\n");
    return exit_system;
  }
  for (const auto& [id, files] : index->messages) {
    if (!files.has(queue::Dir::mess) && !files.has(queue::Dir::todo) && !files.has(queue::Dir::info)) continue;
    const queue::Message message = queue::read_message(queue, id);
    if (message.state == queue::MessageState::absent) continue;  // gone meanwhile
    say(STDOUT_FILENO, options.json ? queue::message_json(message) : queue::message_summary(message));
  }
  return exit_ok;
}

int show(const DirFd& queue, const Options& options) {
  const queue::Message message = queue::read_message(queue, *options.id);
  if (message.state == queue::MessageState::absent) {
    say(STDERR_FILENO, "qcell queue show: no message #" + std::to_string(*options.id) + "\n");
    return exit_usage;
  }
  say(STDOUT_FILENO, options.json ? queue::message_json(message) : queue::message_detail(message));
  return exit_ok;
}

int count(const DirFd& queue, const Options& options) {
  auto index = queue::index_queue(queue);
  if (!index) {
    say(STDERR_FILENO, "qcell queue count: " + queue::describe(index.error()) + "\n");
    return exit_system;
  }
  const queue::QueueCounts counts = queue::count_messages(*index);
  say(STDOUT_FILENO, options.json ? queue::counts_json(counts) : queue::counts_text(counts));
  return exit_ok;
}

int fsck(const DirFd& queue, const Options& options) {
  queue::FsckOptions fsck_options;
  fsck_options.repair = options.repair;
  fsck_options.min_age_seconds = options.age;
  auto report = queue::fsck_queue(queue, fsck_options);
  if (!report) {
    say(STDERR_FILENO, "qcell queue fsck: " + queue::describe(report.error()) + " (nothing removed)\n");
    return exit_system;
  }
  for (const queue::Finding& finding : report->findings) {
    say(STDOUT_FILENO, options.json ? queue::finding_json(finding) : queue::finding_text(finding));
  }
  if (!options.json) {
    const std::size_t remaining = report->count(queue::Outcome::reported) +
                                  report->count(queue::Outcome::would_repair) +
                                  report->count(queue::Outcome::repair_failed);
    say(STDOUT_FILENO, "fsck: " + std::to_string(report->findings.size()) + " findings, " +
                           std::to_string(report->count(queue::Outcome::repaired)) + " repaired, " +
                           std::to_string(remaining) + " remaining, " +
                           std::to_string(report->count(queue::Outcome::kept_recent)) + " recent kept\n");
  }
  return report->exit_code();
}

// --- init -----------------------------------------------------------------------

struct Want {
  uid_t uid;
  gid_t gid;
  mode_t mode;
  std::string_view owner_name;
};

class Initializer {
 public:
  Initializer(const QueueAccounts& accounts, InitReport& report) : accounts_(accounts), report_(report) {}

  uid_t uid_of(queue::Owner owner) const { return owner == queue::Owner::qmailq ? accounts_.qmailq : accounts_.qmails; }

  // Makes `name` in `parent` a directory with the wanted owner and mode;
  // returns it open, or nothing after recording an error.
  std::optional<DirFd> directory(const DirFd& parent, const std::string& name, const std::string& shown,
                                 const Want& want) {
    struct stat st {};
    bool created = false;
    if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return error(exit_system, shown + ": " + ::strerror(errno));
      if (::mkdirat(parent.get(), name.c_str(), want.mode) != 0) {
        return error(exit_system, "cannot create " + shown + ": " + ::strerror(errno));
      }
      created = true;
    } else if (S_ISLNK(st.st_mode)) {
      return error(exit_config, shown + " is a symlink: refusing to follow it");
    } else if (!S_ISDIR(st.st_mode)) {
      return error(exit_config, shown + " exists and is not a directory");
    }
    int raw = ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return error(exit_system, "cannot open " + shown + ": " + ::strerror(errno));
    UniqueFd fd(raw);
    if (!fix(fd.get(), shown, want, created)) return std::nullopt;
    auto dir = adopt_directory(std::move(fd));
    if (!dir) return error(exit_system, shown + ": " + ::strerror(dir.error()));
    return std::move(dir.value());
  }

  enum class Kind { file, fifo };

  // Makes `name` a regular file or fifo with the wanted owner and mode;
  // a regular file gets `size` zero bytes when created and is resized to
  // `size` when it has another size (size 0: left as it is).
  bool node(const DirFd& parent, const std::string& name, const std::string& shown, const Want& want, Kind kind,
            std::size_t size) {
    struct stat st {};
    bool created = false;
    if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return fail_with(exit_system, shown + ": " + ::strerror(errno));
      if (kind == Kind::fifo) {
        if (::mkfifoat(parent.get(), name.c_str(), want.mode) != 0) {
          return fail_with(exit_system, "cannot create " + shown + ": " + ::strerror(errno));
        }
      } else {
        int raw = ::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, want.mode);
        if (raw < 0) return fail_with(exit_system, "cannot create " + shown + ": " + ::strerror(errno));
        UniqueFd fd(raw);
        if (size > 0) {
          std::string zeros(size, '\0');
          if (!write_full(fd.get(), zeros)) return fail_with(exit_system, "cannot write " + shown);
        }
      }
      created = true;
    } else if (S_ISLNK(st.st_mode)) {
      return fail_with(exit_config, shown + " is a symlink: refusing to follow it");
    } else if (kind == Kind::fifo ? !S_ISFIFO(st.st_mode) : !S_ISREG(st.st_mode)) {
      return fail_with(exit_config,
                       shown + " exists and is not a " + (kind == Kind::fifo ? "named pipe" : "regular file"));
    }
    // A fifo opened for reading without blocking: no writer is disturbed.
    const int flags = kind == Kind::fifo ? (O_RDONLY | O_NONBLOCK) : O_RDWR;
    int raw = ::openat(parent.get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return fail_with(exit_system, "cannot open " + shown + ": " + ::strerror(errno));
    UniqueFd fd(raw);
    struct stat now {};
    if (::fstat(fd.get(), &now) != 0) return fail_with(exit_system, shown + ": " + ::strerror(errno));
    if (kind == Kind::fifo ? !S_ISFIFO(now.st_mode) : !S_ISREG(now.st_mode)) {
      return fail_with(exit_config, shown + " changed type while being checked");
    }
    if (kind == Kind::file && size > 0 && static_cast<std::size_t>(now.st_size) != size) {
      if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        return fail_with(exit_system, "cannot resize " + shown + ": " + ::strerror(errno));
      }
      report_.changes.push_back("size " + shown + " " + std::to_string(now.st_size) + " -> " + std::to_string(size));
    }
    return fix(fd.get(), shown, want, created);
  }

 private:
  std::nullopt_t error(int code, std::string text) {
    fail_with(code, std::move(text));
    return std::nullopt;
  }

  bool fail_with(int code, std::string text) {
    if (report_.error.empty()) {
      report_.error = std::move(text);
      report_.exit_code = code;
    }
    return false;
  }

  static std::string octal(mode_t mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
  }

  bool fix(int fd, const std::string& shown, const Want& want, bool created) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail_with(exit_system, shown + ": " + ::strerror(errno));
    const std::string wanted_owner = std::string(want.owner_name) + ":qmail";
    if (created) {
      report_.changes.push_back("created " + shown + " " + wanted_owner + " " + octal(want.mode));
    }
    if (st.st_uid != want.uid || st.st_gid != want.gid) {
      if (::fchown(fd, want.uid, want.gid) != 0) {
        return fail_with(exit_system, "cannot change the owner of " + shown + ": " + ::strerror(errno));
      }
      if (!created) {
        report_.changes.push_back("owner " + shown + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
                                  " -> " + wanted_owner);
      }
    }
    // fchmod after fchown: chown clears set-id bits, and the umask shaped the creation mode.
    if ((st.st_mode & 07777) != want.mode || st.st_uid != want.uid || st.st_gid != want.gid) {
      if (::fchmod(fd, want.mode) != 0) {
        return fail_with(exit_system, "cannot change the mode of " + shown + ": " + ::strerror(errno));
      }
      if (!created && (st.st_mode & 07777) != want.mode) {
        report_.changes.push_back("mode " + shown + " " + octal(st.st_mode) + " -> " + octal(want.mode));
      }
    }
    return true;
  }

  const QueueAccounts& accounts_;
  InitReport& report_;
};

int init(const Options& options) {
  auto accounts = lookup_queue_accounts();
  if (!accounts) {
    say(STDERR_FILENO, "qcell queue init: " + accounts.error() + "\n");
    return exit_config;
  }
  auto root = open_directory(options.root.c_str());
  if (!root) {
    say(STDERR_FILENO, "qcell queue init: " + options.root + ": " + ::strerror(root.error()) + "\n");
    return exit_system;
  }
  InitReport report = init_queue(*root, *accounts);
  for (const std::string& change : report.changes) say(STDOUT_FILENO, change + "\n");
  if (!report.error.empty()) {
    say(STDERR_FILENO, "qcell queue init: " + report.error + " (in " + options.root + ")\n");
    return report.exit_code;
  }
  say(STDOUT_FILENO, "queue " + options.root + "/queue ok: " + std::to_string(report.changes.size()) + " changes\n");
  return exit_ok;
}

}  // namespace

Result<QueueAccounts, std::string> lookup_queue_accounts() {
  QueueAccounts accounts;
  for (auto [name, uid] : {std::pair<const char*, uid_t*>{"qmailq", &accounts.qmailq},
                           std::pair<const char*, uid_t*>{"qmails", &accounts.qmails},
                           std::pair<const char*, uid_t*>{"qmailr", &accounts.qmailr}}) {
    const struct passwd* pw = ::getpwnam(name);
    if (pw == nullptr) return fail(std::string("no user ") + name + " (qmail's accounts must exist)");
    *uid = pw->pw_uid;
  }
  const struct group* gr = ::getgrnam("qmail");
  if (gr == nullptr) return fail(std::string("no group qmail (qmail's accounts must exist)"));
  accounts.qmail = gr->gr_gid;
  return accounts;
}

InitReport init_queue(const DirFd& root, const QueueAccounts& accounts) {
  InitReport report;
  Initializer init(accounts, report);
  // The queue directory itself: qmailq, 0750 (hier.c).
  auto queue = init.directory(root, "queue", "queue", Want{accounts.qmailq, accounts.qmail, 0750, "qmailq"});
  if (!queue) return report;
  for (const queue::DirEntry& entry : queue::dir_table()) {
    const Want want{init.uid_of(entry.owner), accounts.qmail, entry.mode,
                    entry.owner == queue::Owner::qmailq ? "qmailq" : "qmails"};
    const std::string name(entry.name);
    auto dir = init.directory(*queue, name, "queue/" + name, want);
    if (!dir) return report;
    if (entry.split) {
      for (std::uint64_t subdir = 0; subdir < queue::split; ++subdir) {
        const std::string sub = std::to_string(subdir);
        if (!init.directory(*dir, sub, "queue/" + name + "/" + sub, want)) return report;
      }
    }
    if (entry.dir == queue::Dir::lock) {
      using Kind = Initializer::Kind;
      if (!init.node(*dir, "sendmutex", "queue/lock/sendmutex", Want{accounts.qmails, accounts.qmail, 0600, "qmails"},
                     Kind::file, 0) ||
          !init.node(*dir, "tcpto", "queue/lock/tcpto", Want{accounts.qmailr, accounts.qmail, 0644, "qmailr"},
                     Kind::file, 1024) ||
          !init.node(*dir, "trigger", "queue/lock/trigger", Want{accounts.qmails, accounts.qmail, 0622, "qmails"},
                     Kind::fifo, 0)) {
        return report;
      }
    }
  }
  return report;
}

int run_queue_command(int argc, char** argv, std::string_view policy_text) {
  Options options;
  if (std::string why = parse_options(argc, argv, options); !why.empty()) return usage_error(why);
  if (options.command == "init") return init(options);
  int exit_code = exit_system;
  auto queue = open_queue_or_report(options, exit_code);
  if (!queue) return exit_code;
  // Confinement point: queue files hold what injectors wrote; from here on
  // only paths beneath the queue can be reached (policy/qcell.policy).
  if (auto confined = sandbox::confine_self(policy_text, "qcell", options.root); !confined) {
    say(STDERR_FILENO, "qcell queue " + options.command + ": unable to confine itself: " + confined.error() + "\n");
    return exit_system;
  }
  if (options.command == "list") return list(*queue, options);
  if (options.command == "show") return show(*queue, options);
  if (options.command == "count") return count(*queue, options);
  return fsck(*queue, options);
}

}  // namespace qcell
