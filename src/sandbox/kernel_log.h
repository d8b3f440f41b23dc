// kernel_log.h — finds the kernel's record of a seccomp kill (audit type
// 1326 in /dev/kmsg) so the broker can log which syscall killed which cell.
// The kernel log is trusted; its records are still parsed with bounds, and a
// missing record is reported as "unknown", never guessed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/fd.h"

namespace qcell::sandbox {

struct SeccompKill {
  int syscall = -1;
  std::string name;  // resolved with libseccomp for the record's architecture
};

class KernelLog {
 public:
  // Opens /dev/kmsg positioned at its end (only later records are read).
  // Without it (no permission, no device) every lookup answers nullopt.
  KernelLog();
  [[nodiscard]] bool available() const { return fd_.valid(); }
  // Looks for the record of `pid`'s seccomp kill, waiting up to `wait`.
  std::optional<SeccompKill> find_kill(pid_t pid, std::chrono::milliseconds wait);

 private:
  UniqueFd fd_;
};

}  // namespace qcell::sandbox
