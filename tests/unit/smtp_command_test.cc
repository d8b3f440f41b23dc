// smtp_command_test.cc — qmail-smtpd's command line parser: every verb,
// every CommandError with an input that produces it and its exact reply,
// case, control bytes, the line limits at their boundaries, a line that
// claims to be a megabyte but is read only up to its verb, UTF-8 addresses
// only with SMTPUTF8, and docs/smtpd-commands.md against the error table.
#include "qmail-smtpd/command.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/limits.h"

namespace qcell::smtpd {

// Failures print the reply rather than bytes (found by ADL, so not in the
// anonymous namespace).
void PrintTo(const CommandRefusal& refusal, std::ostream* out) { *out << format_reply(refusal); }

namespace {

using namespace std::literals;

CommandContext utf8_transaction() {
  CommandContext context;
  context.smtputf8_transaction = true;
  return context;
}

// The command of a line that must parse.
Command command_of(std::string_view line, const CommandContext& context = {}) {
  auto parsed = parse_command(line, context);
  if (!parsed.ok()) {
    ADD_FAILURE() << "refused: \"" << line << "\": " << format_reply(parsed.error());
    return Noop{};
  }
  return parsed.value();
}

// The refusal of a line that must not parse.
CommandRefusal refusal_of(std::string_view line, const CommandContext& context = {}) {
  auto parsed = parse_command(line, context);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly: \"" << line << "\" as " << verb_name(verb_of(parsed.value()));
    return CommandRefusal{CommandError::unknown_command, AddressError::missing_open_bracket};
  }
  return parsed.error();
}

CommandError error_of(std::string_view line, const CommandContext& context = {}) {
  return refusal_of(line, context).error;
}

Mail mail_of(std::string_view line) {
  const Command command = command_of(line);
  if (const auto* mail = std::get_if<Mail>(&command)) return *mail;
  ADD_FAILURE() << "not a MAIL command: " << line;
  return {};
}

Path recipient_of(std::string_view line, const CommandContext& context = {}) {
  const Command command = command_of(line, context);
  if (const auto* rcpt = std::get_if<Rcpt>(&command)) return rcpt->forward_path;
  ADD_FAILURE() << "not a RCPT command: " << line;
  return {};
}

Auth auth_of(std::string_view line) {
  const Command command = command_of(line);
  if (const auto* auth = std::get_if<Auth>(&command)) return *auth;
  ADD_FAILURE() << "not an AUTH command: " << line;
  return {};
}

Path path(std::string local, std::string domain) {
  Path result;
  result.local = std::move(local);
  result.domain = std::move(domain);
  return result;
}

TEST(SmtpCommand, ParsesEveryVerb) {
  EXPECT_EQ(command_of("EHLO mail.example.com"), Command{Ehlo{"mail.example.com"}});
  EXPECT_EQ(command_of("HELO mail.example.com"), Command{Helo{"mail.example.com"}});
  Mail mail;
  mail.reverse_path = path("alice", "example.org");
  EXPECT_EQ(command_of("MAIL FROM:<alice@example.org>"), Command{mail});
  EXPECT_EQ(command_of("RCPT TO:<bob@example.net>"), Command{Rcpt{path("bob", "example.net")}});
  EXPECT_EQ(command_of("DATA"), Command{Data{}});
  EXPECT_EQ(command_of("RSET"), Command{Rset{}});
  EXPECT_EQ(command_of("NOOP"), Command{Noop{}});
  EXPECT_EQ(command_of("QUIT"), Command{Quit{}});
  EXPECT_EQ(command_of("VRFY postmaster"), Command{Vrfy{"postmaster"}});
  EXPECT_EQ(command_of("HELP"), Command{Help{}});
  EXPECT_EQ(command_of("STARTTLS"), Command{StartTls{}});
  EXPECT_EQ(command_of("AUTH LOGIN"), (Command{Auth{AuthMechanism::login, std::nullopt}}));

  // verb_of and verb_name agree with the alternatives' order.
  const std::vector<std::pair<std::string_view, Verb>> lines = {
      {"EHLO a.example", Verb::ehlo}, {"HELO a.example", Verb::helo},
      {"MAIL FROM:<>", Verb::mail},   {"RCPT TO:<a@b.example>", Verb::rcpt},
      {"DATA", Verb::data},           {"RSET", Verb::rset},
      {"NOOP", Verb::noop},           {"QUIT", Verb::quit},
      {"VRFY x", Verb::vrfy},         {"HELP", Verb::help},
      {"STARTTLS", Verb::starttls},   {"AUTH PLAIN", Verb::auth},
  };
  for (const auto& [line, verb] : lines) {
    EXPECT_EQ(verb_of(command_of(line)), verb) << line;
    EXPECT_EQ(line.substr(0, verb_name(verb).size()), verb_name(verb));
  }
}

TEST(SmtpCommand, VerbsKeywordsAndParametersIgnoreCase) {
  EXPECT_EQ(command_of("ehlo mail.example.com"), Command{Ehlo{"mail.example.com"}});
  EXPECT_EQ(command_of("hElO Mail.Example.COM"), Command{Helo{"Mail.Example.COM"}}) << "case kept";
  EXPECT_EQ(command_of("data"), Command{Data{}});
  EXPECT_EQ(command_of("StartTls"), Command{StartTls{}});
  EXPECT_EQ(command_of("quit"), Command{Quit{}});
  const Mail mail = mail_of("mail from:<Alice@Example.org> size=10 body=8bitmime smtputf8 auth=<>");
  EXPECT_EQ(mail.reverse_path, path("Alice", "Example.org"));
  EXPECT_EQ(mail.size, 10U);
  EXPECT_EQ(mail.body, Body::eight_bit_mime);
  EXPECT_TRUE(mail.smtputf8);
  EXPECT_EQ(mail.auth, "<>");
  EXPECT_EQ(recipient_of("rcpt To:<bob@example.net>"), path("bob", "example.net"));
  EXPECT_EQ(auth_of("auth plain").mechanism, AuthMechanism::plain);
  EXPECT_EQ(auth_of("Auth Login").mechanism, AuthMechanism::login);
  // Only ASCII letters fold: no look-alike byte becomes a verb.
  EXPECT_EQ(error_of("\xc4\xb0HLO a.example"), CommandError::unknown_command);
  EXPECT_EQ(error_of("EHL0 a.example"), CommandError::unknown_command);
}

TEST(SmtpCommand, VerbIsFollowedByOneSpaceOrTheEnd) {
  EXPECT_EQ(error_of("EHLOmail.example.com"), CommandError::unknown_command);
  EXPECT_EQ(error_of("MAILFROM:<a@b.example>"), CommandError::unknown_command);
  EXPECT_EQ(error_of(""), CommandError::unknown_command);
  EXPECT_EQ(error_of(" QUIT"), CommandError::unknown_command);
  EXPECT_EQ(error_of("XEXCH50 1 2"), CommandError::unknown_command);
  EXPECT_EQ(error_of("STARTTLSX"), CommandError::unknown_command);
  EXPECT_EQ(refusal_of("EHLO  mail.example.com").address, AddressError::bad_domain_character);
  EXPECT_EQ(error_of("MAIL  FROM:<a@b.example>"), CommandError::mail_syntax);
  EXPECT_EQ(error_of("DATA "), CommandError::data_syntax) << "a trailing SP is an empty argument";
  EXPECT_EQ(error_of("QUIT "), CommandError::quit_syntax);
  EXPECT_EQ(error_of("EHLO "), CommandError::ehlo_syntax);
  EXPECT_EQ(error_of("EHLO\ta.example"), CommandError::control_character);
}

TEST(SmtpCommand, HelloTakesADomainOrAnAddressLiteral) {
  for (const char* hostname : {"localhost", "mail.example.com", "xn--bcher-kva.example", "a", "1.example",
                               "[192.0.2.1]", "[IPv6:2001:db8::1]", "[ipv6:::1]", "[x-tag:content]"}) {
    EXPECT_EQ(command_of("EHLO "s + hostname), Command{Ehlo{hostname}}) << hostname;
    EXPECT_EQ(command_of("HELO "s + hostname), Command{Helo{hostname}}) << hostname;
  }
  const std::vector<std::pair<std::string, AddressError>> refused = {
      {"my_host", AddressError::bad_domain_character},
      {"mail.example.com.", AddressError::empty_domain_label},
      {".example", AddressError::empty_domain_label},
      {"a..example", AddressError::empty_domain_label},
      {"-a.example", AddressError::bad_label_hyphen},
      {std::string(64, 'l') + ".example", AddressError::label_too_long},
      {"a b", AddressError::bad_domain_character},
      {"a@b.example", AddressError::bad_domain_character},
      {"a>b", AddressError::bad_domain_character},
      {"a\"b\"", AddressError::bad_domain_character},
      {"<a.example>", AddressError::bad_domain_character},
      {"b\xc3\xbc"
       "cher.example",
       AddressError::bad_domain_character},
      {"[192.0.2.256]", AddressError::bad_address_literal},
      {"[192.0.2.1", AddressError::bad_address_literal},
      {"[192.0.2.1]x", AddressError::bad_address_literal},
      {"[192.0.2.1>]", AddressError::bad_address_literal},
      {"[IPv6:nonsense]", AddressError::bad_address_literal},
      {std::string(256, 'a'), AddressError::domain_too_long},
  };
  for (const auto& [hostname, reason] : refused) {
    const CommandRefusal refusal = refusal_of("EHLO " + hostname);
    EXPECT_EQ(refusal.error, CommandError::bad_hostname) << hostname;
    EXPECT_EQ(refusal.address, reason) << hostname << ": " << format_reply(refusal);
  }
  EXPECT_EQ(error_of("EHLO"), CommandError::ehlo_syntax);
  EXPECT_EQ(error_of("HELO"), CommandError::helo_syntax);
  EXPECT_EQ(error_of("HELO "), CommandError::helo_syntax);
  // The longest domain is kept whole, for the Received: field.
  std::string longest;
  while (longest.size() < limits::domain - 63) longest += std::string(62, 'd') + ".";
  longest += std::string(limits::domain - longest.size(), 'e');
  ASSERT_EQ(longest.size(), limits::domain);
  EXPECT_EQ(command_of("HELO " + longest), Command{Helo{longest}});
  EXPECT_EQ(refusal_of("HELO " + longest + "e").address, AddressError::domain_too_long);
}

TEST(SmtpCommand, MailFromTakesAReversePath) {
  EXPECT_TRUE(mail_of("MAIL FROM:<>").reverse_path.is_null);
  EXPECT_EQ(mail_of("MAIL FROM: <a@b.example>").reverse_path, path("a", "b.example")) << "qmail's one space";
  EXPECT_EQ(mail_of("MAIL FROM:<\"a b\"@b.example>").reverse_path.local, "a b");
  const Path routed = mail_of("MAIL FROM:<@relay.example,@other.example:a@b.example>").reverse_path;
  EXPECT_EQ(routed.envelope(), "a@b.example");
  EXPECT_TRUE(routed.had_source_route);

  EXPECT_EQ(error_of("MAIL"), CommandError::mail_syntax);
  EXPECT_EQ(error_of("MAIL "), CommandError::mail_syntax);
  EXPECT_EQ(error_of("MAIL FROM"), CommandError::mail_syntax);
  EXPECT_EQ(error_of("MAIL FROM:"), CommandError::mail_syntax);
  EXPECT_EQ(error_of("MAIL FROM: "), CommandError::mail_syntax);
  EXPECT_EQ(error_of("MAIL TO:<a@b.example>"), CommandError::mail_syntax);
  EXPECT_EQ(error_of("MAIL FROM <a@b.example>"), CommandError::mail_syntax);
  EXPECT_EQ(refusal_of("MAIL FROM:  <a@b.example>"),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::missing_open_bracket}));
  EXPECT_EQ(refusal_of("MAIL FROM:a@b.example"),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::missing_open_bracket}));
  EXPECT_EQ(refusal_of("MAIL FROM:<a@b.example"),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::missing_close_bracket}));
  EXPECT_EQ(refusal_of("MAIL FROM:<postmaster>"),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::missing_at_sign}));
  EXPECT_EQ(refusal_of("MAIL FROM:<a..b@b.example>"),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::bad_dot_string}));
  EXPECT_EQ(refusal_of("MAIL FROM:<" + std::string(65, 'a') + "@b.example>"),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::local_part_too_long}));
  EXPECT_EQ(refusal_of("MAIL FROM:<" + std::string(300, 'a')),
            (CommandRefusal{CommandError::bad_sender_address, AddressError::path_too_long}));
}

