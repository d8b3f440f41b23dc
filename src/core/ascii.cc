// ascii.cc — ASCII case folding (ascii.h).
#include "core/ascii.h"

namespace qcell {

std::string ascii_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = ascii_lower(c);
  return lower;
}

}  // namespace qcell
