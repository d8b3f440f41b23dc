// smtp_command.cc (fuzz) — parses hostile bytes as one SMTP command line, in
// and out of an SMTPUTF8 transaction, and traps when the parser breaks an
// invariant: an accepted line is within its length limit and free of
// control bytes; what it keeps is bounded; a MAIL or RCPT path re-encoded
// with format_path (and the other commands re-encoded by hand) parses back
// to the same command; the verb's case does not matter; an SMTPUTF8
// transaction accepts everything the plain one does; every refusal formats
// to one printable reply line whose codes agree with each other.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/address.h"
#include "core/limits.h"
#include "qmail-smtpd/command.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using namespace qcell::smtpd;
namespace limits = qcell::limits;


bool is_printable(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 32 || byte > 126) return false;
  }
  return true;
}

bool is_free_of_control_bytes(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 32 || byte == 127) return false;
  }
  return true;
}

bool is_postmaster(std::string_view local) {
  constexpr std::string_view postmaster = "postmaster";
  if (local.size() != postmaster.size()) return false;
  for (std::size_t i = 0; i < local.size(); ++i) {
    const char c = local[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != postmaster[i]) return false;
  }
  return true;
}

// The command without what a re-encoding does not keep: how the local
// part was written (quoted or not) and the discarded source route.
Command without_spelling(Command command) {
  if (auto* mail = std::get_if<Mail>(&command)) {
    mail->reverse_path.was_quoted = false;
    mail->reverse_path.had_source_route = false;
  }
  if (auto* rcpt = std::get_if<Rcpt>(&command)) {
    rcpt->forward_path.was_quoted = false;
    rcpt->forward_path.had_source_route = false;
  }
  return command;
}

void check_refusal(const CommandRefusal& refusal) {
  const CommandErrorEntry& entry = command_error_entry(refusal.error);
  require(entry.error == refusal.error);
  require(!describe(refusal.error).empty());
  const bool takes_address = refusal.error == CommandError::bad_hostname ||
                             refusal.error == CommandError::bad_sender_address ||
                             refusal.error == CommandError::bad_recipient_address;
  require(refusal.address.has_value() == takes_address);
  const std::string reply = format_reply(refusal);
  require(!reply.empty() && reply.size() + 2 <= 512 && is_printable(reply));
  // "5yz 5.y.z text": the reply code and the enhanced code's class agree.
  require(reply.size() > 10 && reply[3] == ' ' && reply[0] == entry.enhanced[0] && reply[5] == '.');
  require(std::string_view(reply).substr(4, entry.enhanced.size()) == entry.enhanced);
}