TEST(SmtpCommand, MailParameters) {
  Mail mail = mail_of("MAIL FROM:<a@b.example> SIZE=12345 BODY=7BIT");
  EXPECT_EQ(mail.size, 12345U);
  EXPECT_EQ(mail.body, Body::seven_bit);
  EXPECT_FALSE(mail.smtputf8);
  EXPECT_FALSE(mail.auth.has_value());
  mail = mail_of("MAIL FROM:<a@b.example>");
  EXPECT_FALSE(mail.size.has_value());
  EXPECT_EQ(mail.body, Body::unspecified);
  EXPECT_EQ(mail_of("MAIL FROM:<> SIZE=0").size, 0U);
  EXPECT_EQ(mail_of("MAIL FROM:<> SIZE=18446744073709551615").size, UINT64_MAX);
  EXPECT_EQ(mail_of("MAIL FROM:<a@b.example> AUTH=a+2Bb+40c.example").auth, "a+2Bb+40c.example") << "kept as sent";
  EXPECT_EQ(mail_of("MAIL FROM:<a@b.example> AUTH=a+2bb").auth, "a+2bb") << "either case of hex";

  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=18446744073709551616"), CommandError::bad_size);
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=012"), CommandError::bad_size);
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=-1"), CommandError::bad_size);
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=1k"), CommandError::bad_size);
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE"), CommandError::bad_size);
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE="), CommandError::mail_parameter_syntax);
  EXPECT_EQ(error_of("MAIL FROM:<> BODY=BINARYMIME"), CommandError::bad_body);
  EXPECT_EQ(error_of("MAIL FROM:<> BODY"), CommandError::bad_body);
  EXPECT_EQ(error_of("MAIL FROM:<> SMTPUTF8=yes"), CommandError::bad_smtputf8);
  EXPECT_EQ(error_of("MAIL FROM:<> AUTH"), CommandError::bad_auth_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> AUTH=a+4"), CommandError::bad_auth_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> AUTH=a+4G"), CommandError::bad_auth_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> AUTH=a=b"), CommandError::mail_parameter_syntax) << "'=' is no esmtp-value";
  EXPECT_EQ(error_of("MAIL FROM:<> RET=HDRS"), CommandError::unknown_mail_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> X-FOO"), CommandError::unknown_mail_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=1 size=2"), CommandError::repeated_mail_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> SMTPUTF8 SMTPUTF8"), CommandError::repeated_mail_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> BODY=7BIT BODY=7BIT"), CommandError::repeated_mail_parameter);
  EXPECT_EQ(error_of("MAIL FROM:<> AUTH=<> AUTH=<>"), CommandError::repeated_mail_parameter);
  for (const char* malformed : {"MAIL FROM:<a@b.example>SIZE=1", "MAIL FROM:<a@b.example> ", "MAIL FROM:<> SIZE=1 ",
                                "MAIL FROM:<>  SIZE=1", "MAIL FROM:<> =1", "MAIL FROM:<> -X=1", "MAIL FROM:<> X_Y=1",
                                "MAIL FROM:<> SIZE=1=2", "MAIL FROM:<> X=\xc3\xa9"}) {
    EXPECT_EQ(error_of(malformed), CommandError::mail_parameter_syntax) << malformed;
  }
}

