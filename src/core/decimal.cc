// decimal.cc — canonical decimal numbers. Hostile input; no allocation.
#include "core/decimal.h"

#include <charconv>
#include <system_error>

namespace qcell {

std::optional<std::uint64_t> parse_canonical_decimal(std::string_view text, std::uint64_t maximum) noexcept {
  if (text.empty() || text.size() > 20) return std::nullopt;
  if (text.front() == '0' && text.size() > 1) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > maximum) return std::nullopt;
  return value;
}

}  // namespace qcell
