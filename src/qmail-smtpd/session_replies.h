// session_replies.h — every reply the qmail-smtpd session decides itself
// (those that depend on the session's state, its configuration or the queue),
// in one table: reply code, enhanced status code (RFC 3463; RFC 2034 leaves
// them out of the greeting and of the EHLO/HELO answer) and text. The
// command parser's refusals are in command.h, the DATA decoder's in
// data_stream.h, AUTH decoding's in sasl.h. docs/smtpd-replies.md is
// tested against this table.
//
// Texts are constants; where a reply carries a value (the host name, a
// limit, a queue id), its text holds one '%' that format_reply() replaces,
// and the session passes only values it has checked (control values,
// numbers). Replies to a failed injection come from the queue's exit code
// (queue_reply() in session.h), not from this table.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qcell::smtpd {

enum class SessionReply : std::uint8_t {
  helo_first,            // MAIL, RCPT, DATA, AUTH or STARTTLS before EHLO/HELO
  nested_mail,           // MAIL while a transaction is open
  mail_first,            // RCPT or DATA before MAIL
  no_recipients,         // DATA when no RCPT was accepted
  size_too_big,          // MAIL SIZE= above databytes (the limit follows)
  bad_mail_from,         // the sender matches control/badmailfrom
  relay_denied,          // a recipient domain outside rcpthosts, and the client may not relay
  too_many_recipients,   // past limits::recipients_per_message
  controls_unreadable,   // morercpthosts.cdb could not be read: try later
  mail_ok,               // MAIL accepted
  rcpt_ok,               // RCPT accepted
  data_go,               // DATA: send the message
  queued,                // the message is on disk (the queue id follows)
  ok,                    // RSET, NOOP
  vrfy,                  // VRFY: never looked up
  help,                  // HELP
  quit,                  // QUIT (the host name follows)
  tls_go,                // STARTTLS: start the handshake
  tls_unavailable,       // STARTTLS without a certificate configured
  tls_active,            // STARTTLS inside TLS
  auth_needs_tls,        // AUTH before STARTTLS
  auth_unavailable,      // AUTH without control/smtpsecrets
  auth_done,             // AUTH after a successful AUTH
  auth_in_transaction,   // AUTH during a mail transaction
  auth_ok,               // AUTH succeeded
  auth_failed,           // wrong user name or password
  auth_temporary,        // the secrets could not be checked now
  auth_not_permitted,    // PLAIN with an authzid other than the user itself
  auth_too_many,         // too many failed AUTH attempts: the connection closes
  bare_lf,               // a command line ended with LF alone: the connection closes
  bare_cr,               // a CR not followed by LF in a command line: the connection closes
  too_many_errors,       // limits::smtp_errors_per_connection reached: the connection closes
  timeout,               // no line within timeoutsmtpd: the connection closes
  shutting_down,         // the cell was told to stop: the connection closes
};

struct SessionReplyEntry {
  SessionReply reply;
  std::uint16_t code;
  std::string_view name;      // the enumerator's name, for docs and logs
  std::string_view enhanced;  // empty only where RFC 2034 has none
  std::string_view text;
  bool closes;                // the session closes the connection after it
};

std::span<const SessionReplyEntry> session_reply_table() noexcept;
const SessionReplyEntry& session_reply_entry(SessionReply reply) noexcept;

// "<code> <enhanced> <text>" with the text's '%' replaced by `detail`
// (texts without '%' ignore it). No CRLF.
std::string format_reply(SessionReply reply, std::string_view detail = {});

}  // namespace qcell::smtpd
