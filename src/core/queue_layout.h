// queue_layout.h — qmail 1.03's queue layout: the directories, which of them
// are split, their owners and modes, and the names of a message's files.
// Pure: no I/O. Message names read back from a directory are hostile input
// to the tools that parse them (parse_message_id).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace qcell::queue {

// qmail's conf-split: split directories have subdirectories 0..22, and a
// message with id N lives in <dir>/<N % 23>/<N>. A compile-time constant in
// qmail too; queues written with another split are refused by the tools.
inline constexpr std::uint64_t split = 23;

enum class Dir : std::uint8_t { pid, mess, intd, todo, info, local, remote, bounce, lock };

// Which account owns a directory: qmail's qmailq (queue writers) or qmails
// (the scheduler). The group is always qmail.
enum class Owner : std::uint8_t { qmailq, qmails };

struct DirEntry {
  Dir dir;
  std::string_view name;
  bool split;
  Owner owner;
  mode_t mode;
  std::string_view holds;
};

// In creation order (hier.c). Modes are qmail's.
std::span<const DirEntry> dir_table() noexcept;
const DirEntry& dir_entry(Dir dir) noexcept;

// "mess/5/1234", "todo/1234", "pid/..." without a leading slash, in a
// fixed buffer: no allocation, so it can be used between clone and exec and
// in cells. The longest: "remote/22/18446744073709551615" (30 bytes).
class MessagePath {
 public:
  MessagePath(Dir dir, std::uint64_t id) noexcept;
  const char* c_str() const noexcept { return text_; }
  std::string_view view() const noexcept { return {text_, size_}; }

 private:
  char text_[40] = {};
  std::size_t size_ = 0;
};

// "mess/5" for a split directory's subdirectory of a message.
class SplitDirPath {
 public:
  SplitDirPath(Dir dir, std::uint64_t id) noexcept;
  const char* c_str() const noexcept { return text_; }
  std::string_view view() const noexcept { return {text_, size_}; }

 private:
  char text_[16] = {};
  std::size_t size_ = 0;
};

// A message id as a file name: canonical decimal (no sign, no leading zero,
// not empty), at most 20 digits, fitting in 64 bits. Anything else is not a
// message file (a tool reports it; it never guesses).
std::optional<std::uint64_t> parse_message_id(std::string_view name) noexcept;

// The split subdirectory a message id belongs in.
constexpr std::uint64_t split_of(std::uint64_t id) noexcept { return id % split; }

}  // namespace qcell::queue
