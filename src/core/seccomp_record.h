// seccomp_record.h — parses one kernel log record (/dev/kmsg) and recognises
// the audit record of a seccomp kill (type=1326) for a given pid. The kernel
// log is trusted, but any process can write to /dev/kmsg as root-owned text
// only through the kernel, so records are still parsed with bounds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace qcell {

struct SeccompRecord {
  int syscall = -1;
  std::uint32_t arch = 0;  // AUDIT_ARCH_* value (hex in the record)
};

std::optional<SeccompRecord> parse_seccomp_record(std::string_view record, pid_t pid);

}  // namespace qcell
