// queue_scan.cc — listing queue directories and reading a message's files
// through the queue descriptor. Names, types and sizes found in the queue
// are hostile: every directory read is bounded, every open refuses symlinks,
// every file is checked to be regular and small enough before it is read.
#include "core/queue_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace qcell::queue {

namespace {

struct RawEntry {
  std::string name;
  bool regular = false;
  bool directory = false;
};

// Closes a DIR* (and the descriptor it owns).
struct DirCloser {
  DIR* dir;
  ~DirCloser() {
    if (dir != nullptr) ::closedir(dir);
  }
};

// Reads the names of directory `path` beneath the queue, "." and ".."
// excluded, with each entry's type (lstat-like: a symlink is neither a
// regular file nor a directory).
Result<std::vector<RawEntry>, ScanError> read_dir(const DirFd& queue, std::string_view path, const ScanLimits& limits) {
  auto opened = open_beneath(queue, path, O_RDONLY | O_DIRECTORY);
  if (!opened) return fail(ScanError{ScanErrc::system, opened.error(), std::string(path)});
  UniqueFd fd = std::move(opened.value());
  DIR* raw = ::fdopendir(fd.get());
  if (raw == nullptr) return fail(ScanError{ScanErrc::system, errno, std::string(path)});
  (void)fd.release();  // now owned by the DIR
  DirCloser closer{raw};
  std::vector<RawEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(raw);
    if (entry == nullptr) {
      if (errno != 0) return fail(ScanError{ScanErrc::system, errno, std::string(path)});
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (entries.size() >= limits.max_entries_per_directory) {
      return fail(ScanError{ScanErrc::too_many_entries, 0, std::string(path)});
    }
    RawEntry raw_entry{std::string(name), entry->d_type == DT_REG, entry->d_type == DT_DIR};
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(raw), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed while we read
        return fail(ScanError{ScanErrc::system, errno, std::string(path) + "/" + raw_entry.name});
      }
      raw_entry.regular = S_ISREG(st.st_mode);
      raw_entry.directory = S_ISDIR(st.st_mode);
    }
    entries.push_back(std::move(raw_entry));
  }
  return entries;
}

std::string join(std::string_view dir, std::string_view name) {
  std::string path(dir);
  path += '/';
  path += name;
  return path;
}

std::string split_subdir_name(std::string_view dir, std::uint64_t subdir) { return join(dir, std::to_string(subdir)); }

// A missing directory, or a symlink or file in a directory's place.
bool unlistable(int sys_errno) { return sys_errno == ENOENT || sys_errno == ELOOP || sys_errno == ENOTDIR; }

void note_unlistable(QueueIndex& index, Dir dir, std::string path, int sys_errno) {
  index.complete = false;
  OddEntry odd;
  odd.kind = sys_errno == ENOENT ? OddEntry::Kind::missing_directory : OddEntry::Kind::not_regular;
  odd.dir = dir;
  odd.path = std::move(path);
  index.odd.push_back(std::move(odd));
}

// Records the entries of one directory holding message files (a split
// subdirectory `subdir`, or a non-split directory when subdir is empty).
void index_entries(QueueIndex& index, Dir dir, std::string_view path, std::optional<std::uint64_t> subdir,
                   const std::vector<RawEntry>& entries) {
  for (const RawEntry& entry : entries) {
    std::string entry_path = join(path, entry.name);
    auto id = parse_message_id(entry.name);
    if (!id) {
      index.odd.push_back(OddEntry{OddEntry::Kind::bad_name, dir, std::move(entry_path), 0, 0});
      continue;
    }
    MessageFiles& files = index.messages[*id];
    files.present |= bit(dir);
    if (!entry.regular) {
      files.irregular |= bit(dir);
      index.odd.push_back(OddEntry{OddEntry::Kind::not_regular, dir, entry_path, *id, subdir.value_or(0)});
    }
    if (subdir && split_of(*id) != *subdir) {
      files.misplaced |= bit(dir);
      index.odd.push_back(OddEntry{OddEntry::Kind::misplaced, dir, std::move(entry_path), *id, *subdir});
    }
  }
}

// The subdirectory number a split directory's entry names, if it is one of 0..22.
std::optional<std::uint64_t> subdir_number(std::string_view name) {
  auto number = parse_message_id(name);
  if (!number || *number >= split) return std::nullopt;
  return number;
}

