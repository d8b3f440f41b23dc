// command.h — parses one SMTP command line (RFC 5321 section 4.1, with
// SIZE, 8BITMIME, SMTPUTF8, STARTTLS and AUTH) into a typed command, or into
// a specific refusal that maps to one reply code, enhanced status code and
// text (docs/smtpd-commands.md lists them all and is tested against the
// table in command.cc).
//
// The line comes straight from the client and is hostile: any bytes, any
// length. The session layer has already removed the CRLF and enforced the
// line length, but the parser does not rely on it: it refuses a line longer
// than limits::smtp_command_line (limits::smtp_auth_line for AUTH) before
// looking at its content, and holds at most that much in the command.
// Paths are parsed by core/address.h, hostnames through it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/address.h"
#include "core/result.h"

namespace qcell::smtpd {

// The verbs, in the order of Command's alternatives.
enum class Verb : std::uint8_t { ehlo, helo, mail, rcpt, data, rset, noop, quit, vrfy, help, starttls, auth };

// The name as RFC 5321 writes it ("EHLO", "STARTTLS").
std::string_view verb_name(Verb verb) noexcept;

// EHLO and HELO: a domain or an address literal, checked by parse_path's
// grammar (ASCII only), at most limits::domain bytes; kept as sent for the
// Received: field.
struct Ehlo {
  std::string hostname;
  bool operator==(const Ehlo&) const = default;
};
struct Helo {
  std::string hostname;
  bool operator==(const Helo&) const = default;
};

// BODY= (RFC 6152).
enum class Body : std::uint8_t { unspecified, seven_bit, eight_bit_mime };

struct Mail {
  Path reverse_path;                  // may be the null path "<>"
  std::optional<std::uint64_t> size;  // SIZE= (RFC 1870), not compared with databytes here
  Body body = Body::unspecified;
  bool smtputf8 = false;  // SMTPUTF8 (RFC 6531); only then may the path hold UTF-8
  // AUTH= (RFC 4954 section 5) as sent: "<>" or xtext, never decoded. Kept
  // for the log; the session must ignore it unless it trusts the client.
  std::optional<std::string> auth;
  bool operator==(const Mail&) const = default;
};

struct Rcpt {
  Path forward_path;  // a mailbox with a domain, or <postmaster> (any case) without one
  bool operator==(const Rcpt&) const = default;
};

struct Data {
  bool operator==(const Data&) const = default;
};
struct Rset {
  bool operator==(const Rset&) const = default;
};
struct Noop {  // any argument is ignored
  bool operator==(const Noop&) const = default;
};
struct Quit {
  bool operator==(const Quit&) const = default;
};
struct Vrfy {
  std::string argument;  // non-empty, no control byte; the session answers 252 without looking it up
  bool operator==(const Vrfy&) const = default;
};
struct Help {  // any argument is ignored
  bool operator==(const Help&) const = default;
};
struct StartTls {
  bool operator==(const StartTls&) const = default;
};

enum class AuthMechanism : std::uint8_t { plain, login };

struct Auth {
  AuthMechanism mechanism = AuthMechanism::plain;
  // RFC 4954's initial-response: absent when none was sent, "" for "=",
  // otherwise well-formed base64 text as sent (not decoded).
  std::optional<std::string> initial_response;
  bool operator==(const Auth&) const = default;
};

using Command = std::variant<Ehlo, Helo, Mail, Rcpt, Data, Rset, Noop, Quit, Vrfy, Help, StartTls, Auth>;

Verb verb_of(const Command& command) noexcept;

// Every way a command line is refused. The order is that of the table in
// command.cc (one reply per error) and of docs/smtpd-commands.md.
enum class CommandError : std::uint8_t {
  line_too_long,               // more than limits::smtp_command_line - 2 bytes
  auth_line_too_long,          // AUTH line of more than limits::smtp_auth_line - 2 bytes
  control_character,           // a byte below 32 (NUL, TAB, CR, LF, ...) or DEL anywhere
  unknown_command,             // not one of the twelve verbs, or the verb is not followed by SP or the end
  ehlo_syntax,                 // EHLO without an argument
  helo_syntax,                 // HELO without an argument
  bad_hostname,                // the EHLO/HELO argument is not a domain or address literal (detail: AddressError)
  mail_syntax,                 // not "MAIL FROM:<path>" (also: no path, "FROM:" missing)
  bad_sender_address,          // the reverse-path is refused by parse_path (detail: AddressError)
  non_ascii_sender,            // a UTF-8 reverse-path without the SMTPUTF8 parameter
  mail_parameter_syntax,       // parameters not separated by one SP, bad keyword, empty or bad value
  unknown_mail_parameter,      // a well-formed keyword other than SIZE, BODY, SMTPUTF8, AUTH
  repeated_mail_parameter,     // one of them given twice
  bad_size,                    // SIZE without a canonical decimal value below 2^64
  bad_body,                    // BODY other than 7BIT or 8BITMIME
  bad_smtputf8,                // SMTPUTF8 with a value
  bad_auth_parameter,          // AUTH= neither "<>" nor xtext
  rcpt_syntax,                 // not "RCPT TO:<path>"
  bad_recipient_address,       // the forward-path is refused by parse_path (detail: AddressError)
  non_ascii_recipient,         // a UTF-8 forward-path outside an SMTPUTF8 transaction
  rcpt_parameter,              // any RCPT parameter: none is supported
  data_syntax,                 // DATA with an argument
  rset_syntax,                 // RSET with an argument
  quit_syntax,                 // QUIT with an argument
  starttls_syntax,             // STARTTLS with an argument
  vrfy_syntax,                 // VRFY without an argument
  auth_syntax,                 // AUTH without a well-formed mechanism name, or junk after it
  unsupported_auth_mechanism,  // a well-formed mechanism other than PLAIN and LOGIN
  bad_auth_initial_response,   // an initial response that is neither base64 nor "="
};

// A refusal: the error and, for bad_hostname, bad_sender_address and
// bad_recipient_address, the reason parse_path gave.
struct CommandRefusal {
  CommandError error = CommandError::unknown_command;
  std::optional<AddressError> address;
  bool operator==(const CommandRefusal&) const = default;
};

struct CommandErrorEntry {
  CommandError error;
  unsigned reply_code;        // RFC 5321 reply code
  std::string_view name;      // the enumerator's name, for docs and logs
  std::string_view enhanced;  // RFC 3463 enhanced status code
  std::string_view text;      // English, printable ASCII, no trailing period
};

// The whole table, in enum order.
std::span<const CommandErrorEntry> command_error_table() noexcept;
const CommandErrorEntry& command_error_entry(CommandError error) noexcept;
std::string_view describe(CommandError error) noexcept;

// The reply line without CRLF, e.g. "501 5.5.4 Syntax: HELO hostname", or
// "553 5.1.7 Bad sender address: the address has no '@' and domain" when an
// address reason is attached. Always one line of printable ASCII, shorter
// than RFC 5321's 512-octet reply line.
std::string format_reply(const CommandRefusal& refusal);

// What the parser must know about the session.
struct CommandContext {
  // The open transaction's MAIL carried SMTPUTF8: RCPT paths may hold UTF-8.
  bool smtputf8_transaction = false;
};

// Parses one command line without its CRLF.
Result<Command, CommandRefusal> parse_command(std::span<const std::byte> line, const CommandContext& context = {});
Result<Command, CommandRefusal> parse_command(std::string_view line, const CommandContext& context = {});

}  // namespace qcell::smtpd
