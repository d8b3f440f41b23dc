// kernel_log.cc — /dev/kmsg records: "prio,seq,time,flags;message".
#include "sandbox/kernel_log.h"

#include "core/seccomp_record.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdlib.h>
#include <unistd.h>

namespace qcell::sandbox {

KernelLog::KernelLog() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (fd_) ::lseek(fd_.get(), 0, SEEK_END);
}

std::optional<SeccompKill> KernelLog::find_kill(pid_t pid, std::chrono::milliseconds wait) {
  if (!fd_) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + wait;
  char record[8192];
  for (;;) {
    ssize_t n = ::read(fd_.get(), record, sizeof record);
    if (n > 0) {
      auto found = parse_seccomp_record(std::string_view(record, static_cast<std::size_t>(n)), pid);
      if (!found) continue;
      SeccompKill kill;
      kill.syscall = found->syscall;
      char* name = seccomp_syscall_resolve_num_arch(found->arch, found->syscall);
      kill.name = name != nullptr ? name : "unknown";
      ::free(name);
      return kill;
    }
    if (n < 0 && errno == EPIPE) continue;  // records were overwritten; carry on with the next
    if (n < 0 && errno != EAGAIN && errno != EINTR) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    struct pollfd p {
      fd_.get(), POLLIN, 0
    };
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
}

}  // namespace qcell::sandbox
