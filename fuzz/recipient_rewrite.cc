// recipient_rewrite.cc (fuzz) — the first line of the input is a hostile
// recipient, the other lines control/virtualdomains. The lines are parsed
// (parse_virtualdomains); the recipient is rewritten under fixed rules that
// exercise every step (envnoathost, a percenthack loop, locals, every kind
// of virtualdomains key) and, when they parsed, under the input's own
// virtualdomains. No rewrite may grow the address by more than
// envnoathost and the longest prepend, or lose its '@'.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/recipient_rewrite.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


qcell::RewriteRules fixed_rules() {
  qcell::RewriteRules built;
  built.envnoathost = "mx.example";
  built.locals = {"mx.example", "local.example"};
  built.percenthack = {"gw.example", "mx.example", "b"};
  built.virtualdomains = {{"u@virt.example", "user"}, {"virt.example", "dom"}, {".example", "suffix"},
                          {"not.example", ""}, {"", "all"}};
  return built;
}

void check(std::string_view recipient, const qcell::RewriteRules& rules) {
  std::size_t longest = 0;
  for (const auto& entry : rules.virtualdomains) longest = std::max(longest, entry.second.size());
  const qcell::Rewritten out = qcell::rewrite_recipient(recipient, rules);
  require(out.address.size() <= recipient.size() + 1 + rules.envnoathost.size() + 1 + longest);
  require(out.address.find('@') != std::string::npos);
  // A bounce's address is never longer than the queued one, and keeps its domain.
  const std::string shown = qcell::strip_virtual_prepend(out.address, rules);
  require(shown.size() <= out.address.size());
  require(out.address.size() - shown.size() <= longest + 1);
  require(out.address.substr(out.address.rfind('@')) == shown.substr(shown.rfind('@')));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view recipient = input.substr(0, newline);
  static const qcell::RewriteRules rules = fixed_rules();
  check(recipient, rules);
  if (newline == std::string_view::npos) return 0;
  std::vector<std::string> lines;
  std::string_view rest = input.substr(newline + 1);
  while (!rest.empty() && lines.size() < 64) {
    const std::size_t end = rest.find('\n');
    lines.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  auto parsed = qcell::parse_virtualdomains(lines);
  if (!parsed) {
    require(parsed.error().second >= 1 && parsed.error().second <= lines.size());
    return 0;
  }
  require(parsed->size() == lines.size());
  qcell::RewriteRules own = rules;
  own.virtualdomains = std::move(parsed.value());
  check(recipient, own);
  return 0;
}