Status<ScanError> index_directory(const DirFd& queue, const DirEntry& entry, QueueIndex& index,
                                  const ScanLimits& limits) {
  auto top = read_dir(queue, entry.name, limits);
  if (!top) {
    if (top.error().kind == ScanErrc::system && unlistable(top.error().sys_errno)) {
      note_unlistable(index, entry.dir, std::string(entry.name), top.error().sys_errno);
      return {};
    }
    return fail(top.error());
  }
  if (entry.dir == Dir::pid) {
    for (RawEntry& raw : *top) {
      if (raw.regular) {
        index.pid_files.push_back(std::move(raw.name));
      } else {
        index.odd.push_back(OddEntry{OddEntry::Kind::not_regular, Dir::pid, join(entry.name, raw.name), 0, 0});
      }
    }
    return {};
  }
  if (!entry.split) {
    index_entries(index, entry.dir, entry.name, std::nullopt, *top);
    return {};
  }
  // A split directory holds the subdirectories 0..22 and nothing else.
  for (const RawEntry& raw : *top) {
    if (!subdir_number(raw.name)) {
      index.odd.push_back(OddEntry{OddEntry::Kind::bad_name, entry.dir, join(entry.name, raw.name), 0, 0});
    }
  }
  for (std::uint64_t subdir = 0; subdir < split; ++subdir) {
    std::string path = split_subdir_name(entry.name, subdir);
    auto listing = read_dir(queue, path, limits);
    if (!listing) {
      if (listing.error().kind == ScanErrc::system && unlistable(listing.error().sys_errno)) {
        note_unlistable(index, entry.dir, std::move(path), listing.error().sys_errno);
        continue;
      }
      return fail(listing.error());
    }
    index_entries(index, entry.dir, path, subdir, *listing);
  }
  return {};
}

// What open_beneath(O_PATH) and fstat say of one canonical message path.
struct Probe {
  bool exists = false;
  bool regular = false;
  int sys_errno = 0;  // when it could not be examined (ELOOP: a symlink on the path)
  struct stat st {};
};

Probe probe(const DirFd& queue, std::string_view path) {
  Probe result;
  auto fd = open_beneath(queue, path, O_PATH);
  if (!fd) {
    result.sys_errno = fd.error();
    // A symlink (or a symlink standing for a directory on the way) is
    // something: the message cannot be assumed absent.
    result.exists = fd.error() != ENOENT;
    return result;
  }
  if (::fstat(fd->get(), &result.st) != 0) {
    result.sys_errno = errno;
    result.exists = true;
    return result;
  }
  result.exists = true;
  result.regular = S_ISREG(result.st.st_mode);
  return result;
}

MessageState state_of(const Message& message) {
  const bool mess = message.has(Dir::mess);
  const bool todo = message.has(Dir::todo);
  const bool info = message.has(Dir::info);
  if (!mess && (todo || info)) return MessageState::broken;
  if (todo) return MessageState::todo;
  if (info) return MessageState::queued;
  if (mess) return MessageState::injecting;
  if (message.files != 0) return MessageState::leftover;
  return MessageState::absent;
}

// Reads one record file of the message, noting a problem on failure.
std::optional<std::vector<std::byte>> read_records(const DirFd& queue, Message& message, Dir dir,
                                                   const RecordLimits& limits) {
  MessagePath path(dir, message.id);
  auto bytes = read_queue_file(queue, path.view(), limits.max_file);
  if (!bytes) {
    message.problems.push_back(FileProblem{std::string(path.view()), describe(bytes.error(), limits.max_file)});
    return std::nullopt;
  }
  return std::move(bytes.value());
}

void parse_problem(Message& message, Dir dir, const RecordParseError& error) {
  message.problems.push_back(FileProblem{std::string(MessagePath(dir, message.id).view()), format_record_error(error)});
}

void read_recipients(const DirFd& queue, Message& message, Dir dir, Channel channel, const RecordLimits& limits) {
  if (!message.has(dir)) return;
  auto bytes = read_records(queue, message, dir, limits);
  if (!bytes) return;
  auto records = parse_recipients(*bytes, limits);
  if (!records) return parse_problem(message, dir, records.error());
  for (RecipientRecord& record : *records) {
    message.recipients.push_back(Recipient{std::move(record.address), channel, record.done});
  }
}

}  // namespace

std::string describe(const ScanError& error) {
  if (error.kind == ScanErrc::too_many_entries) return "too many entries in " + error.path;
  return "cannot read " + error.path + ": " + ::strerror(error.sys_errno);
}

std::string describe(const FileReadError& error, std::size_t max_bytes) {
  switch (error.kind) {
    case FileReadError::Kind::too_large:
      return "file too large (" + std::to_string(error.size) + " bytes, limit " + std::to_string(max_bytes) + ")";
    case FileReadError::Kind::not_regular: return "not a regular file";
    case FileReadError::Kind::system: break;
  }
  if (error.sys_errno == ELOOP) return "is a symlink (not followed)";
  return ::strerror(error.sys_errno);
}

Result<QueueIndex, ScanError> index_queue(const DirFd& queue, const ScanLimits& limits) {
  QueueIndex index;
  for (const DirEntry& entry : dir_table()) {
    if (entry.dir == Dir::lock) continue;
    if (auto done = index_directory(queue, entry, index, limits); !done) return fail(done.error());
  }
  return index;
}

