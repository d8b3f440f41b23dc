// cell_skeleton.h — what every cell does before it reads its first byte
// (STYLE.md, "one cell skeleton"): check that it holds exactly the
// descriptors its policy names, and log on descriptor 2 in the broker's
// format. Trusts nothing; allocates nothing.
#pragma once

#include <initializer_list>
#include <string_view>

namespace qcell {

// Highest descriptor number a policy may name (policy.h: 0..63).
inline constexpr int cell_descriptor_ceiling = 64;

// True when descriptors 0..63 that are open are exactly `expected`.
// On false, `wrong` is the first descriptor that is missing or extra.
bool holds_exactly(std::initializer_list<int> expected, int& wrong) noexcept;

// One log line on descriptor 2 (the broker adds cell and pid): the text
// and a newline, in one write(2). Lines longer than the broker's limit are
// cut by the broker, not here.
void cell_log(std::string_view text) noexcept;

}  // namespace qcell
