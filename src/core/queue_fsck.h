// queue_fsck.h — the queue's consistency checker: finds what a crash or a
// full disk leaves behind (QMAIL.md section 3) and, when asked, repairs it.
//
// Repair is conservative by construction:
//  * a message with todo/N or info/N (one qmail-queue acknowledged) is never
//    removed, nor any file of it; this is checked again right before each
//    removal;
//  * only unfinished-injection leftovers and orphans are removed, and only
//    when older than options.min_age_seconds (qmail's 36 hours by default: a
//    qmail-queue may be writing them right now);
//  * a file in the wrong split subdirectory is renamed into the right one,
//    never removed, and never over an existing file;
//  * nothing is removed when a queue directory could not be listed.
// The queue's names and contents are hostile input (see queue_scan.h): all
// access goes through the queue descriptor without following symlinks.
// Running it with --repair while qmail-send runs is safe for acknowledged
// messages but best done with qmail-send stopped.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/queue_records.h"
#include "core/queue_scan.h"
#include "core/result.h"

namespace qcell::queue {

// qmail-send's OSSIFIED: 36 hours, longer than qmail-queue's 24-hour alarm.
inline constexpr std::int64_t default_cleanup_age_seconds = 129600;

enum class FindingKind : std::uint8_t {
  orphan_pid,            // pid/X left by a qmail-queue that died before linking it into mess/
  unfinished_injection,  // mess/N without todo/N or info/N (S2/S3), with intd/N if any
  orphan_intd,           // intd/N without mess/N
  wrong_split,           // mess|info|local|remote/S/N with S != N % 23
  orphan_local,          // local/N without info/N or todo/N
  orphan_remote,         // remote/N without info/N or todo/N
  orphan_bounce,         // bounce/N without info/N
  todo_without_mess,     // todo/N whose message contents are gone: cannot be repaired
  info_without_mess,     // info/N whose message contents are gone: cannot be repaired
  inode_mismatch,        // mess/N whose inode number is not N (qmail's guarantee broken)
  bad_records,           // todo/N, info/N, local/N or remote/N that does not parse
  bad_name,              // a name that is not a message id where message files live
  not_regular,           // a symlink, directory, fifo, ... where a file or directory belongs
  missing_directory,     // a queue directory or split subdirectory that is missing
};

struct FindingKindEntry {
  std::string_view name;  // the stable word printed, e.g. "orphan-pid"
  std::string_view meaning;
  std::string_view repair;  // what --repair does
  FindingKind kind;
  bool repairable;  // whether --repair acts on it
};

// Every finding kind, in enum order (docs/queue-tools.md is tested against it).
std::span<const FindingKindEntry> finding_kinds() noexcept;
std::string_view finding_name(FindingKind kind) noexcept;

enum class Outcome : std::uint8_t {
  reported,       // a problem left as it is: not repairable, or not safe to repair now
  would_repair,   // repairable; --repair was not given
  repaired,       // repaired
  repair_failed,  // the repair was tried and failed (action says why)
  kept_recent,    // a leftover younger than the age limit: may be in use, not a problem yet
};
std::string_view outcome_name(Outcome outcome) noexcept;

struct Finding {
  FindingKind kind = FindingKind::bad_name;
  std::string path;  // relative to the queue directory; raw bytes of the names found
  Outcome outcome = Outcome::reported;
  std::string action;  // what was (or would be) done, in words
};

struct FsckOptions {
  bool repair = false;
  std::int64_t min_age_seconds = default_cleanup_age_seconds;
  std::int64_t now = 0;  // seconds since the epoch; 0 means the current time
  ScanLimits scan;
  RecordLimits records;
};

// Exit codes of `qcell queue fsck` (docs/queue-tools.md).
inline constexpr int fsck_exit_clean = 0;     // nothing found (recent leftovers do not count)
inline constexpr int fsck_exit_problems = 1;  // problems remain (reported, not repaired, or repair failed)
inline constexpr int fsck_exit_repaired = 2;  // problems were found and every one was repaired

struct FsckReport {
  std::vector<Finding> findings;
  bool complete = true;  // every queue directory could be listed
  [[nodiscard]] int exit_code() const noexcept;
  [[nodiscard]] std::size_t count(Outcome outcome) const noexcept;
};

// Checks (and with options.repair, repairs) the queue. Fails only when a
// directory cannot be read (then nothing has been removed).
Result<FsckReport, ScanError> fsck_queue(const DirFd& queue, const FsckOptions& options = {});

}  // namespace qcell::queue
