// decimal.h — the one parser of canonical decimal numbers that qcell's own
// formats use (broker frames, the queue cell's job channel, queue message
// file names): digits only, no sign, no spaces, no leading zero ("0" itself
// is fine), at most `maximum`. Pure; input is hostile.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qcell {

std::optional<std::uint64_t> parse_canonical_decimal(std::string_view text,
                                                     std::uint64_t maximum = UINT64_MAX) noexcept;

}  // namespace qcell