TEST(SmtpCommand, RcptToTakesAMailboxOrPostmaster) {
  EXPECT_EQ(recipient_of("RCPT TO: <bob@example.net>"), path("bob", "example.net")) << "qmail's one space";
  EXPECT_EQ(recipient_of("RCPT TO:<postmaster>"), path("postmaster", ""));
  EXPECT_EQ(recipient_of("RCPT TO:<PostMaster>"), path("PostMaster", "")) << "case kept";
  EXPECT_EQ(recipient_of("RCPT TO:<Postmaster@example.net>"), path("Postmaster", "example.net"));
  EXPECT_EQ(recipient_of("RCPT TO:<bob@[192.0.2.1]>"), path("bob", "[192.0.2.1]"));
  const Path routed = recipient_of("RCPT TO:<@relay.example:bob@example.net>");
  EXPECT_EQ(routed.envelope(), "bob@example.net") << "source route ignored";
  EXPECT_TRUE(routed.had_source_route);

  EXPECT_EQ(refusal_of("RCPT TO:<bob>"),
            (CommandRefusal{CommandError::bad_recipient_address, AddressError::missing_at_sign}));
  EXPECT_EQ(refusal_of("RCPT TO:<>"),
            (CommandRefusal{CommandError::bad_recipient_address, AddressError::null_path_not_allowed}));
  EXPECT_EQ(refusal_of("RCPT TO:<bob@>"),
            (CommandRefusal{CommandError::bad_recipient_address, AddressError::empty_domain}));
  EXPECT_EQ(error_of("RCPT"), CommandError::rcpt_syntax);
  EXPECT_EQ(error_of("RCPT TO:"), CommandError::rcpt_syntax);
  EXPECT_EQ(error_of("RCPT FROM:<bob@example.net>"), CommandError::rcpt_syntax);
  EXPECT_EQ(error_of("RCPT TO:<bob@example.net> "), CommandError::rcpt_syntax);
  EXPECT_EQ(error_of("RCPT TO:<bob@example.net>x"), CommandError::rcpt_syntax);
  EXPECT_EQ(error_of("RCPT TO:<bob@example.net> NOTIFY=NEVER"), CommandError::rcpt_parameter);
  EXPECT_EQ(error_of("RCPT TO:<bob@example.net> ORCPT=rfc822;bob@example.net"), CommandError::rcpt_parameter);
}

