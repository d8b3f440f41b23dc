// smtp_reply.cc — see smtp_reply.h. Hostile input (the remote server); pure.
#include "qmail-remote/smtp_reply.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "core/ascii.h"

namespace qcell::remote {

namespace {

// Whether `c` may be digit `position` (0, 1 or 2) of a reply code.
constexpr bool code_digit_fits(std::size_t position, char c) noexcept {
  switch (position) {
    case 0: return c >= '2' && c <= '5';
    case 1: return c >= '0' && c <= '5';
    default: return c >= '0' && c <= '9';
  }
}

// A line's text as kept: controls (but tab) and DEL become '?', so that a
// reply cannot move a terminal's cursor or forge a log line.
std::string printable_text(std::string_view text) {
  std::string kept(text);
  for (char& c : kept) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) c = '?';
  }
  return kept;
}

ReplyParse malformed(ReplyErrc error) {
  ReplyParse result;
  result.status = ReplyParse::Status::malformed;
  result.error = error;
  return result;
}

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// "SIZE"'s parameter: 1 to 20 digits that fit 64 bits, else 0 (no limit known).
std::uint64_t size_parameter(std::string_view text) noexcept {
  if (text.empty() || text.size() > 20) return 0;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return 0;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return 0;
  return value;
}

}  // namespace

std::string SmtpReply::summary() const {
  std::string joined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i != 0) joined += " / ";
    joined += lines[i];
  }
  std::string text = std::to_string(code);
  // "250" for a reply "250\r\n", not "250 ".
  if (!joined.empty()) text += " " + joined;
  return text;
}

std::string_view describe(ReplyErrc code) noexcept {
  switch (code) {
    case ReplyErrc::bad_code: return "reply line does not start with a reply code";
    case ReplyErrc::code_changed: return "reply lines carry different codes";
    case ReplyErrc::bad_separator: return "reply code is not followed by a space, a hyphen or the line end";
    case ReplyErrc::line_too_long: return "reply line is longer than 2048 bytes";
    case ReplyErrc::too_many_lines: return "reply has more than 100 lines";
  }
  return "unknown reply error";
}

ReplyParse parse_smtp_reply(std::string_view input) {
  SmtpReply reply;
  std::size_t at = 0;
  for (;;) {
    const std::string_view rest = input.substr(at);
    const std::size_t lf = rest.find('\n');
    const bool complete = lf != std::string_view::npos;
    // The line without its LF, or the part of it that has arrived. Every
    // check below gives the same answer on a partial line as on any line
    // it can grow into, so that a malformed reply stays malformed.
    const std::string_view line = complete ? rest.substr(0, lf) : rest;

    const std::size_t digits = std::min<std::size_t>(line.size(), 3);
    for (std::size_t i = 0; i < digits; ++i) {
      if (!code_digit_fits(i, line[i])) return malformed(ReplyErrc::bad_code);
    }
    if (complete && line.size() < 3) return malformed(ReplyErrc::bad_code);
    if (line.size() >= 3) {
      const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      if (reply.lines.empty()) {
        reply.code = code;
      } else if (code != reply.code) {
        return malformed(ReplyErrc::code_changed);
      }
    }

    // "NNN-text" continues; "NNN text", "NNN" and "NNN\r" end the reply.
    bool last = true;
    if (line.size() > 3) {
      const char separator = line[3];
      if (separator == '-') {
        last = false;
      } else if (separator != ' ' && !(separator == '\r' && line.size() == 4)) {
        return malformed(ReplyErrc::bad_separator);
      }
    }

    // line.size() + 1 with the LF: a partial line this long can only grow.
    if (line.size() >= reply_line_max) return malformed(ReplyErrc::line_too_long);
    if (!complete) return ReplyParse{};  // incomplete
    if (!last && reply.lines.size() + 1 >= reply_lines_max) return malformed(ReplyErrc::too_many_lines);

    std::string_view body = line;
    if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
    reply.lines.push_back(printable_text(body.substr(std::min<std::size_t>(body.size(), 4))));
    at += lf + 1;
    if (last) {
      ReplyParse result;
      result.status = ReplyParse::Status::complete;
      result.reply = std::move(reply);
      result.consumed = at;
      return result;
    }
  }
}

EhloFeatures ehlo_features(const SmtpReply& reply) {
  EhloFeatures features;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::string_view text = reply.lines[i];
    const auto keyword_end = std::find_if(text.begin(), text.end(), is_blank);
    const std::string_view keyword(text.begin(), keyword_end);
    text.remove_prefix(keyword.size());
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    const std::string_view parameter(text.begin(), std::find_if(text.begin(), text.end(), is_blank));

    if (equals_ignoring_ascii_case(keyword, "PIPELINING")) {
      features.pipelining = true;
    } else if (equals_ignoring_ascii_case(keyword, "STARTTLS")) {
      features.starttls = true;
    } else if (equals_ignoring_ascii_case(keyword, "8BITMIME")) {
      features.eightbitmime = true;
    } else if (equals_ignoring_ascii_case(keyword, "SMTPUTF8")) {
      features.smtputf8 = true;
    } else if (equals_ignoring_ascii_case(keyword, "SIZE")) {
      features.size = true;
      features.size_limit = size_parameter(parameter);
    }
  }
  return features;
}

}  // namespace qcell::remote
