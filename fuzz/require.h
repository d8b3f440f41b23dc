// require.h — a harness's invariant check: a failed one traps, which every
// engine (libFuzzer, AFL++, the replay driver) reports as a crash with the
// input that caused it.
#pragma once

#include <algorithm>
#include <span>
#include <string_view>

#include "core/byte_buffer.h"

namespace qcell_fuzz {

inline void require(bool condition) {
  if (!condition) __builtin_trap();
}

// Whether `text` is printable ASCII only (what an error message may hold).
inline bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// Whether an encoder's output is exactly the frame it was decoded from.
inline bool same_bytes(const qcell::ByteBuffer& out, std::span<const std::byte> frame) {
  auto bytes = out.bytes();
  return bytes.size() == frame.size() && std::equal(bytes.begin(), bytes.end(), frame.begin());
}

}  // namespace qcell_fuzz