TEST(SmtpCommand, Utf8AddressesOnlyWithSmtputf8) {
  const std::string utf8_sender =
      "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc"
      "cher.example>";
  EXPECT_EQ(refusal_of(utf8_sender), (CommandRefusal{CommandError::non_ascii_sender, std::nullopt}));
  const Mail mail = mail_of(utf8_sender + " SMTPUTF8");
  EXPECT_TRUE(mail.smtputf8);
  EXPECT_EQ(mail.reverse_path, path("j\xc3\xb6rg",
                                    "b\xc3\xbc"
                                    "cher.example"));
  EXPECT_EQ(mail_of("MAIL FROM:<a@b.example> SMTPUTF8").reverse_path, path("a", "b.example"));
  // A UTF-8 source route is discarded, but still needs SMTPUTF8.
  EXPECT_EQ(error_of("MAIL FROM:<@r\xc3\xa9lay.example:a@b.example>"), CommandError::non_ascii_sender);
  // Malformed UTF-8 is a bad address either way.
  EXPECT_EQ(refusal_of("MAIL FROM:<a\xc3@b.example> SMTPUTF8").address, AddressError::bad_utf8);
  EXPECT_EQ(refusal_of("MAIL FROM:<a\xc0\x80@b.example>").address, AddressError::bad_utf8);

  const std::string utf8_recipient =
      "RCPT TO:<j\xc3\xb6rg@b\xc3\xbc"
      "cher.example>";
  EXPECT_EQ(error_of(utf8_recipient), CommandError::non_ascii_recipient);
  EXPECT_EQ(recipient_of(utf8_recipient, utf8_transaction()), path("j\xc3\xb6rg",
                                                                   "b\xc3\xbc"
                                                                   "cher.example"));
  EXPECT_EQ(recipient_of("RCPT TO:<bob@example.net>", utf8_transaction()), path("bob", "example.net"));
  EXPECT_EQ(refusal_of("RCPT TO:<\xed\xa0\x80@b.example>", utf8_transaction()).address, AddressError::bad_utf8);
  // Hostnames are ASCII: EHLO comes before any SMTPUTF8.
  EXPECT_EQ(error_of("EHLO b\xc3\xbc"
                     "cher.example"),
            CommandError::bad_hostname);
}