// A domain holds letters, digits, '-' and '.'; an address literal holds
// printable ASCII but for brackets, quotes, backslash and angle brackets
// inside its brackets (a general literal may hold '@', '(' or ';').
void check_hostname(const std::string& hostname) {
  require(!hostname.empty() && hostname.size() <= limits::domain && is_printable(hostname));
  if (hostname.front() == '[') {
    require(hostname.size() >= 3 && hostname.back() == ']');
    const std::string_view inside = std::string_view(hostname).substr(1, hostname.size() - 2);
    require(inside.find_first_of(" []<>\"\\") == std::string_view::npos);
    return;
  }
  for (char c : hostname) {
    require((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
  }
}

void check_path(const qcell::Path& path, bool utf8) {
  require(path.local.size() <= limits::local_part && path.domain.size() <= limits::domain);
  if (!utf8) require(is_printable(path.local) && is_printable(path.domain));
}

// Parses `line` and requires that it gives `expected`, but for spelling.
void require_same(const std::string& line, const Command& expected, const CommandContext& context) {
  auto again = parse_command(line, context);
  require(again.ok() && without_spelling(again.value()) == without_spelling(expected));
}

// Re-encodes an accepted command in canonical form, which must parse to it.
void check_round_trip(const Command& command, const CommandContext& context) {
  std::string line;
  if (const auto* ehlo = std::get_if<Ehlo>(&command)) {
    line = "EHLO " + ehlo->hostname;
  } else if (const auto* helo = std::get_if<Helo>(&command)) {
    line = "HELO " + helo->hostname;
  } else if (const auto* mail = std::get_if<Mail>(&command)) {
    line = "MAIL FROM:" + qcell::format_path(mail->reverse_path);
    if (mail->size) line += " SIZE=" + std::to_string(*mail->size);
    if (mail->body == Body::seven_bit) line += " BODY=7BIT";
    if (mail->body == Body::eight_bit_mime) line += " BODY=8BITMIME";
    if (mail->smtputf8) line += " SMTPUTF8";
    if (mail->auth) line += " AUTH=" + *mail->auth;
  } else if (const auto* rcpt = std::get_if<Rcpt>(&command)) {
    line = "RCPT TO:" + qcell::format_path(rcpt->forward_path);
  } else if (const auto* vrfy = std::get_if<Vrfy>(&command)) {
    line = "VRFY " + vrfy->argument;
  } else if (const auto* auth = std::get_if<Auth>(&command)) {
    line = auth->mechanism == AuthMechanism::plain ? "AUTH PLAIN" : "AUTH LOGIN";
    if (auth->initial_response) {
      line += " " + (auth->initial_response->empty() ? std::string("=") : *auth->initial_response);
    }
  } else {
    line = std::string(verb_name(verb_of(command)));
  }
  require_same(line, command, context);
}

void check_command(std::string_view input, const Command& command, const CommandContext& context) {
  const Verb verb = verb_of(command);
  require(static_cast<std::size_t>(verb) < std::variant_size_v<Command>);
  require(input.size() <= (verb == Verb::auth ? limits::smtp_auth_line : limits::smtp_command_line) - 2);
  require(is_free_of_control_bytes(input));
  if (const auto* ehlo = std::get_if<Ehlo>(&command)) check_hostname(ehlo->hostname);
  if (const auto* helo = std::get_if<Helo>(&command)) check_hostname(helo->hostname);
  if (const auto* mail = std::get_if<Mail>(&command)) {
    check_path(mail->reverse_path, mail->smtputf8);
    if (mail->auth) require(!mail->auth->empty() && is_printable(*mail->auth));
  }
  if (const auto* rcpt = std::get_if<Rcpt>(&command)) {
    check_path(rcpt->forward_path, context.smtputf8_transaction);
    require(!rcpt->forward_path.is_null);
    if (rcpt->forward_path.domain.empty()) require(is_postmaster(rcpt->forward_path.local));
  }
  if (const auto* vrfy = std::get_if<Vrfy>(&command)) {
    require(!vrfy->argument.empty() && vrfy->argument.size() < input.size());
  }
  if (const auto* auth = std::get_if<Auth>(&command)) {
    if (auth->initial_response) require(auth->initial_response->size() % 4 == 0);
  }
  check_round_trip(command, context);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CommandContext plain;
  CommandContext utf8;
  utf8.smtputf8_transaction = true;

  auto from_bytes = parse_command(std::as_bytes(std::span(data, size)), plain);
  auto from_text = parse_command(input, plain);
  require(from_bytes.ok() == from_text.ok());
  if (from_bytes.ok()) {
    require(from_bytes.value() == from_text.value());
    check_command(input, from_bytes.value(), plain);
  } else {
    require(from_bytes.error() == from_text.error());
    check_refusal(from_bytes.error());
  }

  auto in_utf8 = parse_command(input, utf8);
  if (in_utf8.ok()) {
    check_command(input, in_utf8.value(), utf8);
  } else {
    check_refusal(in_utf8.error());
  }
  // Only RCPT looks at the transaction, and only to refuse UTF-8.
  if (from_bytes.ok()) {
    require(in_utf8.ok() && in_utf8.value() == from_bytes.value());
  } else if (from_bytes.error().error == CommandError::non_ascii_recipient) {
    require(in_utf8.ok() && verb_of(in_utf8.value()) == Verb::rcpt);
  } else {
    require(!in_utf8.ok() && in_utf8.error() == from_bytes.error());
  }

  // Changing the case of the verb changes nothing.
  if (size > 0 && size <= limits::smtp_auth_line) {
    std::string flipped(input);
    for (std::size_t i = 0; i < flipped.size() && i < 8 && flipped[i] != ' '; ++i) {
      char& c = flipped[i];
      if (c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
      } else if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    auto again = parse_command(flipped, plain);
    require(again.ok() == from_bytes.ok());
    if (again.ok()) {
      require(again.value() == from_bytes.value());
    } else {
      require(again.error() == from_bytes.error());
    }
  }
  return 0;
}
