// data_encoder.cc — see data_encoder.h. Hostile input (the message); pure.
#include "qmail-remote/data_encoder.h"

#include <algorithm>

namespace qcell::remote {

void DataEncoder::feed(std::string_view bytes, std::string& out) {
  while (!bytes.empty()) {
    if (pending_cr_) {
      // CR LF and a bare CR both end the line; only the LF is eaten.
      pending_cr_ = false;
      out += "\r\n";
      at_line_start_ = true;
      if (bytes.front() == '\n') bytes.remove_prefix(1);
      continue;
    }
    const char c = bytes.front();
    if (c == '\r') {
      pending_cr_ = true;
      bytes.remove_prefix(1);
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      at_line_start_ = true;
      bytes.remove_prefix(1);
      continue;
    }
    if (at_line_start_ && c == '.') out += '.';
    // The rest of the line up to the next CR or LF goes out as it is.
    const std::size_t run = std::min(bytes.find_first_of("\r\n"), bytes.size());
    out.append(bytes.substr(0, run));
    bytes.remove_prefix(run);
    at_line_start_ = false;
  }
}

void DataEncoder::finish(std::string& out) {
  if (pending_cr_ || !at_line_start_) out += "\r\n";
  out += ".\r\n";
  pending_cr_ = false;
  at_line_start_ = true;
}

bool has_eight_bit(std::string_view bytes) noexcept {
  return std::any_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace qcell::remote
