// mbox.h — delivery to an mbox file, as qmail-local does it, with locks
// that other mbox programs honour (docs/delivery.md, "Delivering to an
// mbox"):
//
//   1. open for appending (created 0600 if missing);
//   2. the dot lock NAME.lock (created exclusively beside the file; one
//      older than 5 minutes is stale and removed; where the directory
//      does not let the user create it, as Debian's /var/mail, fcntl alone
//      locks) and an fcntl write lock on the whole file, both within
//      lock_wait (qmail: 30 s, then "File has been locked for 30 seconds
//      straight. (#4.3.0)");
//   3. "From SENDER DATE" (sender "" as MAILER-DAEMON, blanks and newlines
//      as '-'; DATE asctime's in UTC), the prepended lines, the message
//      with every line matching ^>*From  given one more '>' (mboxrd), a
//      newline if the message lacks a final one, and one empty line;
//   4. fsync. A failed write or fsync truncates the file back to where
//      this delivery began: a temporary failure, and no half message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

struct MboxOptions {
  std::chrono::milliseconds lock_wait{30000};
  std::int64_t now = 0;  // seconds since the epoch, for the From line
};

enum class MboxErrc {
  open_failed,   // qmail: "Unable to open NAME: ... (#4.2.1)"
  locked,        // the locks were not had within lock_wait
  read_failed,   // the message could not be read
  write_failed,  // write or fsync failed (truncated back)
};

struct MboxError {
  MboxErrc code = MboxErrc::write_failed;
  int sys_errno = 0;
};

std::string describe(const MboxError& error, std::string_view name);

// mboxrd quoting as a stream: every line matching ^>*From  gets one more
// '>'; at the end, a final newline where the message lacks one. Memory is
// constant whatever the lines are (a run of '>' is counted, and at most
// five more bytes are held until the line is known). `put(char)` returns
// false to stop (a failed write).
template <class Put>
class MboxrdQuoter {
 public:
  explicit MboxrdQuoter(Put put) : put_(put) {}
  bool byte(char c) {
    last_ = c;
    seen_ = true;
    if (!deciding_) {
      if (!put_(c)) return false;
      if (c == '\n') start_line();
      return true;
    }
    if (c == '>' && held_ == 0) {
      ++quotes_;
      return true;
    }
    constexpr std::string_view from = "From ";
    if (c != '\n') {
      if (held_ < from.size() && from[held_] == c) {
        ++held_;
        if (held_ < from.size()) return true;  // still a prefix of "From "
        // A "From " line: one more '>'.
        deciding_ = false;
        return put_('>') && release(held_);
      }
      // Not a "From " line: what was held, then this byte.
      if (!release(held_) || !put_(c)) return false;
      deciding_ = false;
      return true;
    }
    if (!release(held_) || !put_('\n')) return false;
    start_line();
    return true;
  }
  // The end of the message: what is held goes out, then a newline if the
  // message is not empty and does not end in one.
  bool finish() {
    if (deciding_ && !release(held_)) return false;
    return !seen_ || last_ == '\n' || put_('\n');
  }

 private:
  bool release(std::size_t held) {
    for (std::size_t i = 0; i < quotes_; ++i) {
      if (!put_('>')) return false;
    }
    for (std::size_t i = 0; i < held; ++i) {
      if (!put_("From "[i])) return false;
    }
    quotes_ = 0;
    held_ = 0;
    return true;
  }
  void start_line() {
    deciding_ = true;
    quotes_ = 0;
    held_ = 0;
  }
  Put put_;
  bool deciding_ = true;
  std::size_t quotes_ = 0;
  std::size_t held_ = 0;  // bytes of "From " matched so far
  char last_ = '\n';
  bool seen_ = false;
};

// The whole message quoted (for tests and the fuzz target).
std::string mboxrd_quote(std::string_view message);

// The "From " line's sender: "" as MAILER-DAEMON, spaces, tabs and newlines as '-'.
std::string mbox_from_sender(std::string_view sender);

// "From SENDER DATE\n", the line an mbox message starts with (and a
// program delivery's UFLINE); DATE as asctime gives it, in UTC.
std::string mbox_from_line(std::string_view sender, std::int64_t now);

// Delivers to `name` (a file name or path beneath `directory`, no "..").
Status<MboxError> deliver_to_mbox(const DirFd& directory, std::string_view name, std::string_view sender,
                                  std::string_view prefix, int message_fd, const MboxOptions& options);

}  // namespace qcell
