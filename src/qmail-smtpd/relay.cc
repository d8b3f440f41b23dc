// relay.cc — rcpthosts, morercpthosts.cdb and badmailfrom, as qmail-smtpd
// applies them (qmail 1.03 rcpthosts.c and bmcheck()).
#include "qmail-smtpd/relay.h"

#include <algorithm>

#include "core/ascii.h"

namespace qcell::smtpd {

namespace {

std::vector<std::string> lowered_and_sorted(std::vector<std::string> entries) {
  for (std::string& entry : entries) entry = ascii_lower(entry);
  std::sort(entries.begin(), entries.end());
  return entries;
}

bool contains(const std::vector<std::string>& sorted, std::string_view key) {
  return std::binary_search(sorted.begin(), sorted.end(), key, std::less<>());
}

}  // namespace

RecipientHosts::RecipientHosts(std::vector<std::string> rcpthosts, MoreRcptHosts more)
    : hosts_(lowered_and_sorted(std::move(rcpthosts))), more_(std::move(more)) {}

std::optional<bool> RecipientHosts::accepts(std::string_view domain) const {
  if (domain.empty()) return true;
  const std::string lower = ascii_lower(domain);
  const std::string_view whole = lower;
  // The domain itself, then each suffix that starts at a dot.
  for (std::size_t at = 0; at != std::string_view::npos; at = whole.find('.', at + 1)) {
    const std::string_view key = whole.substr(at);
    if (contains(hosts_, key)) return true;
    if (more_) {
      std::optional<bool> found = more_(key);
      if (!found) return std::nullopt;
      if (*found) return true;
    }
  }
  return false;
}

BadMailFrom::BadMailFrom(std::vector<std::string> entries) : entries_(lowered_and_sorted(std::move(entries))) {}

bool BadMailFrom::refuses(std::string_view address) const {
  if (address.empty() || entries_.empty()) return false;
  const std::string lower = ascii_lower(address);
  if (contains(entries_, lower)) return true;
  const std::size_t at = lower.rfind('@');
  return at != std::string::npos && contains(entries_, std::string_view(lower).substr(at));
}

}  // namespace qcell::smtpd
