// queue_scan.h — reads a qmail queue through a descriptor of its directory:
// which message files exist where (the index), each message's state,
// sender, recipients, size and birth, and plain counts.
//
// Everything in the queue is treated as hostile: names may be anything, a
// file may be a symlink, a fifo or huge. Paths are opened relative to the
// queue descriptor and never follow a symlink (open_beneath); directory
// listings are bounded (ScanLimits) and record files are size-checked
// before they are read (a file over RecordLimits::max_file is reported,
// never read). Nothing here writes to the queue.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/queue_layout.h"
#include "core/queue_records.h"
#include "core/result.h"

namespace qcell::queue {

struct ScanLimits {
  // Entries read from one directory (one split subdirectory counts as one
  // directory). Queues of qmail's design slow to a crawl long before this;
  // the bound keeps a tool's memory (an id and a few flags per entry) under
  // about 100 MB whatever is in the directory.
  std::size_t max_entries_per_directory = 1000000;
};

enum class ScanErrc {
  system,            // opendir/readdir/open failed (sys_errno says why)
  too_many_entries,  // a directory holds more than ScanLimits::max_entries_per_directory
};

struct ScanError {
  ScanErrc kind = ScanErrc::system;
  int sys_errno = 0;
  std::string path;  // relative to the queue directory
};

// "cannot read mess/5: Permission denied", "too many entries in todo (limit 1000000)".
std::string describe(const ScanError& error);

// Bit for a directory in the masks below.
constexpr std::uint16_t bit(Dir dir) noexcept { return static_cast<std::uint16_t>(1U << static_cast<unsigned>(dir)); }

// What the index knows of one message id.
struct MessageFiles {
  std::uint16_t present = 0;    // bit(dir) for every directory holding an entry named by the id
  std::uint16_t misplaced = 0;  // of those, split directories where it is in the wrong subdirectory
  std::uint16_t irregular = 0;  // of those, where the entry is not a regular file
  [[nodiscard]] bool has(Dir dir) const noexcept { return (present & bit(dir)) != 0; }
};

// An entry that is not a message file in its right place.
struct OddEntry {
  enum class Kind : std::uint8_t {
    bad_name,           // not a message id (or, in a split directory, not a subdirectory 0..22)
    misplaced,          // a message file in the wrong split subdirectory
    not_regular,        // a symlink, directory, fifo, ... where a message file belongs
    missing_directory,  // a queue directory or split subdirectory that does not exist
  };
  Kind kind = Kind::bad_name;
  Dir dir = Dir::pid;
  std::string path;          // relative to the queue directory, e.g. "mess/4/28"
  std::uint64_t id = 0;      // misplaced and numeric not_regular entries
  std::uint64_t subdir = 0;  // misplaced: the subdirectory it was found in
};

// What the message-holding directories (everything but lock/) contain.
struct QueueIndex {
  std::map<std::uint64_t, MessageFiles>
      messages;                        // every numeric name in mess, intd, todo, info, local, remote, bounce
  std::vector<std::string> pid_files;  // regular files in pid/, by name
  std::vector<OddEntry> odd;
  // False when a directory could not be listed (a missing directory or a
  // symlink in its place): then an absent file proves nothing, and fsck
  // removes nothing.
  bool complete = true;
};

// Lists every queue directory. Fails on a read error (a partial listing
// must not be mistaken for the truth); missing directories are odd entries.
Result<QueueIndex, ScanError> index_queue(const DirFd& queue, const ScanLimits& limits = {});

// The message ids of one directory (split subdirectories included, each id
// counted where it is found, misplaced or not). For qmail-qread (info) and
// qmail-qstat (mess, todo); a missing directory is an error here.
Result<std::vector<std::uint64_t>, ScanError> list_ids(const DirFd& queue, Dir dir, const ScanLimits& limits = {});

// qmail's message states (QMAIL.md section 3), as the tools name them.
enum class MessageState : std::uint8_t {
  injecting,  // S2/S3: mess without todo or info (qmail-queue at work, or a crash)
  todo,       // S4: todo present, waiting for qmail-send to preprocess it
  queued,     // S5: info present: preprocessed, being delivered
  broken,     // todo or info present but mess missing: cannot be delivered
  leftover,   // only intd, local, remote or bounce files
  absent,     // no file of this id at all
};
std::string_view state_name(MessageState state) noexcept;

enum class Channel : std::uint8_t {
  local,
  remote,
  unsorted,  // a todo recipient qmail-send has not yet sorted into local or remote
};
std::string_view channel_name(Channel channel) noexcept;

struct Recipient {
  std::string address;
  Channel channel = Channel::unsorted;
  bool done = false;
};

// A file of the message that could not be read or parsed.
struct FileProblem {
  std::string path;
  std::string problem;  // "file too large (20000000 bytes)", "unterminated record at byte 12", strerror
};

struct Message {
  std::uint64_t id = 0;
  MessageState state = MessageState::absent;
  std::uint16_t files = 0;            // bit(dir) for each of the message's files found at its canonical path
  std::uint64_t size = 0;             // bytes of mess/N (0 without it)
  std::int64_t birth = 0;             // info/N's mtime, else mess/N's, else todo/N's (seconds since the epoch)
  std::optional<std::string> sender;  // from info/N (queued) or todo/N (todo)
  std::vector<Recipient> recipients;  // todo/N's, or local/N's then remote/N's
  std::vector<FileProblem> problems;
  [[nodiscard]] bool has(Dir dir) const noexcept { return (files & bit(dir)) != 0; }
};

// Reads everything of message `id` at its canonical paths (a file in the
// wrong split subdirectory is not seen, as qmail would not see it). Never
// fails: what cannot be read is listed in problems.
Message read_message(const DirFd& queue, std::uint64_t id, const RecordLimits& limits = {});

struct FileReadError {
  enum class Kind : std::uint8_t { system, too_large, not_regular };
  Kind kind = Kind::system;
  int sys_errno = 0;       // system: why open, fstat or read failed (ELOOP: a symlink)
  std::uint64_t size = 0;  // too_large: the file's size
};
// "No such file or directory", "file too large (20000000 bytes, limit 16777216)", "not a regular file".
std::string describe(const FileReadError& error, std::size_t max_bytes);

// A regular file beneath the queue read whole: no symlink anywhere on the
// path, no fifo or device (opened non-blocking, checked before reading), and
// nothing over max_bytes (its size is checked before a byte is read).
Result<std::vector<std::byte>, FileReadError> read_queue_file(const DirFd& queue, std::string_view path,
                                                              std::size_t max_bytes);

}  // namespace qcell::queue
