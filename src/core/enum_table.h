// enum_table.h — checks, at compile time, that a constexpr table indexed by
// an enum lists its entries in the enum's order (entry i has value i), so
// that looking an entry up by the enum's value is a plain index.
#pragma once

#include <cstddef>

namespace qcell {

template <class Table>
constexpr bool in_enum_order(const Table& table, auto member) {
  std::size_t i = 0;
  for (const auto& entry : table) {
    if (static_cast<std::size_t>(entry.*member) != i++) return false;
  }
  return true;
}

}  // namespace qcell