TEST(SmtpCommand, CommandsWithoutArguments) {
  for (const char* verb : {"DATA", "RSET", "QUIT", "STARTTLS"}) {
    EXPECT_TRUE(parse_command(verb).ok()) << verb;
    EXPECT_FALSE(parse_command(verb + " x"s).ok()) << verb;
    EXPECT_FALSE(parse_command(verb + " "s).ok()) << verb;
  }
  EXPECT_EQ(error_of("DATA now"), CommandError::data_syntax);
  EXPECT_EQ(error_of("RSET now"), CommandError::rset_syntax);
  EXPECT_EQ(error_of("QUIT now"), CommandError::quit_syntax);
  EXPECT_EQ(error_of("STARTTLS now"), CommandError::starttls_syntax);
  // NOOP and HELP ignore their argument.
  EXPECT_EQ(command_of("NOOP"), Command{Noop{}});
  EXPECT_EQ(command_of("NOOP "), Command{Noop{}});
  EXPECT_EQ(command_of("NOOP anything at all"), Command{Noop{}});
  EXPECT_EQ(command_of("HELP MAIL"), Command{Help{}});
  EXPECT_EQ(command_of("HELP \xff\xfe"), Command{Help{}});
}

TEST(SmtpCommand, VrfyKeepsItsArgument) {
  EXPECT_EQ(command_of("VRFY <bob@example.net>"), Command{Vrfy{"<bob@example.net>"}});
  EXPECT_EQ(command_of("VRFY Bob Smith"), Command{Vrfy{"Bob Smith"}});
  EXPECT_EQ(command_of("VRFY j\xc3\xb6rg"), Command{Vrfy{"j\xc3\xb6rg"}}) << "RFC 6531 lets VRFY carry UTF-8";
  EXPECT_EQ(error_of("VRFY"), CommandError::vrfy_syntax);
  EXPECT_EQ(error_of("VRFY "), CommandError::vrfy_syntax);
  const std::string longest = "VRFY " + std::string(limits::smtp_command_line - 2 - 5, 'v');
  auto kept = std::get<Vrfy>(command_of(longest));
  EXPECT_EQ(kept.argument.size(), limits::smtp_command_line - 7);
  EXPECT_EQ(error_of(longest + "v"), CommandError::line_too_long);
}

