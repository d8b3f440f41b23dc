// bounce.cc — bounce routing and composition (bounce.h).
#include "core/bounce.h"

#include "core/delivery_headers.h"
#include "core/utc_time.h"

namespace qcell {

namespace {

// A recipient paragraph: "<address>:", the report's lines (an empty one
// as "/", so the paragraph stays whole), then the blank line.
std::string recipient_paragraph(const FailedRecipient& failed) {
  std::string paragraph = "<" + replace_line_breaks(failed.address, '_') + ">:\n";
  std::string_view report = failed.report;
  while (!report.empty() && report.back() == '\n') report.remove_suffix(1);
  std::size_t start = 0;
  while (start <= report.size()) {
    const std::size_t end = report.find('\n', start);
    std::string_view line = report.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    paragraph += line.empty() ? std::string_view("/") : line;
    paragraph += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return paragraph + "\n";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

BounceRoute route_bounce(std::string_view original_sender, const BounceSettings& settings) {
  if (original_sender == "#@[]") return {BounceKind::dropped, "", ""};
  if (original_sender.empty()) {
    return {BounceKind::double_bounce, "#@[]", settings.doublebounceto + "@" + settings.doublebouncehost};
  }
  constexpr std::string_view verp = "-@[]";
  std::string recipient(original_sender);
  if (recipient.size() > verp.size() && std::string_view(recipient).substr(recipient.size() - verp.size()) == verp &&
      std::string_view(recipient).substr(0, recipient.size() - verp.size()).find('@') != std::string_view::npos) {
    recipient.resize(recipient.size() - verp.size());
  }
  return {BounceKind::bounce, "", recipient};
}

std::string dsn_status(std::string_view report) {
  // The last "(#d.d.d)": one digit, a dot, up to three digits, a dot, up to three digits.
  for (std::size_t at = report.rfind("(#"); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : report.rfind("(#", at - 1)) {
    const std::string_view rest = report.substr(at + 2);
    const std::size_t close = rest.find(')');
    if (close == std::string_view::npos || close < 5 || close > 9) continue;
    const std::string_view code = rest.substr(0, close);
    const std::size_t first = code.find('.');
    const std::size_t second = code.find('.', first + 1);
    if (first != 1 || second == std::string_view::npos || second == first + 1 || second + 1 >= code.size() ||
        second - first > 4 || code.size() - second > 4) {
      continue;
    }
    bool digits = true;
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (i != first && i != second && !is_digit(code[i])) digits = false;
    }
    if (!digits || (code[0] != '4' && code[0] != '5')) continue;
    return code[0] == '5' ? std::string(code) : "5.4.7";
  }
  return "5.0.0";
}

BounceText compose_bounce(const BounceRoute& route, const std::vector<FailedRecipient>& failed,
                          std::string_view original_sender, const BounceSettings& settings, std::int64_t now,
                          std::string_view boundary) {
  const bool doubled = route.kind == BounceKind::double_bounce;
  std::string text = "Hi. This is the qmail-send program at " + settings.bouncehost + ".\n";
  text += doubled ? "I tried to deliver a bounce message to this address, but the bounce bounced!\n"
                  : "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                    "This is a permanent error; I've given up. Sorry it didn't work out.\n";
  text += "\n";
  for (const FailedRecipient& recipient : failed) text += recipient_paragraph(recipient);
  const std::string break_paragraph = doubled ? "--- Below this line is the original bounce.\n\n"
                                              : "--- Below this line is a copy of the message.\n\n";
  const std::string separator = "--" + std::string(boundary);
  std::string before;
  before += "Date: " + rfc5322_utc_date(now) + "\n";
  before += "From: " + settings.bouncefrom + "@" + settings.bouncehost + "\n";
  before += "To: " + replace_line_breaks(route.recipient, '_') + "\n";
  before += "Subject: failure notice\n";
  before += "MIME-Version: 1.0\n";
  before += "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"" + std::string(boundary) +
            "\"\n\n";
  before += text + break_paragraph;
  before += separator + "\nContent-Type: text/plain; charset=utf-8\n\n" + text;
  before += separator + "\nContent-Type: message/delivery-status\n\n";
  before += "Reporting-MTA: dns; " + settings.bouncehost + "\n";
  for (const FailedRecipient& recipient : failed) {
    before += "\nFinal-Recipient: rfc822; " + replace_line_breaks(recipient.address, '_') + "\n";
    before += "Action: failed\n";
    before += "Status: " + dsn_status(recipient.report) + "\n";
    std::string diagnostic = replace_line_breaks(recipient.report, ' ');
    if (diagnostic.size() > 900) diagnostic = diagnostic.substr(0, 900) + "...";
    before += "Diagnostic-Code: x-qmail; " + diagnostic + "\n";
  }
  before += "\n" + separator + "\nContent-Type: message/rfc822\n\n";
  before += return_path_line(original_sender);
  BounceText bounce{std::move(before), "\n" + separator + "--\n"};
  return bounce;
}

}  // namespace qcell
