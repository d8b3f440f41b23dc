// ascii.h — ASCII case folding for mail's case-insensitive names
// (command words, header field names, domains, local parts as qmail
// compares them, extensions). Bytes other than A-Z, UTF-8 included, are
// left as they are.
#pragma once

#include <string>
#include <string_view>

namespace qcell {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string ascii_lower(std::string_view text);

}  // namespace qcell