TEST(SmtpCommand, AuthMechanismAndInitialResponse) {
  EXPECT_EQ(auth_of("AUTH PLAIN"), (Auth{AuthMechanism::plain, std::nullopt}));
  EXPECT_EQ(auth_of("AUTH PLAIN ="), (Auth{AuthMechanism::plain, ""}));
  EXPECT_EQ(auth_of("AUTH PLAIN AGJvYgBzZWNyZXQ="), (Auth{AuthMechanism::plain, "AGJvYgBzZWNyZXQ="}));
  EXPECT_EQ(auth_of("AUTH LOGIN Ym9i"), (Auth{AuthMechanism::login, "Ym9i"}));
  EXPECT_EQ(auth_of("AUTH PLAIN YQ=="), (Auth{AuthMechanism::plain, "YQ=="}));

  EXPECT_EQ(error_of("AUTH"), CommandError::auth_syntax);
  EXPECT_EQ(error_of("AUTH "), CommandError::auth_syntax);
  EXPECT_EQ(error_of("AUTH PLAIN "), CommandError::auth_syntax);
  EXPECT_EQ(error_of("AUTH  PLAIN"), CommandError::auth_syntax);
  EXPECT_EQ(error_of("AUTH PL@IN"), CommandError::auth_syntax);
  EXPECT_EQ(error_of("AUTH " + std::string(21, 'X')), CommandError::auth_syntax);
  EXPECT_EQ(error_of("AUTH CRAM-MD5"), CommandError::unsupported_auth_mechanism);
  EXPECT_EQ(error_of("AUTH GSSAPI YQ=="), CommandError::unsupported_auth_mechanism);
  EXPECT_EQ(error_of("AUTH " + std::string(20, 'X')), CommandError::unsupported_auth_mechanism);
  for (const char* bad : {"AUTH PLAIN YQ=", "AUTH PLAIN Y===", "AUTH PLAIN ====", "AUTH PLAIN YQ=a",
                          "AUTH PLAIN Ym9i Ym9i", "AUTH PLAIN ==", "AUTH PLAIN Ym9i=", "AUTH PLAIN Ym-i"}) {
    EXPECT_EQ(error_of(bad), CommandError::bad_auth_initial_response) << bad;
  }

  // RFC 4954's 12288 octets, CRLF included, for an AUTH line only.
  const std::string prefix = "AUTH PLAIN ";
  std::string response(limits::smtp_auth_line - 2 - prefix.size(), 'A');
  response.resize(response.size() / 4 * 4);
  const std::string longest =
      prefix + response + std::string(limits::smtp_auth_line - 2 - prefix.size() - response.size(), ' ');
  EXPECT_EQ(auth_of(prefix + response).initial_response->size(), response.size());
  EXPECT_EQ(longest.size(), limits::smtp_auth_line - 2);
  EXPECT_EQ(error_of(longest), CommandError::bad_auth_initial_response) << "long enough, but not base64";
  EXPECT_EQ(error_of(longest + "A"), CommandError::auth_line_too_long);
  EXPECT_EQ(error_of("NOOP " + response), CommandError::line_too_long) << "only AUTH gets the longer limit";
}

TEST(SmtpCommand, NulAndControlBytesAreRefusedAnywhere) {
  const std::vector<std::string> lines = {
      "QUIT\0"s,
      "QU\0IT"s,
      "\0"s,
      "EHLO a.example\0evil"s,
      "MAIL FROM:<a@b.example>\0 SIZE=1"s,
      "MAIL FROM:<a\0b@b.example>"s,
      "RCPT TO:<bob@example.net>\r\nDATA"s,
      "RCPT TO:<bob@example.net>\n"s,
      "NOOP \x1b[31m"s,
      "HELP \x7f"s,
      "VRFY bob\tsmith"s,
      "AUTH PLAIN \0"s,
      "XYZZY \x01"s,
  };
  for (const std::string& line : lines) {
    EXPECT_EQ(error_of(line), CommandError::control_character) << testing::PrintToString(line);
  }
}

