// delivery_headers.cc — Return-Path, Delivered-To and the loop check
// (delivery_headers.h).
#include "core/delivery_headers.h"

#include <errno.h>
#include <unistd.h>

#include <array>

#include "core/limits.h"
#include "core/mail_header.h"

namespace qcell {

std::string replace_line_breaks(std::string_view text, char replacement) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = replacement;
  }
  return out;
}

std::string return_path_line(std::string_view sender) {
  std::string address;
  if (!sender.empty()) {
    const std::size_t at = sender.rfind('@');
    address = at == std::string_view::npos ? format_addr_spec(sender, "")
                                           : format_addr_spec(sender.substr(0, at), sender.substr(at + 1));
  }
  return "Return-Path: <" + replace_line_breaks(address, '_') + ">\n";
}

std::string delivered_to_line(std::string_view recipient) {
  return "Delivered-To: " + replace_line_breaks(recipient, '_') + "\n";
}

Result<bool, IoError> header_has_line(int message_fd, std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  // Lines are compared as they stream by: only the current line's first
  // line.size() + 1 bytes are kept, whatever its length.
  std::string current;
  bool too_long = false;  // the current line is longer than `line`
  bool found = false;
  std::array<char, 8192> buffer{};
  auto read = pread_pieces(message_fd, buffer, limits::header_section, [&](std::string_view piece) {
    for (char c : piece) {
      if (c != '\n') {
        if (current.size() <= line.size()) {
          current.push_back(c);
        } else {
          too_long = true;
        }
        continue;
      }
      if (current.empty()) return false;  // the blank line: the header is over
      if (!too_long && current == line) {
        found = true;
        return false;
      }
      current.clear();
      too_long = false;
    }
    return true;
  });
  if (!read) return fail(read.error());
  return found;
}

}  // namespace qcell
