// fd.h — owned file descriptors, full read/write loops, and opening files
// beneath a directory descriptor without following symlinks.
//
// Paths given to open_beneath are treated as hostile: absolute paths, "..",
// and symlinks anywhere along the way are refused, so a cell cannot reach
// outside the directory it was granted.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>

#include "core/result.h"

namespace qcell {

// An owned descriptor: closed on destruction, movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  [[nodiscard]] int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// A descriptor known to refer to a directory (opened with O_DIRECTORY).
class DirFd {
 public:
  DirFd() noexcept = default;
  [[nodiscard]] int get() const noexcept { return fd_.get(); }
  [[nodiscard]] bool valid() const noexcept { return fd_.valid(); }

  // Opens an absolute or cwd-relative directory path. Only the broker and
  // tools use this; cells receive their DirFds already open.
  friend Result<DirFd, int> open_directory(const char* path) noexcept;
  friend Result<DirFd, int> open_directory_beneath(const DirFd& base, std::string_view relative) noexcept;
  // Takes ownership of a descriptor received from elsewhere, checking that
  // it is a directory (errno value ENOTDIR if not).
  friend Result<DirFd, int> adopt_directory(UniqueFd fd) noexcept;

 private:
  explicit DirFd(UniqueFd fd) noexcept : fd_(static_cast<UniqueFd&&>(fd)) {}
  UniqueFd fd_;
};

Result<DirFd, int> open_directory(const char* path) noexcept;
Result<DirFd, int> open_directory_beneath(const DirFd& base, std::string_view relative) noexcept;
Result<DirFd, int> adopt_directory(UniqueFd fd) noexcept;

// I/O errors carry errno; timeouts and early end of file are their own kinds.
enum class IoErrc { system, timeout, end_of_file };
struct IoError {
  IoErrc kind = IoErrc::system;
  int sys_errno = 0;
};

// Reads until `buffer` is full or end of file; retries EINTR and short reads.
// Returns the number of bytes read (less than buffer.size() only at EOF).
Result<std::size_t, IoError> read_full(int fd, std::span<std::byte> buffer) noexcept;

// Reads `fd` from offset 0 with pread (the file offset is neither used nor
// moved), at most `limit` bytes, one buffer at a time, handing each piece
// to `visit`; `visit` returning false stops early (the result is false).
// True once the end of the file or the limit is reached; EINTR is retried.
Result<bool, IoError> pread_pieces(int fd, std::span<char> buffer, std::size_t limit,
                                   const std::function<bool(std::string_view)>& visit);

// Writes all of `bytes`; retries EINTR and short writes.
Status<IoError> write_full(int fd, std::span<const std::byte> bytes) noexcept;
Status<IoError> write_full(int fd, std::string_view text) noexcept;

// How open_beneath resolves the path.
enum class ResolveMethod {
  automatic,     // openat2 where the kernel has it, else the walk
  openat2_only,  // openat2 or ENOSYS: for tests
  walk_only,     // component-by-component openat(O_NOFOLLOW): for tests
};

// Opens `relative` beneath `base`: no absolute path, no "..", no symlink in
// any component. flags are open(2) flags (O_CLOEXEC and O_NOFOLLOW are always
// added). On failure returns the errno value: ELOOP for a symlink, EXDEV for
// an escape attempt, EINVAL for an empty or malformed path.
Result<UniqueFd, int> open_beneath(const DirFd& base, std::string_view relative, int flags, mode_t mode = 0,
                                   ResolveMethod method = ResolveMethod::automatic) noexcept;

// Whether the running kernel has openat2 with RESOLVE_BENEATH (cached per call
// site by the caller if it matters; this probes each time).
bool kernel_has_openat2() noexcept;

// The seals that make a memory file's bytes final: no write, no growing, no
// shrinking, and no seal can be removed or added (F_SEAL_WRITE | F_SEAL_GROW |
// F_SEAL_SHRINK | F_SEAL_SEAL). Held by every memory file one process hands
// another (the control snapshot, a zygote's child filter, a program's job).
extern const unsigned memory_file_seals;

// A memory file (memfd) named `name` holding `bytes`, with memory_file_seals;
// or the errno of the step that failed.
Result<UniqueFd, int> sealed_memory_file(const char* name, std::span<const std::byte> bytes) noexcept;

}  // namespace qcell
