// queue_layout.cc — the queue directory table and message file names.
// Trusts nothing in names it parses.
#include "core/queue_layout.h"

#include <sys/stat.h>

#include <cstring>

#include "core/decimal.h"

namespace qcell::queue {

namespace {

constexpr DirEntry table[] = {
    {Dir::pid, "pid", false, Owner::qmailq, 0700, "a new message's file while qmail-queue learns its inode number"},
    {Dir::mess, "mess", true, Owner::qmailq, 0750, "message contents, named by inode number"},
    {Dir::intd, "intd", false, Owner::qmailq, 0700, "an envelope being written"},
    {Dir::todo, "todo", false, Owner::qmailq, 0750, "complete envelopes not yet seen by qmail-send"},
    {Dir::info, "info", true, Owner::qmails, 0700, "the sender; its mtime is the message's birth"},
    {Dir::local, "local", true, Owner::qmails, 0700, "local recipients, T (to do) or D (done)"},
    {Dir::remote, "remote", true, Owner::qmails, 0700, "remote recipients, T (to do) or D (done)"},
    {Dir::bounce, "bounce", false, Owner::qmails, 0700, "permanent failure reports being collected"},
    {Dir::lock, "lock", false, Owner::qmailq, 0750, "sendmutex, tcpto and the trigger fifo"},
};

constexpr bool in_order() {
  for (std::size_t i = 0; i < std::size(table); ++i) {
    if (static_cast<std::size_t>(table[i].dir) != i) return false;
  }
  return true;
}
static_assert(in_order());
static_assert(std::size(table) == static_cast<std::size_t>(Dir::lock) + 1);

// Appends the decimal digits of value; returns the new size.
std::size_t append_decimal(char* out, std::size_t at, std::uint64_t value) noexcept {
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out[at++] = digits[--n];
  return at;
}

std::size_t append_text(char* out, std::size_t at, std::string_view text) noexcept {
  std::memcpy(out + at, text.data(), text.size());
  return at + text.size();
}

}  // namespace

std::span<const DirEntry> dir_table() noexcept { return table; }

const DirEntry& dir_entry(Dir dir) noexcept { return table[static_cast<std::size_t>(dir)]; }

// Longest: "remote/" (7) + "22/" (3) + 20 digits = 30 < 40.
MessagePath::MessagePath(Dir dir, std::uint64_t id) noexcept {
  const DirEntry& entry = dir_entry(dir);
  std::size_t at = append_text(text_, 0, entry.name);
  text_[at++] = '/';
  if (entry.split) {
    at = append_decimal(text_, at, split_of(id));
    text_[at++] = '/';
  }
  at = append_decimal(text_, at, id);
  text_[at] = '\0';
  size_ = at;
}

// Longest: "remote/22" (9) < 16.
SplitDirPath::SplitDirPath(Dir dir, std::uint64_t id) noexcept {
  const DirEntry& entry = dir_entry(dir);
  std::size_t at = append_text(text_, 0, entry.name);
  if (entry.split) {
    text_[at++] = '/';
    at = append_decimal(text_, at, split_of(id));
  }
  text_[at] = '\0';
  size_ = at;
}

std::optional<std::uint64_t> parse_message_id(std::string_view name) noexcept {
  return parse_canonical_decimal(name);
}

}  // namespace qcell::queue
