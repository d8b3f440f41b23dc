// translate.h — the sendmail command line, as qmail's sendmail wrapper reads
// it: which program to run (qmail-inject, qmail-qread) and the arguments for
// qmail-inject. The words come from any local program that believes it is
// talking to sendmail; they are only classified and passed on.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace qcell::sendmail {

inline constexpr std::string_view usage_text =
    "usage: sendmail [-t] [-f sender] [-F name] [-bm | -bp] [-i] [-o option] [recipient ...]";

enum class Mode {
  inject,      // -bm (the default): run qmail-inject
  list_queue,  // -bp, or invoked as mailq: run qmail-qread
  smtp,        // -bs: refused (qcell has no SMTP on standard input)
  newaliases,  // invoked as newaliases: refused (qmail has no aliases file)
};

struct Plan {
  Mode mode = Mode::inject;
  bool recipients_from_header = false;   // -t
  std::optional<std::string> sender;     // -f
  std::optional<std::string> full_name;  // -F: becomes $MAILNAME for qmail-inject
  std::vector<std::string> recipients;
};

struct UsageError {
  std::string message;  // the text after "sendmail: fatal: "
};

// `program_name` is argv[0] (only its last path component counts); `args`
// the words after it. Options as sendmail.c's getopt("vimte:f:p:o:B:F:EJxb:"):
// -t; -f sender; -F name; -bm, -bp, -bs; ignored: -v -i -m -x, -e X, -p X,
// -o X (-oi, -odi, -oem, ...), -B X, -E[X], -J[X].
Result<Plan, UsageError> parse_command_line(std::string_view program_name, std::span<const char* const> args);

// qmail-inject's arguments after its name: -H (with -t) or -a, then
// "-f sender" when given, "--", and the recipients.
std::vector<std::string> inject_arguments(const Plan& plan);

// The messages for the refused modes.
inline constexpr std::string_view smtp_refusal = "-bs (SMTP on standard input) is not supported; use qmail-smtpd";
inline constexpr std::string_view newaliases_refusal =
    "newaliases is not supported: qmail has no aliases file; use ~alias/.qmail-* files or fastforward";

}  // namespace qcell::sendmail
