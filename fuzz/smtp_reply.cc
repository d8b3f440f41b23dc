// smtp_reply.cc (fuzz) — parses hostile server replies as qmail-remote does
// and traps when a complete reply breaks its own limits (code range, line
// count and length, a control byte left in a line, consumed not at an LF),
// when the answer for a prefix of the input contradicts the answer for the
// whole (a prefix shorter than a complete reply must be incomplete, a
// malformed prefix must stay malformed with the same error, an incomplete
// input must have incomplete prefixes), or when the summary does not start
// with the code. Pipelined replies after the first are parsed too, and the
// EHLO keywords read from each.
//
// Input layout: bytes 0..1 pick a cut point, the rest is what the server sent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qmail-remote/smtp_reply.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using qcell::remote::ehlo_features;
using qcell::remote::parse_smtp_reply;
using qcell::remote::reply_line_max;
using qcell::remote::reply_lines_max;
using qcell::remote::ReplyParse;
using Status = ReplyParse::Status;

void check_complete(std::string_view input, const ReplyParse& parse) {
  require(parse.consumed > 0 && parse.consumed <= input.size());
  require(input[parse.consumed - 1] == '\n');
  const auto& reply = parse.reply;
  require(reply.code >= 200 && reply.code <= 559 && reply.code % 100 / 10 <= 5);
  require(!reply.lines.empty() && reply.lines.size() <= reply_lines_max);
  for (const std::string& line : reply.lines) {
    require(line.size() + 5 <= reply_line_max);  // "NNN-" and the LF around it
    for (char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      require(byte >= 0x20 ? byte != 0x7f : c == '\t');
    }
  }
  const std::string code = std::to_string(reply.code);
  const std::string summary = reply.summary();
  require(summary.compare(0, 3, code) == 0);
  require(summary.size() == 3 || summary[3] == ' ');
  // The reply alone parses the same.
  ReplyParse alone = parse_smtp_reply(input.substr(0, parse.consumed));
  require(alone.status == Status::complete && alone.consumed == parse.consumed && alone.reply == reply);
  (void)ehlo_features(reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t pick = static_cast<std::size_t>(data[0]) << 8 | data[1];
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  const ReplyParse whole = parse_smtp_reply(input);
  const std::size_t cut = pick % (input.size() + 1);
  const ReplyParse prefix = parse_smtp_reply(input.substr(0, cut));
  switch (whole.status) {
    case Status::complete:
      check_complete(input, whole);
      if (cut < whole.consumed) {
        require(prefix.status == Status::incomplete);
      } else {
        require(prefix.status == Status::complete && prefix.consumed == whole.consumed && prefix.reply == whole.reply);
      }
      break;
    case Status::incomplete:
      require(prefix.status == Status::incomplete);
      require(whole.consumed == 0 && whole.reply.lines.empty());
      break;
    case Status::malformed:
      require(prefix.status != Status::complete);
      require(whole.consumed == 0 && whole.reply.lines.empty());
      break;
  }
  if (prefix.status == Status::malformed) require(whole.status == Status::malformed && whole.error == prefix.error);

  // Pipelined replies that follow in the same buffer.
  std::string_view rest = input;
  for (ReplyParse next = whole; next.status == Status::complete; next = parse_smtp_reply(rest)) {
    check_complete(rest, next);
    rest.remove_prefix(next.consumed);
  }
  return 0;
}
