// mbox.cc — locks, From_ line, mboxrd quoting, fsync or truncate (mbox.h).
#include "core/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <thread>

#include "core/utc_time.h"

namespace qcell {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t stale_lock_seconds = 300;
constexpr std::chrono::milliseconds lock_retry{100};

// Bytes to the mbox through a buffer.
class MboxWriter {
 public:
  explicit MboxWriter(int fd) : fd_(fd) {}
  bool put(char c) {
    if (used_ == buffer_.size() && !flush()) return false;
    buffer_[used_++] = c;
    return true;
  }
  bool raw(std::string_view text) {
    for (char c : text) {
      if (!put(c)) return false;
    }
    return true;
  }
  bool flush() {
    if (used_ == 0) return true;
    auto written = write_full(fd_, std::string_view(buffer_.data(), used_));
    used_ = 0;
    if (!written) {
      error_ = written.error().sys_errno;
      return false;
    }
    return true;
  }
  int error() const { return error_; }

 private:
  int fd_;
  std::array<char, 65536> buffer_{};
  std::size_t used_ = 0;
  int error_ = 0;
};

// The dot lock: true when held, false when the directory does not allow
// one (the fcntl lock then stands alone); an error when it stayed taken.
Result<bool, MboxError> take_dot_lock(const DirFd& directory, const std::string& lock, Clock::time_point deadline,
                                      std::int64_t now) {
  for (;;) {
    UniqueFd fd(::openat(directory.get(), lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) return true;
    if (errno == EACCES || errno == EPERM || errno == EROFS) return false;
    if (errno != EEXIST) return fail(MboxError{MboxErrc::locked, errno});
    struct stat st {};
    if (::fstatat(directory.get(), lock.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && now - st.st_mtime > stale_lock_seconds) {
      (void)::unlinkat(directory.get(), lock.c_str(), 0);
      continue;
    }
    if (Clock::now() >= deadline) return fail(MboxError{MboxErrc::locked, EEXIST});
    std::this_thread::sleep_for(lock_retry);
  }
}

Status<MboxError> take_file_lock(int fd, Clock::time_point deadline) {
  struct flock whole {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  for (;;) {
    if (::fcntl(fd, F_OFD_SETLK, &whole) == 0) return {};
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) return fail(MboxError{MboxErrc::locked, errno});
    if (Clock::now() >= deadline) return fail(MboxError{MboxErrc::locked, EAGAIN});
    std::this_thread::sleep_for(lock_retry);
  }
}

}  // namespace

std::string mboxrd_quote(std::string_view message) {
  std::string out;
  MboxrdQuoter quoter([&out](char c) {
    out.push_back(c);
    return true;
  });
  for (char c : message) (void)quoter.byte(c);
  (void)quoter.finish();
  return out;
}

std::string mbox_from_sender(std::string_view sender) {
  if (sender.empty()) return "MAILER-DAEMON";
  std::string out(sender);
  for (char& c : out) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '-';
  }
  return out;
}

std::string mbox_from_line(std::string_view sender, std::int64_t now) {
  return "From " + mbox_from_sender(sender) + " " + asctime_utc(now) + "\n";
}

std::string describe(const MboxError& error, std::string_view name) {
  const std::string reason = error.sys_errno != 0 ? std::string(": ") + ::strerror(error.sys_errno) : "";
  switch (error.code) {
    case MboxErrc::open_failed: return "Unable to open " + std::string(name) + reason + ". (#4.2.1)";
    case MboxErrc::locked:
      return error.sys_errno == EAGAIN || error.sys_errno == EEXIST
                 ? "File has been locked for 30 seconds straight. (#4.3.0)"
                 : "Unable to lock " + std::string(name) + reason + ". (#4.3.0)";
    case MboxErrc::read_failed: return "Unable to read message" + reason + ". (#4.3.0)";
    case MboxErrc::write_failed: return "Unable to write " + std::string(name) + reason + ". (#4.3.0)";
  }
  return "Temporary error on mbox delivery. (#4.3.0)";
}

Status<MboxError> deliver_to_mbox(const DirFd& directory, std::string_view name, std::string_view sender,
                                  std::string_view prefix, int message_fd, const MboxOptions& options) {
  auto file = open_beneath(directory, name, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (!file) return fail(MboxError{MboxErrc::open_failed, file.error()});
  const Clock::time_point deadline = Clock::now() + options.lock_wait;
  // The dot lock lives beside the file: NAME.lock in the same directory.
  const std::string lock = std::string(name) + ".lock";
  auto dot = take_dot_lock(directory, lock, deadline, options.now);
  if (!dot) return fail(dot.error());
  const bool dot_held = *dot;
  auto release = [&] {
    if (dot_held) (void)::unlinkat(directory.get(), lock.c_str(), 0);
  };
  if (auto locked = take_file_lock(file->get(), deadline); !locked) {
    release();
    return locked;
  }
  const off_t start = ::lseek(file->get(), 0, SEEK_END);
  auto give_back = [&](MboxErrc code, int error) {
    // If even this fails the partial delivery stays: the mbox readers see
    // a message without its end, and the retry appends it whole.
    if (start >= 0 && ::ftruncate(file->get(), start) != 0) error = error != 0 ? error : errno;
    release();
    return Status<MboxError>(fail(MboxError{code, error}));
  };
  MboxWriter out(file->get());
  if (!out.raw(mbox_from_line(sender, options.now)) || !out.raw(prefix)) {
    return give_back(MboxErrc::write_failed, out.error());
  }
  MboxrdQuoter quoter([&out](char c) { return out.put(c); });
  std::array<char, 65536> buffer{};
  auto copied = pread_pieces(message_fd, buffer, SIZE_MAX, [&quoter](std::string_view piece) {
    for (char c : piece) {
      if (!quoter.byte(c)) return false;
    }
    return true;
  });
  if (!copied) return give_back(MboxErrc::read_failed, copied.error().sys_errno);
  if (!*copied) return give_back(MboxErrc::write_failed, out.error());
  // The message's end, then the empty line that separates messages.
  if (!quoter.finish() || !out.put('\n') || !out.flush()) return give_back(MboxErrc::write_failed, out.error());
  if (::fsync(file->get()) != 0) return give_back(MboxErrc::write_failed, errno);
  release();
  return {};
}

}  // namespace qcell
