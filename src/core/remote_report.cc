// remote_report.cc — see remote_report.h. Hostile input (the qmail-remote
// cell's output); pure.
#include "core/remote_report.h"

#include <algorithm>

namespace qcell {

namespace {

std::string encode_report(char letter, std::string_view text) {
  std::string report;
  report.reserve(text.size() + 2);
  report += letter;
  report += text;
  std::replace(report.begin() + 1, report.end(), '\0', '?');
  report += '\0';
  return report;
}

constexpr char recipient_letter(RemoteVerdict verdict) noexcept {
  switch (verdict) {
    case RemoteVerdict::success: return 'r';
    case RemoteVerdict::deferral: return 's';
    case RemoteVerdict::failure: return 'h';
  }
  return 's';
}

constexpr char message_letter(RemoteVerdict verdict) noexcept {
  switch (verdict) {
    case RemoteVerdict::success: return 'K';
    case RemoteVerdict::deferral: return 'Z';
    case RemoteVerdict::failure: return 'D';
  }
  return 'Z';
}

}  // namespace

std::string encode_remote_recipient(RemoteVerdict verdict, std::string_view text) {
  return encode_report(recipient_letter(verdict), text);
}

std::string encode_remote_message(RemoteVerdict verdict, std::string_view text) {
  return encode_report(message_letter(verdict), text);
}

std::optional<RemoteReport> parse_remote_report(std::string_view bytes) {
  RemoteReport report;
  while (!bytes.empty()) {
    const std::size_t end = bytes.find('\0');
    if (end == std::string_view::npos) return std::nullopt;  // cut short
    if (end == 0) return std::nullopt;                       // no letter
    const std::string_view text = bytes.substr(1, end - 1);
    const char letter = bytes.front();
    bytes.remove_prefix(end + 1);
    switch (letter) {
      case 'r': report.recipients.emplace_back(RemoteVerdict::success, text); continue;
      case 's': report.recipients.emplace_back(RemoteVerdict::deferral, text); continue;
      case 'h': report.recipients.emplace_back(RemoteVerdict::failure, text); continue;
      case 'K': report.message = RemoteVerdict::success; break;
      case 'Z': report.message = RemoteVerdict::deferral; break;
      case 'D': report.message = RemoteVerdict::failure; break;
      default: return std::nullopt;
    }
    // The message report ends the output.
    if (!bytes.empty()) return std::nullopt;
    report.message_text = text;
    return report;
  }
  return std::nullopt;  // no message report
}

std::pair<RemoteVerdict, std::string> remote_verdict(const std::optional<RemoteReport>& report, std::size_t index) {
  if (!report) return {RemoteVerdict::deferral, "qmail-remote ended without a report. (#4.3.0)"};
  if (index < report->recipients.size()) {
    const auto& [verdict, text] = report->recipients[index];
    if (verdict != RemoteVerdict::success) {
      // qmail-rspawn joined the two texts, each of which ended in "\n"
      // there; here a text may be a line without its end, which gets one.
      const bool separate = !text.empty() && text.back() != '\n' && !report->message_text.empty();
      return {verdict, text + (separate ? "\n" : "") + report->message_text};
    }
  }
  return {report->message, report->message_text};
}

}  // namespace qcell
