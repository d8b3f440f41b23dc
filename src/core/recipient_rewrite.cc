// recipient_rewrite.cc — qmail-send's rewrite(), as recipient_rewrite.h says.
#include "core/recipient_rewrite.h"

#include <algorithm>

#include "core/ascii.h"

namespace qcell {

namespace {

bool listed(const std::vector<std::string>& list, std::string_view domain) noexcept {
  return std::any_of(list.begin(), list.end(), [&](const std::string& entry) { return equals_ignoring_ascii_case(entry, domain); });
}

const std::string* virtual_prepend(const RewriteRules& rules, std::string_view key) noexcept {
  for (const auto& [entry, prepend] : rules.virtualdomains) {
    if (equals_ignoring_ascii_case(entry, key)) return &prepend;
  }
  return nullptr;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>, std::pair<VirtualDomainsError, std::size_t>>
parse_virtualdomains(const std::vector<std::string>& lines) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t colon = lines[i].find(':');
    if (colon == std::string::npos) return fail(std::pair{VirtualDomainsError::missing_colon, i + 1});
    entries.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  return entries;
}

Rewritten rewrite_recipient(std::string_view recipient, const RewriteRules& rules) {
  std::string address(recipient);
  std::size_t at = address.rfind('@');
  if (at == std::string::npos) {
    at = address.size();
    address += '@';
    address += rules.envnoathost;
  }
  // The percent hack: "user%host@gateway" -> "user@host", while the domain
  // is listed. Each turn shortens the address, so this ends.
  while (listed(rules.percenthack, std::string_view(address).substr(at + 1))) {
    const std::size_t percent = std::string_view(address).substr(0, at).rfind('%');
    if (percent == std::string_view::npos) break;
    address.resize(at);
    address[percent] = '@';
    at = percent;
  }
  at = address.rfind('@');
  const std::string_view domain = std::string_view(address).substr(at + 1);
  if (listed(rules.locals, domain)) return {Destination::local, address};
  // Keys from the longest: the whole address, the domain, each ".suffix",
  // then "" (qmail walks i over 0, at+1, each '.' after the '@', the end).
  for (std::size_t i = 0; i <= address.size(); ++i) {
    const bool candidate = i == 0 || i == at + 1 || i == address.size() || (i > at && address[i] == '.');
    if (!candidate) continue;
    const std::string* prepend = virtual_prepend(rules, std::string_view(address).substr(i));
    if (prepend == nullptr) continue;
    if (prepend->empty()) break;  // "not virtual": remote
    return {Destination::local, *prepend + "-" + address};
  }
  return {Destination::remote, address};
}

std::string strip_virtual_prepend(std::string_view address, const RewriteRules& rules) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::string(address);
  const std::string_view domain = address.substr(at + 1);
  // qmail-send's stripvdomprepend: the domain, each ".suffix", then "".
  const std::string* prepend = nullptr;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i != 0 && i != domain.size() && domain[i] != '.') continue;
    prepend = virtual_prepend(rules, domain.substr(i));
    if (prepend != nullptr) break;
  }
  if (prepend == nullptr || prepend->empty()) return std::string(address);
  if (address.size() <= prepend->size() || address.substr(0, prepend->size()) != *prepend ||
      address[prepend->size()] != '-') {
    return std::string(address);
  }
  return std::string(address.substr(prepend->size() + 1));
}

}  // namespace qcell
