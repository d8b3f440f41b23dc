// command.cc — the SMTP command line grammar (RFC 5321 sections 4.1.1 and
// 4.1.2, RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3207 STARTTLS,
// RFC 4954 AUTH) over one hostile line.
//
// Work and memory are bounded before the content is examined: the verb is
// looked for in the first nine bytes only, then a line longer than the
// verb's limit is refused, then any control byte; every later step walks the
// at most limits::smtp_auth_line bytes left once, and what is kept is a
// substring of them. Paths and hostnames go through core/address.h.
//
// Choices where RFC 5321 leaves room or real clients differ, each also in
// docs/smtpd-commands.md:
// - the verb is followed by exactly one SP or by the end of the line; no TAB,
//   no second SP, no trailing SP (a bare "DATA " has an argument);
// - "MAIL FROM: <a@b>" and "RCPT TO: <a@b>", one SP after the colon, are
//   accepted as qmail and many clients send them; "FROM:a@b" without angle
//   brackets is refused (parse_path needs the '<');
// - no byte below 32 or DEL anywhere in the line, including NUL, TAB and a
//   bare CR or LF; bytes of 128 and up only in a path (with SMTPUTF8) and in
//   the VRFY argument;
// - SIZE is a canonical decimal (no leading zero) below 2^64, though RFC 1870
//   allows 1*20DIGIT;
// - a recipient without a domain is accepted only as <postmaster> (any
//   case), which RFC 5321 section 4.5.1 requires;
// - AUTH= is checked as xtext (hex digits of either case) and kept as sent.
#include "qmail-smtpd/command.h"

#include <iterator>
#include <type_traits>

#include "core/ascii.h"
#include "core/byte_buffer.h"
#include "core/decimal.h"
#include "core/enum_table.h"
#include "core/limits.h"

