// queue_fsck.cc — checking and repairing a queue. Every change goes through
// a descriptor of the file's parent directory, opened beneath the queue
// without following symlinks; removals re-check that the message was not
// acknowledged meanwhile, renames never replace an existing file.
#include "core/queue_fsck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace qcell::queue {

namespace {

constexpr FindingKindEntry kinds[] = {
    {"orphan-pid", "a pid/ file of a qmail-queue that died before linking it into mess/",
     "removed when older than the age limit", FindingKind::orphan_pid, true},
    {"unfinished-injection", "mess/N without todo/N or info/N: an injection that never finished (S2/S3)",
     "intd/N and mess/N removed when older than the age limit", FindingKind::unfinished_injection, true},
    {"orphan-intd", "intd/N without mess/N", "removed when older than the age limit", FindingKind::orphan_intd, true},
    {"wrong-split", "a file in split subdirectory S with S != N % 23",
     "renamed into the right subdirectory, never over an existing file", FindingKind::wrong_split, true},
    {"orphan-local", "local/N without info/N or todo/N", "removed when older than the age limit",
     FindingKind::orphan_local, true},
    {"orphan-remote", "remote/N without info/N or todo/N", "removed when older than the age limit",
     FindingKind::orphan_remote, true},
    {"orphan-bounce", "bounce/N without info/N", "removed when older than the age limit, unless todo/N exists",
     FindingKind::orphan_bounce, true},
    {"todo-without-mess", "todo/N whose message contents are gone", "none: cannot be repaired",
     FindingKind::todo_without_mess, false},
    {"info-without-mess", "info/N whose message contents are gone", "none: cannot be repaired",
     FindingKind::info_without_mess, false},
    {"inode-mismatch", "mess/N whose inode number is not N", "none: reported", FindingKind::inode_mismatch, false},
    {"bad-records", "todo/N, info/N, local/N or remote/N that does not parse", "none: reported",
     FindingKind::bad_records, false},
    {"bad-name", "a name that is not a message id", "none: reported", FindingKind::bad_name, false},
    {"not-regular", "a symlink, fifo, device or directory out of place", "none: reported, never followed",
     FindingKind::not_regular, false},
    {"missing-directory", "a queue directory or split subdirectory is missing", "none: run `qcell queue init`",
     FindingKind::missing_directory, false},
};

constexpr bool kinds_in_order() {
  for (std::size_t i = 0; i < std::size(kinds); ++i) {
    if (static_cast<std::size_t>(kinds[i].kind) != i) return false;
  }
  return true;
}
static_assert(kinds_in_order());
static_assert(std::size(kinds) == static_cast<std::size_t>(FindingKind::missing_directory) + 1);

// The parent directory of a queue path, opened without following symlinks,
// and the last component.
struct Parent {
  DirFd dir;
  std::string name;
};

Result<Parent, int> open_parent(const DirFd& queue, std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return fail(EINVAL);
  auto dir = open_directory_beneath(queue, path.substr(0, slash));
  if (!dir) return fail(dir.error());
  return Parent{std::move(dir.value()), std::string(path.substr(slash + 1))};
}

// lstat of a queue path through its parent (no symlink followed anywhere).
Result<struct stat, int> stat_beneath(const DirFd& queue, std::string_view path) {
  auto parent = open_parent(queue, path);
  if (!parent) return fail(parent.error());
  struct stat st {};
  if (::fstatat(parent->dir.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail(errno);
  return st;
}

Status<int> unlink_beneath(const DirFd& queue, std::string_view path) {
  auto parent = open_parent(queue, path);
  if (!parent) return fail(parent.error());
  if (::unlinkat(parent->dir.get(), parent->name.c_str(), 0) != 0 && errno != ENOENT) return fail(errno);
  return {};
}

Status<int> rename_beneath(const DirFd& queue, std::string_view from, std::string_view to) {
  auto source = open_parent(queue, from);
  if (!source) return fail(source.error());
  auto target = open_parent(queue, to);
  if (!target) return fail(target.error());
  if (::renameat2(source->dir.get(), source->name.c_str(), target->dir.get(), target->name.c_str(), RENAME_NOREPLACE) !=
      0) {
    return fail(errno);
  }
  return {};
}

// The later of a file's access and modification times: qmail judges
// leftovers by atime; a file still being written has a recent mtime.
std::int64_t last_used(const struct stat& st) { return std::max<std::int64_t>(st.st_atime, st.st_mtime); }

// Whether todo/N or info/N exists now (anything in their place counts).
bool acknowledged(const DirFd& queue, std::uint64_t id) {
  for (Dir dir : {Dir::todo, Dir::info}) {
    auto st = stat_beneath(queue, MessagePath(dir, id).view());
    if (st || st.error() != ENOENT) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& paths) {
  std::string text;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (i > 0) text += i + 1 == paths.size() ? " and " : ", ";
    text += paths[i];
  }
  return text;
}

class Checker {
 public:
  Checker(const DirFd& queue, const FsckOptions& options, FsckReport& report)
      : queue_(queue), options_(options), report_(report) {
    now_ = options.now != 0 ? options.now : static_cast<std::int64_t>(::time(nullptr));
  }

  void add(FindingKind kind, std::string path, Outcome outcome, std::string action) {
    report_.findings.push_back(Finding{kind, std::move(path), outcome, std::move(action)});
  }

  // Phase 1: files in the wrong split subdirectory are moved first, so that
  // the rest of the check sees them where qmail looks for them.
  void move_misplaced(const QueueIndex& index) {
    for (const OddEntry& odd : index.odd) {
      if (odd.kind != OddEntry::Kind::misplaced) continue;
      const MessagePath target(odd.dir, odd.id);
      const std::string target_text(target.view());
      if (index.messages.at(odd.id).irregular & bit(odd.dir)) {
        add(FindingKind::wrong_split, odd.path, Outcome::reported,
            "not moved to " + target_text + ": not a regular file");
        continue;
      }
      if (!options_.repair) {
        add(FindingKind::wrong_split, odd.path, Outcome::would_repair, "would move to " + target_text);
        continue;
      }
      auto moved = rename_beneath(queue_, odd.path, target.view());
      if (!moved) {
        add(FindingKind::wrong_split, odd.path, Outcome::repair_failed,
            "cannot move to " + target_text + ": " + ::strerror(moved.error()));
        continue;
      }
      add(FindingKind::wrong_split, odd.path, Outcome::repaired, "moved to " + target_text);
    }
  }

  void check_pid_files(const QueueIndex& index) {
    for (const std::string& name : index.pid_files) {
      std::string path = "pid/" + name;
      auto st = stat_beneath(queue_, path);
      if (!st) continue;  // gone meanwhile: its qmail-queue finished
      remove(FindingKind::orphan_pid, std::move(path), {}, last_used(*st), index.complete, std::nullopt,
             "a qmail-queue's temporary file");
    }
  }

  void check_message(std::uint64_t id, const MessageFiles& files, bool complete) {
    const bool mess = files.has(Dir::mess);
    const bool todo = files.has(Dir::todo);
    const bool info = files.has(Dir::info);
    const std::string mess_path(MessagePath(Dir::mess, id).view());

    if (mess && !todo && !info) unfinished_injection(id, files, complete);
    if (!mess && files.has(Dir::intd) && !todo && !info) {
      orphan(FindingKind::orphan_intd, Dir::intd, id, files, complete, "an envelope without a message");
    }
    if (!mess && todo) {
      add(FindingKind::todo_without_mess, std::string(MessagePath(Dir::todo, id).view()), Outcome::reported,
          "cannot repair: " + mess_path + " is gone (an accepted message lost its contents)");
    }
    if (!mess && info) {
      add(FindingKind::info_without_mess, std::string(MessagePath(Dir::info, id).view()), Outcome::reported,
          "cannot repair: " + mess_path + " is gone (a queued message lost its contents)");
    }
    if (!info && !todo) {
      orphan(FindingKind::orphan_local, Dir::local, id, files, complete, "recipients of no queued message");
      orphan(FindingKind::orphan_remote, Dir::remote, id, files, complete, "recipients of no queued message");
    }
    if (!info && files.has(Dir::bounce)) {
      if (todo) {
        add(FindingKind::orphan_bounce, std::string(MessagePath(Dir::bounce, id).view()), Outcome::reported,
            "kept: todo/" + std::to_string(id) + " exists (an accepted message is never touched)");
      } else {
        orphan(FindingKind::orphan_bounce, Dir::bounce, id, files, complete, "a bounce report of no queued message");
      }
    }
    if (mess && usable(files, Dir::mess)) check_inode(id, mess_path);
    check_records(id, files);
  }

  void report_odd(const QueueIndex& index) {
    for (const OddEntry& odd : index.odd) {
      switch (odd.kind) {
        case OddEntry::Kind::misplaced: break;  // phase 1
        case OddEntry::Kind::bad_name:
          add(FindingKind::bad_name, odd.path, Outcome::reported, "left alone: not a message id");
          break;
        case OddEntry::Kind::not_regular:
          add(FindingKind::not_regular, odd.path, Outcome::reported,
              "left alone: not a regular file or directory (never followed)");
          break;
        case OddEntry::Kind::missing_directory:
          add(FindingKind::missing_directory, odd.path, Outcome::reported, "missing: run `qcell queue init`");
          break;
      }
    }
  }

 private:
  // A regular file at its canonical path.
  static bool usable(const MessageFiles& files, Dir dir) {
    return files.has(dir) && (files.irregular & bit(dir)) == 0 && (files.misplaced & bit(dir)) == 0;
  }

  // Why a present file is not acted on.
  static std::string left_alone(const MessageFiles& files, Dir dir) {
    if ((files.irregular & bit(dir)) != 0) return "left alone: not a regular file";
    return "left alone: in the wrong split subdirectory (see wrong-split)";
  }

  void orphan(FindingKind kind, Dir dir, std::uint64_t id, const MessageFiles& files, bool complete,
              std::string_view what) {
    if (!files.has(dir)) return;
    std::string path(MessagePath(dir, id).view());
    if (!usable(files, dir)) {
      add(kind, std::move(path), Outcome::reported, left_alone(files, dir));
      return;
    }
    auto st = stat_beneath(queue_, path);
    if (!st) return;  // removed meanwhile
    remove(kind, std::move(path), {}, last_used(*st), complete, id, what);
  }

  void unfinished_injection(std::uint64_t id, const MessageFiles& files, bool complete) {
    std::string mess_path(MessagePath(Dir::mess, id).view());
    std::string intd_path(MessagePath(Dir::intd, id).view());
    if (!usable(files, Dir::mess) || (files.has(Dir::intd) && !usable(files, Dir::intd))) {
      add(FindingKind::unfinished_injection, std::move(mess_path), Outcome::reported,
          left_alone(files, usable(files, Dir::mess) ? Dir::intd : Dir::mess));
      return;
    }
    auto mess = stat_beneath(queue_, mess_path);
    if (!mess) return;  // finished meanwhile
    std::int64_t used = last_used(*mess);
    std::vector<std::string> extra;
    if (files.has(Dir::intd)) {
      if (auto intd = stat_beneath(queue_, intd_path)) {
        used = std::max(used, last_used(*intd));
        extra.push_back(intd_path);
      }
    }
    // intd/N goes first, as qmail-clean does: a crash in between leaves mess/N
    // alone, which the next check finds again.
    remove(FindingKind::unfinished_injection, std::move(mess_path), std::move(extra), used, complete, id,
           "an injection that never finished");
  }

  // Removes `path` (after `first`, when given) if it is old enough, the
  // listing was complete, and the message was not acknowledged meanwhile.
  void remove(FindingKind kind, std::string path, std::vector<std::string> first, std::int64_t used, bool complete,
              std::optional<std::uint64_t> id, std::string_view what) {
    std::vector<std::string> paths = std::move(first);
    paths.push_back(path);
    // A time ahead of the clock (the coarse clock behind file times, or
    // skew) counts as "just used", never as a negative age.
    const std::int64_t age = std::max<std::int64_t>(0, now_ - used);
    const std::string age_text = std::to_string(age) + " seconds";
    if (age < options_.min_age_seconds) {
      add(kind, std::move(path), Outcome::kept_recent,
          "kept: used " + age_text + " ago, under the age limit of " + std::to_string(options_.min_age_seconds) +
              " seconds (may be in use)");
      return;
    }
    if (!complete) {
      add(kind, std::move(path), Outcome::reported, "kept: the queue could not be listed completely");
      return;
    }
    if (!options_.repair) {
      add(kind, std::move(path), Outcome::would_repair,
          "would remove " + joined(paths) + " (" + std::string(what) + ", unused for " + age_text + ")");
      return;
    }
    if (id && acknowledged(queue_, *id)) {
      add(kind, std::move(path), Outcome::reported, "kept: the message was accepted meanwhile");
      return;
    }
    for (const std::string& each : paths) {
      auto removed = unlink_beneath(queue_, each);
      if (!removed) {
        add(kind, std::move(path), Outcome::repair_failed,
            "cannot remove " + each + ": " + ::strerror(removed.error()));
        return;
      }
    }
    add(kind, std::move(path), Outcome::repaired, "removed " + joined(paths) + " (" + std::string(what) + ")");
  }

  void check_inode(std::uint64_t id, const std::string& mess_path) {
    auto st = stat_beneath(queue_, mess_path);
    if (!st || static_cast<std::uint64_t>(st->st_ino) == id) return;
    add(FindingKind::inode_mismatch, mess_path, Outcome::reported,
        "left alone: inode number is " + std::to_string(static_cast<std::uint64_t>(st->st_ino)) +
            " (a copied or restored queue: new messages may collide with it)");
  }

  // The envelope in todo/N is complete once it exists (a hard link made
  // after fsync); info, local and remote are only complete when no todo/N
  // says that qmail-send may be rewriting them. intd/N is never complete.
  void check_records(std::uint64_t id, const MessageFiles& files) {
    const bool todo = files.has(Dir::todo);
    for (Dir dir : {Dir::todo, Dir::info, Dir::local, Dir::remote}) {
      if (!usable(files, dir) || (dir != Dir::todo && todo)) continue;
      const MessagePath path(dir, id);
      auto bytes = read_queue_file(queue_, path.view(), options_.records.max_file);
      if (!bytes) {
        if (bytes.error().kind == FileReadError::Kind::system && bytes.error().sys_errno == ENOENT) continue;
        add(FindingKind::bad_records, std::string(path.view()), Outcome::reported,
            "left alone: " + describe(bytes.error(), options_.records.max_file));
        continue;
      }
      std::optional<RecordParseError> error;
      if (dir == Dir::todo) {
        if (auto parsed = parse_envelope(*bytes, options_.records); !parsed) error = parsed.error();
      } else if (dir == Dir::info) {
        if (auto parsed = parse_info(*bytes, options_.records); !parsed) error = parsed.error();
      } else {
        if (auto parsed = parse_recipients(*bytes, options_.records); !parsed) error = parsed.error();
      }
      if (error) {
        add(FindingKind::bad_records, std::string(path.view()), Outcome::reported,
            "left alone: " + format_record_error(*error));
      }
    }
  }

  const DirFd& queue_;
  const FsckOptions& options_;
  FsckReport& report_;
  std::int64_t now_ = 0;
};

}  // namespace

std::span<const FindingKindEntry> finding_kinds() noexcept { return kinds; }

std::string_view finding_name(FindingKind kind) noexcept { return kinds[static_cast<std::size_t>(kind)].name; }

std::string_view outcome_name(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::reported: return "reported";
    case Outcome::would_repair: return "would-repair";
    case Outcome::repaired: return "repaired";
    case Outcome::repair_failed: return "repair-failed";
    case Outcome::kept_recent: return "kept-recent";
  }
  return "unknown";
}

std::size_t FsckReport::count(Outcome outcome) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.outcome == outcome; }));
}

int FsckReport::exit_code() const noexcept {
  if (count(Outcome::reported) + count(Outcome::would_repair) + count(Outcome::repair_failed) > 0) {
    return fsck_exit_problems;
  }
  return count(Outcome::repaired) > 0 ? fsck_exit_repaired : fsck_exit_clean;
}

Result<FsckReport, ScanError> fsck_queue(const DirFd& queue, const FsckOptions& options) {
  FsckReport report;
  Checker checker(queue, options, report);
  auto index = index_queue(queue, options.scan);
  if (!index) return fail(index.error());
  checker.move_misplaced(*index);
  if (options.repair && report.count(Outcome::repaired) > 0) {
    index = index_queue(queue, options.scan);
    if (!index) return fail(index.error());
  }
  report.complete = index->complete;
  checker.check_pid_files(*index);
  for (const auto& [id, files] : index->messages) checker.check_message(id, files, index->complete);
  checker.report_odd(*index);
  return report;
}

}  // namespace qcell::queue
