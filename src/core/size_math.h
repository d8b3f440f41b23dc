// size_math.h — the one place where sizes are added and multiplied.
//
// Every allocation size and every length that is computed from input goes
// through these helpers: they report overflow instead of wrapping, which is
// the bug class behind qmail's 2005 reports (CVE-2005-1513..1515: a stralloc
// length wrapping on gigabytes of input), shown remotely exploitable on 64-bit
// systems in 2020. Inputs are treated as hostile numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>

namespace qcell {

// a + b, or nullopt if the sum does not fit in std::size_t.
[[nodiscard]] constexpr std::optional<std::size_t> size_add(std::size_t a, std::size_t b) noexcept {
  std::size_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// a * b, or nullopt if the product does not fit in std::size_t.
[[nodiscard]] constexpr std::optional<std::size_t> size_mul(std::size_t a, std::size_t b) noexcept {
  std::size_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// Sum of several sizes, or nullopt on overflow.
[[nodiscard]] constexpr std::optional<std::size_t> size_sum(std::initializer_list<std::size_t> parts) noexcept {
  std::size_t total = 0;
  for (std::size_t part : parts) {
    auto next = size_add(total, part);
    if (!next) return std::nullopt;
    total = *next;
  }
  return total;
}

// 64-bit counters for streams that may exceed 4 GiB on any platform.
[[nodiscard]] constexpr std::optional<std::uint64_t> count_add(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// Adds b to a, saturating at the maximum instead of wrapping. For counters
// that are compared against a limit: once saturated they stay over it.
[[nodiscard]] constexpr std::uint64_t count_add_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return UINT64_MAX;
  return sum;
}

// Converts a 64-bit count to a size, or nullopt where size_t is narrower.
[[nodiscard]] constexpr std::optional<std::size_t> to_size(std::uint64_t n) noexcept {
  if (n > SIZE_MAX) return std::nullopt;
  return static_cast<std::size_t>(n);
}

}  // namespace qcell
