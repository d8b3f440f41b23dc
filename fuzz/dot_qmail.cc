// dot_qmail.cc (fuzz) — parses hostile .qmail files, with and without the
// execute bit, and checks what comes out: every instruction has a target
// of a line's bytes, in line order, and a forward-only file has no
// program, mbox or Maildir.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/dot_qmail.h"
#include "core/limits.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = std::as_bytes(std::span(data, size));
  for (bool executable : {false, true}) {
    auto parsed = qcell::parse_dot_qmail(text, executable);
    if (!parsed) {
      require(!qcell::describe(parsed.error()).empty());
      continue;
    }
    std::size_t previous = 0;
    for (const auto& instruction : parsed->instructions) {
      require(!instruction.target.empty() && instruction.target.size() <= size);
      require(instruction.line > previous);
      previous = instruction.line;
      if (executable) require(instruction.kind == qcell::DotQmailKind::forward);
      require(instruction.target.find('\n') == std::string::npos);
    }
  }
  return 0;
}