TEST(SmtpCommand, AMegabyteLineIsRefusedAfterReadingItsVerb) {
  // Everything after the first page is unreadable, while the span claims a
  // megabyte: reading past the verb would fault.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* map = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* base = static_cast<std::byte*>(map);
  ASSERT_EQ(::mprotect(base + page, page, PROT_NONE), 0);
  constexpr std::size_t megabyte = std::size_t{1024} * 1024;
  const std::vector<std::pair<std::string_view, CommandError>> cases = {
      {"VRFY a", CommandError::line_too_long},
      {"AUTH PLAIN", CommandError::auth_line_too_long},
      {"XYZZY12345", CommandError::line_too_long},
      {"MAIL FROM:<", CommandError::line_too_long},
      {"\0\0\0\0\0\0\0\0\0\0"sv, CommandError::line_too_long},
  };
  for (const auto& [start, error] : cases) {
    std::byte* line = base + page - 16;
    std::memset(line, 'a', 16);
    std::memcpy(line, start.data(), std::min<std::size_t>(start.size(), 16));
    auto parsed = parse_command(std::span<const std::byte>(line, megabyte));
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().error, error) << start;
  }
  ASSERT_EQ(::munmap(map, 2 * page), 0);

  // And a real one, with the bytes of every kind of argument.
  for (const char* start : {"EHLO ", "MAIL FROM:<a@b.example> SIZE=", "RCPT TO:<", "VRFY ", "AUTH PLAIN "}) {
    std::string line = start;
    line.resize(megabyte, 'A');
    EXPECT_FALSE(parse_command(line).ok()) << start;
  }
}

// One line per error, and the exact reply it gets.
struct ErrorExample {
  CommandError error;
  std::string line;
  bool smtputf8_transaction;
  std::string reply;
};

std::vector<ErrorExample> error_examples() {
  return {
      {CommandError::line_too_long, "NOOP " + std::string(3000, 'x'), false, "500 5.5.2 Command line too long"},
      {CommandError::auth_line_too_long, "AUTH PLAIN " + std::string(13000, 'x'), false,
       "500 5.5.6 Authentication exchange line is too long"},
      {CommandError::control_character, "NOOP \0"s, false, "500 5.5.2 Command line contains a control character"},
      {CommandError::unknown_command, "EXPN staff", false, "500 5.5.1 Unrecognised command"},
      {CommandError::ehlo_syntax, "EHLO", false, "501 5.5.4 Syntax: EHLO hostname"},
      {CommandError::helo_syntax, "HELO", false, "501 5.5.4 Syntax: HELO hostname"},
      {CommandError::bad_hostname, "HELO my_host", false,
       "501 5.5.4 Invalid hostname: the domain contains a character other than letters, digits, '-' and '.'"},
      {CommandError::mail_syntax, "MAIL FROM", false, "501 5.5.4 Syntax: MAIL FROM:<address>"},
      {CommandError::bad_sender_address, "MAIL FROM:<alice>", false,
       "553 5.1.7 Bad sender address: the address has no '@' and domain"},
      {CommandError::non_ascii_sender, "MAIL FROM:<\xc3\xa9@b.example>", false,
       "553 5.6.7 Non-ASCII sender address needs the SMTPUTF8 parameter"},
      {CommandError::mail_parameter_syntax, "MAIL FROM:<>  SIZE=1", false,
       "501 5.5.4 Malformed MAIL parameter: use one space before each KEYWORD or KEYWORD=value"},
      {CommandError::unknown_mail_parameter, "MAIL FROM:<> RET=FULL", false, "555 5.5.4 Unknown MAIL parameter"},
      {CommandError::repeated_mail_parameter, "MAIL FROM:<> SIZE=1 SIZE=1", false,
       "501 5.5.4 MAIL parameter given twice"},
      {CommandError::bad_size, "MAIL FROM:<> SIZE=01", false,
       "501 5.5.4 SIZE needs a decimal number below 2^64 without leading zeros"},
      {CommandError::bad_body, "MAIL FROM:<> BODY=BINARYMIME", false, "501 5.5.4 BODY must be 7BIT or 8BITMIME"},
      {CommandError::bad_smtputf8, "MAIL FROM:<> SMTPUTF8=1", false, "501 5.5.4 SMTPUTF8 takes no value"},
      {CommandError::bad_auth_parameter, "MAIL FROM:<> AUTH=+", false, "501 5.5.4 AUTH= needs <> or an xtext mailbox"},
      {CommandError::rcpt_syntax, "RCPT TO", false, "501 5.5.4 Syntax: RCPT TO:<address>"},
      {CommandError::bad_recipient_address, "RCPT TO:<>", false,
       "553 5.1.3 Bad recipient address: the null address <> is not allowed here"},
      {CommandError::non_ascii_recipient, "RCPT TO:<\xc3\xa9@b.example>", false,
       "553 5.6.7 Non-ASCII recipient address needs MAIL FROM with SMTPUTF8"},
      {CommandError::rcpt_parameter, "RCPT TO:<a@b.example> NOTIFY=NEVER", true,
       "555 5.5.4 RCPT parameters are not supported"},
      {CommandError::data_syntax, "DATA x", false, "501 5.5.4 Syntax: DATA (no argument)"},
      {CommandError::rset_syntax, "RSET x", false, "501 5.5.4 Syntax: RSET (no argument)"},
      {CommandError::quit_syntax, "QUIT x", false, "501 5.5.4 Syntax: QUIT (no argument)"},
      {CommandError::starttls_syntax, "STARTTLS x", false, "501 5.5.4 Syntax: STARTTLS (no argument)"},
      {CommandError::vrfy_syntax, "VRFY", false, "501 5.5.4 Syntax: VRFY address"},
      {CommandError::auth_syntax, "AUTH", false, "501 5.5.4 Syntax: AUTH mechanism [initial-response]"},
      {CommandError::unsupported_auth_mechanism, "AUTH CRAM-MD5", false, "504 5.5.4 Unrecognised authentication type"},
      {CommandError::bad_auth_initial_response, "AUTH PLAIN !", false,
       "501 5.5.2 Cannot decode the initial response as base64"},
  };
}

