// smtp_reply.h — qmail-remote's reader of SMTP replies (RFC 5321 section
// 4.2) and of the extensions an EHLO reply offers (RFC 5321 section 4.1.1.1).
//
// The remote server is hostile: it may send lines of any length, any
// number of continuation lines, control bytes meant for a terminal or a
// log, and several replies in one packet (PIPELINING). The parser is pure,
// keeps nothing between calls, and never asks its caller to hold more than
// reply_line_max * reply_lines_max bytes: a line already longer than
// reply_line_max is refused before its end arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"

namespace qcell::remote {

// Bytes of one reply line, line end included, and lines of one reply
// (core/limits.h says why).
inline constexpr std::size_t reply_line_max = limits::smtp_reply_line;
inline constexpr std::size_t reply_lines_max = limits::smtp_reply_lines;

struct SmtpReply {
  int code = 0;  // 200..599 (first digit 2-5, second 0-5, third 0-9)
  // Each line's text after "NNN-" / "NNN ", no CR/LF; bytes below 0x20
  // other than tab, and 0x7f, replaced by '?'.
  std::vector<std::string> lines;

  // One line for logs and bounce reports: the code, then the lines joined
  // by " / " ("550 5.1.1 no such user / second line text").
  std::string summary() const;

  bool operator==(const SmtpReply&) const = default;
};

enum class ReplyErrc : std::uint8_t {
  bad_code,        // a line does not start with three digits 2-5, 0-5, 0-9
  code_changed,    // a line's code differs from the reply's first line
  bad_separator,   // the code is followed by something other than '-', ' ' or the line end
  line_too_long,   // a line (line end included) is longer than reply_line_max
  too_many_lines,  // more than reply_lines_max lines
};

std::string_view describe(ReplyErrc code) noexcept;

struct ReplyParse {
  enum class Status : std::uint8_t { incomplete, complete, malformed };
  Status status = Status::incomplete;
  SmtpReply reply;           // when complete
  std::size_t consumed = 0;  // bytes of input the complete reply took (a pipelined reply may follow)
  ReplyErrc error{};         // when malformed
};

// Parses the reply at the start of `input`. Lines end at LF (a CR right
// before it is dropped; a server that sends bare LF is tolerated). A line
// "NNN " or exactly "NNN" is the last line, "NNN-" a continuation; every
// line must carry the first line's code.
//
// incomplete: the input ends before the last line's LF and nothing is wrong
// so far. What is already there is checked: a partial line whose code or
// separator is wrong, or that is already reply_line_max bytes without its
// LF, is malformed at once. A malformed input stays malformed, with the
// same error, whatever bytes are appended to it.
ReplyParse parse_smtp_reply(std::string_view input);

struct EhloFeatures {
  bool pipelining = false;       // RFC 2920
  bool starttls = false;         // RFC 3207
  bool eightbitmime = false;     // RFC 6152
  bool smtputf8 = false;         // RFC 6531
  bool size = false;             // RFC 1870
  std::uint64_t size_limit = 0;  // SIZE's number; 0: none given (or not a number of 1-20 digits that fits)
  bool operator==(const EhloFeatures&) const = default;
};

// The extensions named by an EHLO reply's lines after the first (the first
// is the server's greeting). Keywords are case-insensitive and end at a
// space or tab; "SIZE 1000000" sets size and size_limit.
EhloFeatures ehlo_features(const SmtpReply& reply);

}  // namespace qcell::remote
