// delivery_headers.cc — Return-Path, Delivered-To and the loop check
// (delivery_headers.h).
#include "core/delivery_headers.h"

#include <errno.h>
#include <unistd.h>

#include <array>

#include "core/limits.h"
#include "core/mail_header.h"

namespace qcell {

namespace {

std::string without_newlines(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = '_';
  }
  return text;
}

}  // namespace

std::string return_path_line(std::string_view sender) {
  std::string address;
  if (!sender.empty()) {
    const std::size_t at = sender.rfind('@');
    address = at == std::string_view::npos ? format_addr_spec(sender, "")
                                           : format_addr_spec(sender.substr(0, at), sender.substr(at + 1));
  }
  return "Return-Path: <" + without_newlines(address) + ">\n";
}

std::string delivered_to_line(std::string_view recipient) {
  return "Delivered-To: " + without_newlines(std::string(recipient)) + "\n";
}

Result<bool, IoError> header_has_line(int message_fd, std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  // Lines are compared as they stream by: only the current line's first
  // line.size() + 1 bytes are kept, whatever its length.
  std::string current;
  bool too_long = false;  // the current line is longer than `line`
  std::array<char, 8192> buffer{};
  off_t offset = 0;
  while (static_cast<std::size_t>(offset) < limits::header_section) {
    const std::size_t want = std::min(buffer.size(), limits::header_section - static_cast<std::size_t>(offset));
    const ssize_t n = ::pread(message_fd, buffer.data(), want, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(IoError{IoErrc::system, errno});
    }
    if (n == 0) return false;  // the message ended inside its header
    offset += n;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buffer[static_cast<std::size_t>(i)];
      if (c != '\n') {
        if (current.size() <= line.size()) {
          current.push_back(c);
        } else {
          too_long = true;
        }
        continue;
      }
      if (current.empty()) return false;  // the blank line: the header is over
      if (!too_long && current == line) return true;
      current.clear();
      too_long = false;
    }
  }
  return false;  // not within the first limits::header_section bytes
}

}  // namespace qcell
