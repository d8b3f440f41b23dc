// dot_qmail.cc — the .qmail line parser (dot_qmail.h).
#include "core/dot_qmail.h"

#include "core/limits.h"

namespace qcell {

std::string describe(const DotQmailError& error) {
  const std::string where = error.line == 0 ? "" : " (line " + std::to_string(error.line) + ")";
  switch (error.code) {
    case DotQmailErrc::too_large:
      return "the .qmail file is larger than " + std::to_string(limits::dot_qmail_file) + " bytes (#4.7.0)";
    case DotQmailErrc::first_line_blank: return "first line of .qmail file is blank (#4.2.1)";
    case DotQmailErrc::delivery_in_forward_only:
      return "Uh-oh: .qmail has a file or program delivery but may only forward (x bit set or +list)" + where +
             " (#4.7.0)";
    case DotQmailErrc::nul_byte: return "the .qmail file contains a NUL byte" + where + " (#4.7.0)";
    case DotQmailErrc::carriage_return:
      return "the .qmail file contains a carriage return (DOS line end?)" + where + " (#4.7.0)";
    case DotQmailErrc::empty_target: return "a .qmail line has nothing after & or |" + where + " (#4.7.0)";
  }
  return "unknown .qmail error (#4.7.0)";
}

Result<DotQmail, DotQmailError> parse_dot_qmail(std::span<const std::byte> bytes, bool executable) {
  if (bytes.size() > limits::dot_qmail_file) return fail(DotQmailError{DotQmailErrc::too_large, 0});
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  DotQmail result;
  result.forward_only = executable;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.find('\0') != std::string_view::npos) return fail(DotQmailError{DotQmailErrc::nul_byte, number});
    if (line.find('\r') != std::string_view::npos) return fail(DotQmailError{DotQmailErrc::carriage_return, number});
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) {
      if (number == 1) return fail(DotQmailError{DotQmailErrc::first_line_blank, 1});
      continue;
    }
    switch (line.front()) {
      case '#':
        continue;
      case '+':
        if (line == "+list") result.forward_only = true;
        continue;
      case '|':
      case '/':
      case '.': {
        if (result.forward_only) return fail(DotQmailError{DotQmailErrc::delivery_in_forward_only, number});
        const bool program = line.front() == '|';
        if (program && line.size() == 1) return fail(DotQmailError{DotQmailErrc::empty_target, number});
        const DotQmailKind kind = program             ? DotQmailKind::program
                                  : line.back() == '/' ? DotQmailKind::maildir
                                                       : DotQmailKind::mbox;
        result.instructions.push_back({kind, std::string(program ? line.substr(1) : line), number});
        continue;
      }
      case '&':
        if (line.size() == 1) return fail(DotQmailError{DotQmailErrc::empty_target, number});
        result.instructions.push_back({DotQmailKind::forward, std::string(line.substr(1)), number});
        continue;
      default:
        result.instructions.push_back({DotQmailKind::forward, std::string(line), number});
        continue;
    }
  }
  return result;
}

}  // namespace qcell
