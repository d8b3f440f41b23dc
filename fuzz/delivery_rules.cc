// delivery_rules.cc (fuzz) — hostile senders, recipients and address
// extensions through VERP and the .qmail search order: the VERP sender is
// built only from the two inputs' bytes, and every candidate name starts
// with ".qmail", holds no '/' or ".." that the extension did not bring as
// '/' (dots become colons), and ends in "default" when it has a $DEFAULT.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/delivery_rules.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\n');
  const std::string_view first = input.substr(0, split);
  const std::string_view second = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  const std::string verp = qcell::verp_sender(first, second);
  require(verp.size() <= first.size() + second.size());
  for (std::string_view dash : {std::string_view(), std::string_view("-")}) {
    const auto candidates = qcell::dot_qmail_candidates(dash, second);
    require(!candidates.empty());
    for (const auto& candidate : candidates) {
      require(candidate.name.rfind(".qmail", 0) == 0);
      require(candidate.name.find("..") == std::string::npos);
      if (candidate.has_default) {
        require(candidate.name.size() >= 7 && candidate.name.substr(candidate.name.size() - 7) == "default");
      }
    }
  }
  return 0;
}