TEST(SmtpCommand, EveryErrorHasAnInputAndAnExactReply) {
  const std::vector<ErrorExample> examples = error_examples();
  ASSERT_EQ(examples.size(), command_error_table().size());
  std::size_t index = 0;
  for (const CommandErrorEntry& entry : command_error_table()) {
    EXPECT_EQ(static_cast<std::size_t>(entry.error), index) << entry.name;
    const ErrorExample& example = examples[index++];
    ASSERT_EQ(example.error, entry.error) << "examples out of table order at " << entry.name;
    CommandContext context;
    context.smtputf8_transaction = example.smtputf8_transaction;
    const CommandRefusal refusal = refusal_of(example.line, context);
    EXPECT_EQ(refusal.error, entry.error) << entry.name << ": " << testing::PrintToString(example.line);
    EXPECT_EQ(format_reply(refusal), example.reply) << entry.name;
    EXPECT_EQ(describe(entry.error), entry.text);
    EXPECT_EQ(&command_error_entry(entry.error), &entry);
  }
}

TEST(SmtpCommand, ErrorTableIsWellFormed) {
  std::set<std::string_view> names;
  std::set<std::string_view> texts;
  for (const CommandErrorEntry& entry : command_error_table()) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_TRUE(texts.insert(entry.text).second) << "two errors share the text " << entry.text;
    EXPECT_GE(entry.reply_code, 500U) << entry.name << ": every command error is permanent";
    EXPECT_LT(entry.reply_code, 600U) << entry.name;
    // The enhanced code's class matches the reply's: 5.x.y with 5yz.
    ASSERT_EQ(entry.enhanced.size(), 5U) << entry.name;
    EXPECT_EQ(entry.enhanced[0], '5') << entry.name;
    EXPECT_EQ(entry.enhanced[1], '.') << entry.name;
    EXPECT_EQ(entry.enhanced[3], '.') << entry.name;
    EXPECT_FALSE(entry.text.empty());
    for (char c : entry.text) {
      EXPECT_TRUE(c >= 32 && c < 127 && c != '|') << entry.name;  // '|' would split the docs row
    }
  }
  // Every address reason fits in one reply line (RFC 5321 4.5.3.1.5: 512 with CRLF).
  for (int reason = 0; reason <= static_cast<int>(AddressError::at_sign_in_domainless_local_part); ++reason) {
    for (CommandError error :
         {CommandError::bad_hostname, CommandError::bad_sender_address, CommandError::bad_recipient_address}) {
      const std::string reply = format_reply({error, static_cast<AddressError>(reason)});
      EXPECT_LT(reply.size() + 2, 512U) << reply;
      EXPECT_EQ(reply.find_first_of("\r\n"), std::string::npos) << reply;
    }
  }
}

TEST(SmtpCommand, DocumentationListsEveryErrorInTableOrder) {
  std::ifstream in(QCELL_SOURCE_DIR "/docs/smtpd-commands.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  ASSERT_FALSE(doc.empty()) << "docs/smtpd-commands.md is missing";
  std::size_t previous = 0;
  for (const CommandErrorEntry& entry : command_error_table()) {
    const std::string row = "| `" + std::string(entry.name) + "` | " + std::to_string(entry.reply_code) + " | " +
                            std::string(entry.enhanced) + " | " + std::string(entry.text) + " |";
    const std::size_t found = doc.find(row);
    ASSERT_NE(found, std::string::npos) << "docs/smtpd-commands.md lacks the row\n" << row;
    EXPECT_GT(found, previous) << entry.name << " is out of table order in docs/smtpd-commands.md";
    previous = found;
  }
}

}  // namespace
}  // namespace qcell::smtpd