Result<std::vector<std::uint64_t>, ScanError> list_ids(const DirFd& queue, Dir dir, const ScanLimits& limits) {
  const DirEntry& entry = dir_entry(dir);
  std::vector<std::uint64_t> ids;
  auto add = [&](std::string_view path) -> Status<ScanError> {
    auto listing = read_dir(queue, path, limits);
    if (!listing) return fail(listing.error());
    for (const RawEntry& raw : *listing) {
      if (auto id = parse_message_id(raw.name)) ids.push_back(*id);
    }
    return {};
  };
  if (!entry.split) {
    if (auto done = add(entry.name); !done) return fail(done.error());
    return ids;
  }
  for (std::uint64_t subdir = 0; subdir < split; ++subdir) {
    if (auto done = add(split_subdir_name(entry.name, subdir)); !done) return fail(done.error());
  }
  return ids;
}

std::string_view state_name(MessageState state) noexcept {
  switch (state) {
    case MessageState::injecting: return "injecting";
    case MessageState::todo: return "todo";
    case MessageState::queued: return "queued";
    case MessageState::broken: return "broken";
    case MessageState::leftover: return "leftover";
    case MessageState::absent: return "absent";
  }
  return "unknown";
}

std::string_view channel_name(Channel channel) noexcept {
  switch (channel) {
    case Channel::local: return "local";
    case Channel::remote: return "remote";
    case Channel::unsorted: return "unsorted";
  }
  return "unknown";
}

Result<std::vector<std::byte>, FileReadError> read_queue_file(const DirFd& queue, std::string_view path,
                                                              std::size_t max_bytes) {
  // O_NONBLOCK: a fifo in a file's place must not hang the tool.
  auto fd = open_beneath(queue, path, O_RDONLY | O_NONBLOCK);
  if (!fd) return fail(FileReadError{FileReadError::Kind::system, fd.error(), 0});
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return fail(FileReadError{FileReadError::Kind::system, errno, 0});
  if (!S_ISREG(st.st_mode)) return fail(FileReadError{FileReadError::Kind::not_regular, 0, 0});
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) return fail(FileReadError{FileReadError::Kind::too_large, 0, size});
  // One byte more than the size, to notice a file that grew meanwhile.
  std::vector<std::byte> bytes(static_cast<std::size_t>(size) + 1);
  auto got = read_full(fd->get(), bytes);
  if (!got) return fail(FileReadError{FileReadError::Kind::system, got.error().sys_errno, 0});
  if (*got > max_bytes) return fail(FileReadError{FileReadError::Kind::too_large, 0, *got});
  bytes.resize(*got);
  return bytes;
}

Message read_message(const DirFd& queue, std::uint64_t id, const RecordLimits& limits) {
  Message message;
  message.id = id;
  Probe found[static_cast<std::size_t>(Dir::lock)];
  for (Dir dir : {Dir::mess, Dir::intd, Dir::todo, Dir::info, Dir::local, Dir::remote, Dir::bounce}) {
    MessagePath path(dir, id);
    Probe& p = found[static_cast<std::size_t>(dir)];
    p = probe(queue, path.view());
    if (!p.exists) continue;
    message.files |= bit(dir);
    if (p.sys_errno != 0) {
      message.problems.push_back(FileProblem{std::string(path.view()), p.sys_errno == ELOOP
                                                                           ? "is a symlink (not followed)"
                                                                           : std::string(::strerror(p.sys_errno))});
    } else if (!p.regular) {
      message.problems.push_back(FileProblem{std::string(path.view()), "not a regular file"});
    }
  }
  message.state = state_of(message);
  const Probe& mess = found[static_cast<std::size_t>(Dir::mess)];
  const Probe& info = found[static_cast<std::size_t>(Dir::info)];
  const Probe& todo = found[static_cast<std::size_t>(Dir::todo)];
  if (mess.regular) message.size = static_cast<std::uint64_t>(mess.st.st_size);
  if (info.regular) {
    message.birth = info.st.st_mtime;
  } else if (mess.regular) {
    message.birth = mess.st.st_mtime;
  } else if (todo.regular) {
    message.birth = todo.st.st_mtime;
  }

  if (message.has(Dir::todo)) {
    // S4 (even with a leftover info from a crashed preprocessing): the
    // envelope in todo/ is what qmail-send will read.
    auto bytes = read_records(queue, message, Dir::todo, limits);
    if (!bytes) return message;
    auto envelope = parse_envelope(*bytes, limits);
    if (!envelope) {
      parse_problem(message, Dir::todo, envelope.error());
      return message;
    }
    message.sender = std::move(envelope->sender);
    for (std::string& address : envelope->recipients) {
      message.recipients.push_back(Recipient{std::move(address), Channel::unsorted, false});
    }
    return message;
  }
  if (message.has(Dir::info)) {
    if (auto bytes = read_records(queue, message, Dir::info, limits)) {
      auto parsed = parse_info(*bytes, limits);
      if (parsed) {
        message.sender = std::move(parsed->sender);
      } else {
        parse_problem(message, Dir::info, parsed.error());
      }
    }
    read_recipients(queue, message, Dir::local, Channel::local, limits);
    read_recipients(queue, message, Dir::remote, Channel::remote, limits);
  }
  return message;
}

}  // namespace qcell::queue
