// dot_qmail.h — parses a .qmail file into its delivery instructions, as
// qmail-local reads them (docs/delivery.md, ".qmail files"; qmail's
// dot-qmail(5)). One instruction per line; a line ends at LF; trailing
// spaces and tabs are dropped.
//
//   #...            a comment
//   |command        a program, given to /bin/sh -c
//   /path or ./path an mbox file; ending in '/': a Maildir
//   &address        a forward
//   +list           (qmail's undocumented line) the file may only forward
//   anything else   a forward to the whole line
//
// Refused, as qmail refuses them (temporary failures, so that mail waits
// while the user fixes the file): a blank first line; a file or program
// line in a file that may only forward (its execute bit is set, or it says
// +list before the line). qcell refuses too, where qmail would go on:
// a file larger than limits::dot_qmail_file, a NUL byte, a forward or
// program with nothing after '&' or '|', and a CR (an editor's line end
// would become part of a path or address).
//
// The file is the user's and may be hostile to the delivery (the user's
// own cell reads it): the parser is bounded, allocation-light and fuzzed.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace qcell {

enum class DotQmailKind { program, mbox, maildir, forward };

struct DotQmailInstruction {
  DotQmailKind kind = DotQmailKind::forward;
  std::string target;  // the command, the path (with its '/' for a Maildir), or the address
  std::size_t line = 0;
  bool operator==(const DotQmailInstruction&) const = default;
};

struct DotQmail {
  std::vector<DotQmailInstruction> instructions;  // comments and blank lines dropped
  bool forward_only = false;                      // execute bit or +list
};

enum class DotQmailErrc {
  too_large,             // more than limits::dot_qmail_file bytes
  first_line_blank,      // qmail: "first line of .qmail file is blank (#4.2.1)"
  delivery_in_forward_only,  // qmail: "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)"
  nul_byte,              // a NUL anywhere
  carriage_return,       // a CR anywhere
  empty_target,          // "&" or "|" with nothing after it
};

struct DotQmailError {
  DotQmailErrc code = DotQmailErrc::too_large;
  std::size_t line = 0;  // 1-based; 0 for the whole file
  bool operator==(const DotQmailError&) const = default;
};

// The sentence for a log line or a bounce, with qmail's status code where
// qmail has one, e.g. "first line of .qmail file is blank (#4.2.1)".
std::string describe(const DotQmailError& error);

// `executable`: the file's owner-execute bit is set (forwards only).
Result<DotQmail, DotQmailError> parse_dot_qmail(std::span<const std::byte> text, bool executable);

}  // namespace qcell