namespace qcell::smtpd {

namespace {

using Byte = unsigned char;

// The line limits hold the CRLF; the parser gets the line without it.
constexpr std::size_t command_line_max = limits::smtp_command_line - 2;
constexpr std::size_t auth_line_max = limits::smtp_auth_line - 2;

// --- tables ---------------------------------------------------------------------

struct VerbEntry {
  Verb verb;
  std::string_view name;
};

constexpr VerbEntry verbs[] = {
    {Verb::ehlo, "EHLO"}, {Verb::helo, "HELO"}, {Verb::mail, "MAIL"},         {Verb::rcpt, "RCPT"},
    {Verb::data, "DATA"}, {Verb::rset, "RSET"}, {Verb::noop, "NOOP"},         {Verb::quit, "QUIT"},
    {Verb::vrfy, "VRFY"}, {Verb::help, "HELP"}, {Verb::starttls, "STARTTLS"}, {Verb::auth, "AUTH"},
};

constexpr CommandErrorEntry errors[] = {
    {CommandError::line_too_long, 500, "line_too_long", "5.5.2", "Command line too long"},
    {CommandError::auth_line_too_long, 500, "auth_line_too_long", "5.5.6", "Authentication exchange line is too long"},
    {CommandError::control_character, 500, "control_character", "5.5.2", "Command line contains a control character"},
    {CommandError::unknown_command, 500, "unknown_command", "5.5.1", "Unrecognised command"},
    {CommandError::ehlo_syntax, 501, "ehlo_syntax", "5.5.4", "Syntax: EHLO hostname"},
    {CommandError::helo_syntax, 501, "helo_syntax", "5.5.4", "Syntax: HELO hostname"},
    {CommandError::bad_hostname, 501, "bad_hostname", "5.5.4", "Invalid hostname"},
    {CommandError::mail_syntax, 501, "mail_syntax", "5.5.4", "Syntax: MAIL FROM:<address>"},
    {CommandError::bad_sender_address, 553, "bad_sender_address", "5.1.7", "Bad sender address"},
    {CommandError::non_ascii_sender, 553, "non_ascii_sender", "5.6.7",
     "Non-ASCII sender address needs the SMTPUTF8 parameter"},
    {CommandError::mail_parameter_syntax, 501, "mail_parameter_syntax", "5.5.4",
     "Malformed MAIL parameter: use one space before each KEYWORD or KEYWORD=value"},
    {CommandError::unknown_mail_parameter, 555, "unknown_mail_parameter", "5.5.4", "Unknown MAIL parameter"},
    {CommandError::repeated_mail_parameter, 501, "repeated_mail_parameter", "5.5.4", "MAIL parameter given twice"},
    {CommandError::bad_size, 501, "bad_size", "5.5.4", "SIZE needs a decimal number below 2^64 without leading zeros"},
    {CommandError::bad_body, 501, "bad_body", "5.5.4", "BODY must be 7BIT or 8BITMIME"},
    {CommandError::bad_smtputf8, 501, "bad_smtputf8", "5.5.4", "SMTPUTF8 takes no value"},
    {CommandError::bad_auth_parameter, 501, "bad_auth_parameter", "5.5.4", "AUTH= needs <> or an xtext mailbox"},
    {CommandError::rcpt_syntax, 501, "rcpt_syntax", "5.5.4", "Syntax: RCPT TO:<address>"},
    {CommandError::bad_recipient_address, 553, "bad_recipient_address", "5.1.3", "Bad recipient address"},
    {CommandError::non_ascii_recipient, 553, "non_ascii_recipient", "5.6.7",
     "Non-ASCII recipient address needs MAIL FROM with SMTPUTF8"},
    {CommandError::rcpt_parameter, 555, "rcpt_parameter", "5.5.4", "RCPT parameters are not supported"},
    {CommandError::data_syntax, 501, "data_syntax", "5.5.4", "Syntax: DATA (no argument)"},
    {CommandError::rset_syntax, 501, "rset_syntax", "5.5.4", "Syntax: RSET (no argument)"},
    {CommandError::quit_syntax, 501, "quit_syntax", "5.5.4", "Syntax: QUIT (no argument)"},
    {CommandError::starttls_syntax, 501, "starttls_syntax", "5.5.4", "Syntax: STARTTLS (no argument)"},
    {CommandError::vrfy_syntax, 501, "vrfy_syntax", "5.5.4", "Syntax: VRFY address"},
    {CommandError::auth_syntax, 501, "auth_syntax", "5.5.4", "Syntax: AUTH mechanism [initial-response]"},
    {CommandError::unsupported_auth_mechanism, 504, "unsupported_auth_mechanism", "5.5.4",
     "Unrecognised authentication type"},
    {CommandError::bad_auth_initial_response, 501, "bad_auth_initial_response", "5.5.2",
     "Cannot decode the initial response as base64"},
};

static_assert(in_enum_order(verbs, &VerbEntry::verb));
static_assert(in_enum_order(errors, &CommandErrorEntry::error));
static_assert(std::size(verbs) == static_cast<std::size_t>(Verb::auth) + 1);
static_assert(std::size(errors) == static_cast<std::size_t>(CommandError::bad_auth_initial_response) + 1);
static_assert(std::variant_size_v<Command> == std::size(verbs));
static_assert(std::is_same_v<std::variant_alternative_t<0, Command>, Ehlo> &&
              std::is_same_v<std::variant_alternative_t<1, Command>, Helo> &&
              std::is_same_v<std::variant_alternative_t<2, Command>, Mail> &&
              std::is_same_v<std::variant_alternative_t<3, Command>, Rcpt> &&
              std::is_same_v<std::variant_alternative_t<4, Command>, Data> &&
              std::is_same_v<std::variant_alternative_t<5, Command>, Rset> &&
              std::is_same_v<std::variant_alternative_t<6, Command>, Noop> &&
              std::is_same_v<std::variant_alternative_t<7, Command>, Quit> &&
              std::is_same_v<std::variant_alternative_t<8, Command>, Vrfy> &&
              std::is_same_v<std::variant_alternative_t<9, Command>, Help> &&
              std::is_same_v<std::variant_alternative_t<10, Command>, StartTls> &&
              std::is_same_v<std::variant_alternative_t<11, Command>, Auth>);

// The longest verb plus its SP: how far the verb is looked for.
constexpr std::size_t verb_window = 9;
static_assert(verbs[static_cast<std::size_t>(Verb::starttls)].name.size() + 1 == verb_window);
// The texts name these numbers; keep them true.
static_assert(limits::smtp_command_line == 2048 && limits::smtp_auth_line == 12288);

// --- characters -------------------------------------------------------------------

constexpr bool is_alpha(Byte c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(Byte c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(Byte c) noexcept { return is_alpha(c) || is_digit(c); }
constexpr bool is_control(Byte c) noexcept { return c < 32 || c == 127; }
constexpr bool is_hex_digit(Byte c) noexcept { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

constexpr bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && equals_ignoring_ascii_case(text.substr(0, prefix.size()), prefix);
}

static_assert(equals_ignoring_ascii_case("sTartTLS", "STARTTLS") && !equals_ignoring_ascii_case("EHLO", "EHL0"));
static_assert(!equals_ignoring_ascii_case("\xc5hlo", "ehlo") && !equals_ignoring_ascii_case("[", "{"));

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
constexpr bool is_esmtp_keyword(std::string_view keyword) noexcept {
  if (keyword.empty() || !is_alnum(static_cast<Byte>(keyword.front()))) return false;
  for (char c : keyword) {
    if (!is_alnum(static_cast<Byte>(c)) && c != '-') return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126). (RFC 6531 adds UTF-8, which no
// parameter we know takes.)
constexpr bool is_esmtp_value(std::string_view value) noexcept {
  if (value.empty()) return false;
  for (char c : value) {
    const auto byte = static_cast<Byte>(c);
    if (byte < 33 || byte > 126 || c == '=') return false;
  }
  return true;
}

// xtext, RFC 3461 section 4: "!".."~" except '+' and '=', or '+' and two hex
// digits (upper case in the RFC; either case here, as the value is unused).
constexpr bool is_xtext(std::string_view value) noexcept {
  if (value.empty()) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<Byte>(value[i]);
    if (byte == '+') {
      if (i + 2 >= value.size()) return false;
      if (!is_hex_digit(static_cast<Byte>(value[i + 1])) || !is_hex_digit(static_cast<Byte>(value[i + 2]))) {
        return false;
      }
      i += 2;
    } else if (byte < 33 || byte > 126 || byte == '=') {
      return false;
    }
  }
  return true;
}

static_assert(is_xtext("<>") && is_xtext("user+40example.com") && is_xtext("a+2b"));
static_assert(!is_xtext("a+4") && !is_xtext("a+") && !is_xtext("a=b") && !is_xtext("a b") && !is_xtext("+4G"));

// sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"), RFC 4422 section 3.1;
// lower case is accepted, as mechanism names are matched without case.
constexpr bool is_sasl_mechanism(std::string_view name) noexcept {
  if (name.empty() || name.size() > 20) return false;
  for (char c : name) {
    if (!is_alnum(static_cast<Byte>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// RFC 4954's base64: groups of four of A-Z a-z 0-9 + /, the last of which
// may end in "=" or "==".
constexpr bool is_base64(std::string_view text) noexcept {
  if (text.empty() || text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const auto byte = static_cast<Byte>(text[i]);
    if (!is_alnum(byte) && byte != '+' && byte != '/') return false;
  }
  return true;
}

static_assert(is_base64("AGFAYgBj") && is_base64("YQ==") && is_base64("YWI=") && is_base64("+/+/"));
static_assert(!is_base64("YQ=") && !is_base64("Y===") && !is_base64("====") && !is_base64("YQ=a") && !is_base64(""));

// --- parsing -----------------------------------------------------------------------

Failure<CommandRefusal> refuse(CommandError error) { return fail(CommandRefusal{error, std::nullopt}); }
Failure<CommandRefusal> refuse(CommandError error, AddressError address) {
  return fail(CommandRefusal{error, address});
}

std::optional<Verb> find_verb(std::string_view token) noexcept {
  for (const VerbEntry& entry : verbs) {
    if (equals_ignoring_ascii_case(token, entry.name)) return entry.verb;
  }
  return std::nullopt;
}

// The errors of parse_path that speak of a domain, as a hostname's reason.
bool is_domain_error(AddressError error) noexcept {
  switch (error) {
    case AddressError::empty_domain:
    case AddressError::domain_too_long:
    case AddressError::label_too_long:
    case AddressError::bad_domain_character:
    case AddressError::bad_label_hyphen:
    case AddressError::bad_address_literal:
    case AddressError::empty_domain_label: return true;
    default: return false;
  }
}

// EHLO/HELO argument: RFC 5321's Domain / address-literal. The grammar is
// parse_path's, applied to "<h@ARGUMENT>" (no more than limits::domain + 4
// bytes); a '>' or '"' in the argument cannot end or hide the path early,
// as the whole wrapped text must be consumed.
Result<std::string, CommandRefusal> parse_hostname(std::string_view argument) {
  if (argument.size() > limits::domain) return refuse(CommandError::bad_hostname, AddressError::domain_too_long);
  std::string wrapped = "<h@";
  wrapped.append(argument);
  wrapped.push_back('>');
  AddressOptions options;
  options.max_path = wrapped.size();
  auto parsed = parse_path(wrapped, options);
  const AddressError fallback =
      argument.front() == '[' ? AddressError::bad_address_literal : AddressError::bad_domain_character;
  if (!parsed) {
    return refuse(CommandError::bad_hostname, is_domain_error(parsed.error()) ? parsed.error() : fallback);
  }
  if (parsed->consumed != wrapped.size() || parsed->path.domain != argument) {
    return refuse(CommandError::bad_hostname, fallback);
  }
  return std::move(parsed->path.domain);
}

// Strips "FROM:" or "TO:" and the one SP that may follow it.
std::optional<std::string_view> after_keyword(std::string_view argument, std::string_view keyword) noexcept {
  if (!starts_with_ignoring_ascii_case(argument, keyword)) return std::nullopt;
  std::string_view rest = argument.substr(keyword.size());
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

enum class MailParameter : unsigned { size = 1, body = 2, smtputf8 = 4, auth = 8 };

Status<CommandRefusal> parse_mail_parameter(std::string_view keyword, std::optional<std::string_view> value,
                                            unsigned& seen, Mail& mail) {
  MailParameter which{};
  if (equals_ignoring_ascii_case(keyword, "SIZE")) {
    which = MailParameter::size;
  } else if (equals_ignoring_ascii_case(keyword, "BODY")) {
    which = MailParameter::body;
  } else if (equals_ignoring_ascii_case(keyword, "SMTPUTF8")) {
    which = MailParameter::smtputf8;
  } else if (equals_ignoring_ascii_case(keyword, "AUTH")) {
    which = MailParameter::auth;
  } else {
    return refuse(CommandError::unknown_mail_parameter);
  }
  const auto bit = static_cast<unsigned>(which);
  if ((seen & bit) != 0) return refuse(CommandError::repeated_mail_parameter);
  seen |= bit;

  switch (which) {
    case MailParameter::size: {
      const auto size = value ? parse_canonical_decimal(*value) : std::nullopt;
      if (!size) return refuse(CommandError::bad_size);
      mail.size = *size;
      return {};
    }
    case MailParameter::body:
      if (value && equals_ignoring_ascii_case(*value, "7BIT")) {
        mail.body = Body::seven_bit;
      } else if (value && equals_ignoring_ascii_case(*value, "8BITMIME")) {
        mail.body = Body::eight_bit_mime;
      } else {
        return refuse(CommandError::bad_body);
      }
      return {};
    case MailParameter::smtputf8:
      if (value) return refuse(CommandError::bad_smtputf8);
      mail.smtputf8 = true;
      return {};
    case MailParameter::auth:
      if (!value || !is_xtext(*value)) return refuse(CommandError::bad_auth_parameter);
      mail.auth.emplace(*value);
      return {};
  }
  return refuse(CommandError::unknown_mail_parameter);
}

// Mail-parameters after the path: each is SP esmtp-keyword ["=" esmtp-value].
Status<CommandRefusal> parse_mail_parameters(std::string_view rest, Mail& mail) {
  unsigned seen = 0;
  while (!rest.empty()) {
    if (rest.front() != ' ') return refuse(CommandError::mail_parameter_syntax);
    rest.remove_prefix(1);
    const std::size_t end = rest.find(' ');
    const std::string_view parameter = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);

    const std::size_t equals = parameter.find('=');
    const std::string_view keyword = parameter.substr(0, equals);
    std::optional<std::string_view> value;
    if (equals != std::string_view::npos) value = parameter.substr(equals + 1);
    if (!is_esmtp_keyword(keyword) || (value && !is_esmtp_value(*value))) {
      return refuse(CommandError::mail_parameter_syntax);
    }
    if (auto status = parse_mail_parameter(keyword, value, seen, mail); !status) return status;
  }
  return {};
}

Result<Command, CommandRefusal> parse_mail(std::string_view argument) {
  const auto rest = after_keyword(argument, "FROM:");
  if (!rest) return refuse(CommandError::mail_syntax);
  AddressOptions options;
  options.allow_null = true;
  options.allow_utf8 = true;  // narrowed below unless SMTPUTF8 is given
  auto parsed = parse_path(*rest, options);
  if (!parsed) return refuse(CommandError::bad_sender_address, parsed.error());

  Mail mail;
  if (auto status = parse_mail_parameters(rest->substr(parsed->consumed), mail); !status) return fail(status.error());
  if (!mail.smtputf8) {
    options.allow_utf8 = false;
    if (!parse_path(rest->substr(0, parsed->consumed), options)) return refuse(CommandError::non_ascii_sender);
  }
  mail.reverse_path = std::move(parsed->path);
  return Command{std::move(mail)};
}

Result<Command, CommandRefusal> parse_rcpt(std::string_view argument, const CommandContext& context) {
  const auto rest = after_keyword(argument, "TO:");
  if (!rest) return refuse(CommandError::rcpt_syntax);
  AddressOptions options;
  options.allow_no_domain = true;  // for <postmaster> alone, checked below
  options.allow_utf8 = true;       // narrowed below outside an SMTPUTF8 transaction
  auto parsed = parse_path(*rest, options);
  if (!parsed) return refuse(CommandError::bad_recipient_address, parsed.error());
  if (parsed->path.domain.empty() && !equals_ignoring_ascii_case(parsed->path.local, "postmaster")) {
    return refuse(CommandError::bad_recipient_address, AddressError::missing_at_sign);
  }

  const std::string_view after = rest->substr(parsed->consumed);
  if (!after.empty()) {
    return refuse(after.size() > 1 && after.front() == ' ' ? CommandError::rcpt_parameter : CommandError::rcpt_syntax);
  }
  if (!context.smtputf8_transaction) {
    options.allow_utf8 = false;
    if (!parse_path(rest->substr(0, parsed->consumed), options)) return refuse(CommandError::non_ascii_recipient);
  }
  return Command{Rcpt{std::move(parsed->path)}};
}

Result<Command, CommandRefusal> parse_auth(std::string_view argument) {
  const std::size_t space = argument.find(' ');
  const std::string_view mechanism = argument.substr(0, space);
  if (!is_sasl_mechanism(mechanism)) return refuse(CommandError::auth_syntax);
  Auth auth;
  if (equals_ignoring_ascii_case(mechanism, "PLAIN")) {
    auth.mechanism = AuthMechanism::plain;
  } else if (equals_ignoring_ascii_case(mechanism, "LOGIN")) {
    auth.mechanism = AuthMechanism::login;
  } else {
    return refuse(CommandError::unsupported_auth_mechanism);
  }
  if (space == std::string_view::npos) return Command{std::move(auth)};

  const std::string_view response = argument.substr(space + 1);
  if (response.empty()) return refuse(CommandError::auth_syntax);
  if (response == "=") {
    auth.initial_response.emplace();
  } else if (is_base64(response)) {
    auth.initial_response.emplace(response);
  } else {
    return refuse(CommandError::bad_auth_initial_response);
  }
  return Command{std::move(auth)};
}

}  // namespace

std::string_view verb_name(Verb verb) noexcept {
  const auto index = static_cast<std::size_t>(verb);
  return index < std::size(verbs) ? std::span<const VerbEntry>(verbs)[index].name : std::string_view{"?"};
}

Verb verb_of(const Command& command) noexcept { return static_cast<Verb>(command.index()); }

std::span<const CommandErrorEntry> command_error_table() noexcept { return errors; }

const CommandErrorEntry& command_error_entry(CommandError error) noexcept {
  const auto index = static_cast<std::size_t>(error);
  // An out-of-range value (a programming error) gets the generic entry.
  const std::span<const CommandErrorEntry> table = errors;
  return index < table.size() ? table[index] : table[static_cast<std::size_t>(CommandError::unknown_command)];
}

std::string_view describe(CommandError error) noexcept { return command_error_entry(error).text; }

std::string format_reply(const CommandRefusal& refusal) {
  const CommandErrorEntry& entry = command_error_entry(refusal.error);
  std::string reply = std::to_string(entry.reply_code);
  reply.push_back(' ');
  reply.append(entry.enhanced);
  reply.push_back(' ');
  reply.append(entry.text);
  if (refusal.address) {
    reply.append(": ");
    reply.append(describe(*refusal.address));
  }
  return reply;
}

Result<Command, CommandRefusal> parse_command(std::span<const std::byte> line, const CommandContext& context) {
  const std::string_view text = as_text(line);

  // The verb: the bytes before the first SP, looked for in verb_window bytes.
  const std::size_t space = text.substr(0, verb_window).find(' ');
  const std::string_view token = space != std::string_view::npos ? text.substr(0, space)
                                 : text.size() < verb_window     ? text
                                                                 : std::string_view{};
  const std::optional<Verb> verb = find_verb(token);

  // Length, then control bytes, before anything else is looked at.
  if (verb == Verb::auth) {
    if (text.size() > auth_line_max) return refuse(CommandError::auth_line_too_long);
  } else if (text.size() > command_line_max) {
    return refuse(CommandError::line_too_long);
  }
  for (char c : text) {
    if (is_control(static_cast<Byte>(c))) return refuse(CommandError::control_character);
  }
  if (!verb) return refuse(CommandError::unknown_command);

  const bool has_argument = space != std::string_view::npos;
  const std::string_view argument = has_argument ? text.substr(space + 1) : std::string_view{};
  switch (*verb) {
    case Verb::ehlo:
    case Verb::helo: {
      if (argument.empty()) return refuse(*verb == Verb::ehlo ? CommandError::ehlo_syntax : CommandError::helo_syntax);
      auto hostname = parse_hostname(argument);
      if (!hostname) return fail(hostname.error());
      if (*verb == Verb::ehlo) return Command{Ehlo{std::move(hostname.value())}};
      return Command{Helo{std::move(hostname.value())}};
    }
    case Verb::mail: return parse_mail(argument);
    case Verb::rcpt: return parse_rcpt(argument, context);
    case Verb::data:
      if (has_argument) return refuse(CommandError::data_syntax);
      return Command{Data{}};
    case Verb::rset:
      if (has_argument) return refuse(CommandError::rset_syntax);
      return Command{Rset{}};
    case Verb::quit:
      if (has_argument) return refuse(CommandError::quit_syntax);
      return Command{Quit{}};
    case Verb::starttls:
      if (has_argument) return refuse(CommandError::starttls_syntax);
      return Command{StartTls{}};
    case Verb::noop: return Command{Noop{}};
    case Verb::help: return Command{Help{}};
    case Verb::vrfy:
      if (argument.empty()) return refuse(CommandError::vrfy_syntax);
      return Command{Vrfy{std::string(argument)}};
    case Verb::auth:
      if (argument.empty()) return refuse(CommandError::auth_syntax);
      return parse_auth(argument);
  }
  return refuse(CommandError::unknown_command);
}

Result<Command, CommandRefusal> parse_command(std::string_view line, const CommandContext& context) {
  return parse_command(as_bytes(line), context);
}

}  // namespace qcell::smtpd
