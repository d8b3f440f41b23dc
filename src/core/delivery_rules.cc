// delivery_rules.cc — retry schedule, queuelifetime, VERP and the .qmail
// search order (delivery_rules.h).
#include "core/delivery_rules.h"

#include <limits>

#include "core/ascii.h"

namespace qcell {

namespace {

// floor(sqrt(value)) for any non-negative 64-bit value, without floating point.
std::uint64_t integer_sqrt(std::uint64_t value) noexcept {
  std::uint64_t low = 0;
  std::uint64_t high = 4294967296ULL;  // sqrt(2^64)
  while (high - low > 1) {
    const std::uint64_t mid = low + (high - low) / 2;
    if (mid <= value / mid) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return low;
}

}  // namespace

std::int64_t next_retry(std::int64_t birth, std::int64_t now, DeliveryChannel channel) noexcept {
  const std::uint64_t skip = channel == DeliveryChannel::local ? 10 : 20;
  const std::uint64_t age = now > birth ? static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(birth) : 0;
  const std::uint64_t n = integer_sqrt(age) + skip;  // at most 2^32 + 20
  constexpr std::int64_t maximum = std::numeric_limits<std::int64_t>::max();
  if (n > 3037000499ULL) return maximum;  // n*n would not fit in int64
  const auto square = static_cast<std::int64_t>(n * n);
  if (birth > maximum - square) return maximum;
  return birth + square;
}

bool past_queuelifetime(std::int64_t birth, std::int64_t now, std::int64_t lifetime) noexcept {
  if (now <= birth) return false;
  return static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(birth) > static_cast<std::uint64_t>(lifetime);
}

std::string verp_sender(std::string_view sender, std::string_view recipient) {
  constexpr std::string_view marker = "-@[]";
  if (sender.size() < marker.size() || sender.substr(sender.size() - marker.size()) != marker) {
    return std::string(sender);
  }
  const std::string_view front = sender.substr(0, sender.size() - marker.size());  // "prefix-@host"
  const std::size_t at = front.rfind('@');
  const std::size_t recipient_at = recipient.rfind('@');
  if (at == std::string_view::npos || recipient_at == std::string_view::npos) return std::string(sender);
  std::string out(front.substr(0, at));  // "prefix-"
  out += recipient.substr(0, recipient_at);
  out += '=';
  out += recipient.substr(recipient_at + 1);
  out += '@';
  out += front.substr(at + 1);  // "host"
  return out;
}

std::string safe_extension(std::string_view ext) {
  std::string out = ascii_lower(ext);
  for (char& c : out) {
    if (c == '.') c = ':';
  }
  return out;
}

std::vector<DotQmailCandidate> dot_qmail_candidates(std::string_view dash, std::string_view ext) {
  if (dash.empty()) return {{".qmail", false, ""}};
  const std::string safe = safe_extension(ext);
  const std::string base = ".qmail" + std::string(dash);
  std::vector<DotQmailCandidate> candidates = {{base + safe, false, ""}};
  for (std::size_t length = safe.size() + 1; length-- > 0;) {
    if (length > 0 && safe[length - 1] != '-') continue;
    candidates.push_back({base + safe.substr(0, length) + "default", true, std::string(ext.substr(length))});
  }
  return candidates;
}

}  // namespace qcell
