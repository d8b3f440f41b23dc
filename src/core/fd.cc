// fd.cc — descriptor ownership, EINTR-safe I/O loops, and the two ways of
// opening a path beneath a directory (openat2, or a checked component walk).
#include "core/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/byte_buffer.h"

namespace qcell {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);  // close(2) errors on a read/dir fd carry no information we can act on
  fd_ = fd;
}

Result<DirFd, int> open_directory(const char* path) noexcept {
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  return DirFd(UniqueFd(fd));
}

Result<DirFd, int> open_directory_beneath(const DirFd& base, std::string_view relative) noexcept {
  auto fd = open_beneath(base, relative, O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(fd.error());
  return DirFd(std::move(fd.value()));
}

Result<DirFd, int> adopt_directory(UniqueFd fd) noexcept {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno);
  if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR);
  return DirFd(std::move(fd));
}

Result<std::size_t, IoError> read_full(int fd, std::span<std::byte> buffer) noexcept {
  std::size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(IoError{IoErrc::system, errno});
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Status<IoError> write_full(int fd, std::span<const std::byte> bytes) noexcept {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(IoError{IoErrc::system, errno});
    }
    if (n == 0) return fail(IoError{IoErrc::system, EIO});  // write(2) returning 0 for a non-empty buffer
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status<IoError> write_full(int fd, std::string_view text) noexcept { return write_full(fd, as_bytes(text)); }

namespace {

// Syntax check shared by both methods: relative, no "..", no empty path.
// "." components and repeated slashes are harmless and allowed.
int check_relative_path(std::string_view path) noexcept {
  if (path.empty()) return EINVAL;
  if (path.front() == '/') return EXDEV;
  if (path.find('\0') != std::string_view::npos) return EINVAL;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return EXDEV;
    start = end + 1;
  }
  return 0;
}

// Paths and components are copied into fixed buffers (no allocation: these
// functions are noexcept and run in memory-limited cells).
constexpr std::size_t path_buffer = 4096;      // PATH_MAX
constexpr std::size_t component_buffer = 256;  // NAME_MAX + 1

Result<UniqueFd, int> open_with_openat2(const DirFd& base, const char* path, int flags, mode_t mode) noexcept {
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(static_cast<unsigned>(flags | O_CLOEXEC | O_NOFOLLOW));
  // The kernel refuses a non-zero mode unless O_CREAT or O_TMPFILE is given.
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = ::syscall(SYS_openat2, base.get(), path, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || errno == EAGAIN) continue;  // EAGAIN: a rename raced the lookup
    return fail(errno);
  }
}

// The walk: every intermediate component is opened with
// O_NOFOLLOW|O_DIRECTORY and the last with O_NOFOLLOW, so a symlink anywhere
// fails. (For an intermediate symlink the kernel says ENOTDIR; we report
// ELOOP, as openat2 does, after checking with fstatat.)
Result<UniqueFd, int> open_with_walk(const DirFd& base, std::string_view path, int flags, mode_t mode) noexcept {
  int current = base.get();
  UniqueFd held;  // owns `current` once we have descended
  char component[component_buffer];
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view name = path.substr(start, slash - start);
    start = slash + 1;
    bool last = start > path.size();
    if (name.empty() || name == ".") {
      if (!last) continue;
      name = ".";
    }
    if (name.size() >= sizeof component) return fail(ENAMETOOLONG);
    std::memcpy(component, name.data(), name.size());
    component[name.size()] = '\0';
    if (last) {
      int fd = ::openat(current, component, flags | O_CLOEXEC | O_NOFOLLOW, mode);
      if (fd < 0) return fail(errno);
      return UniqueFd(fd);
    }
    int next = ::openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      int err = errno;
      struct stat st {};
      if (err == ENOTDIR && ::fstatat(current, component, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        err = ELOOP;
      }
      return fail(err);
    }
    held.reset(next);
    current = next;
  }
  return fail(EINVAL);  // unreachable: the loop always reaches the last component
}

}  // namespace

bool kernel_has_openat2() noexcept {
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return true;
  }
  return errno != ENOSYS && errno != EINVAL && errno != E2BIG && errno != EPERM;
}

Result<UniqueFd, int> open_beneath(const DirFd& base, std::string_view relative, int flags, mode_t mode,
                                   ResolveMethod method) noexcept {
  if (int bad = check_relative_path(relative); bad != 0) return fail(bad);
  if (relative.size() >= path_buffer) return fail(ENAMETOOLONG);
  if (method != ResolveMethod::walk_only) {
    char path[path_buffer];
    std::memcpy(path, relative.data(), relative.size());
    path[relative.size()] = '\0';
    auto opened = open_with_openat2(base, path, flags, mode);
    if (opened || method == ResolveMethod::openat2_only) return opened;
    // Only a kernel without openat2 (or a filter answering ENOSYS) falls back.
    if (opened.error() != ENOSYS) return opened;
  }
  return open_with_walk(base, relative, flags, mode);
}

Result<bool, IoError> pread_pieces(int fd, std::span<char> buffer, std::size_t limit,
                                   const std::function<bool(std::string_view)>& visit) {
  std::size_t offset = 0;
  while (offset < limit) {
    const std::size_t want = std::min(buffer.size(), limit - offset);
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(IoError{IoErrc::system, errno});
    }
    if (n == 0) return true;
    offset += static_cast<std::size_t>(n);
    if (!visit(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) return false;
  }
  return true;
}

const unsigned memory_file_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

Result<UniqueFd, int> sealed_memory_file(const char* name, std::span<const std::byte> bytes) noexcept {
  UniqueFd memory(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memory) return fail(errno);
  if (auto written = write_full(memory.get(), bytes); !written) return fail(written.error().sys_errno);
  if (::fcntl(memory.get(), F_ADD_SEALS, memory_file_seals) != 0) return fail(errno);
  return memory;
}

}  // namespace qcell
