// session_replies.cc — the table of the session's own replies.
#include "qmail-smtpd/session_replies.h"

#include <iterator>

#include "core/enum_table.h"

namespace qcell::smtpd {

namespace {

using R = SessionReply;

constexpr SessionReplyEntry table[] = {
    {R::helo_first, 503, "helo_first", "5.5.1", "Send EHLO or HELO first", false},
    {R::nested_mail, 503, "nested_mail", "5.5.1", "Sender already given: send RSET to start again", false},
    {R::mail_first, 503, "mail_first", "5.5.1", "Send MAIL first", false},
    {R::no_recipients, 554, "no_recipients", "5.5.1", "No valid recipients", false},
    {R::size_too_big, 552, "size_too_big", "5.3.4", "Message size exceeds the limit of % bytes", false},
    {R::bad_mail_from, 553, "bad_mail_from", "5.7.1", "Sorry, your envelope sender is in my badmailfrom list", false},
    {R::relay_denied, 553, "relay_denied", "5.7.1", "Sorry, that domain isn't in my list of allowed rcpthosts",
     false},
    {R::too_many_recipients, 452, "too_many_recipients", "4.5.3", "Too many recipients for one message", false},
    {R::controls_unreadable, 451, "controls_unreadable", "4.3.0", "Unable to read controls, try again later", false},
    {R::mail_ok, 250, "mail_ok", "2.1.0", "Sender ok", false},
    {R::rcpt_ok, 250, "rcpt_ok", "2.1.5", "Recipient ok", false},
    {R::data_go, 354, "data_go", "", "End data with <CR><LF>.<CR><LF>", false},
    {R::queued, 250, "queued", "2.0.0", "Ok: queued as %", false},
    {R::ok, 250, "ok", "2.0.0", "Ok", false},
    {R::vrfy, 252, "vrfy", "2.5.0", "Cannot VRFY user, but will accept the message and attempt delivery", false},
    {R::help, 214, "help", "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
     false},
    {R::quit, 221, "quit", "2.0.0", "% closing connection", true},
    {R::tls_go, 220, "tls_go", "2.0.0", "Ready to start TLS", false},
    {R::tls_unavailable, 454, "tls_unavailable", "4.7.0", "TLS not available: no certificate is configured", false},
    {R::tls_active, 503, "tls_active", "5.5.1", "TLS is already active", false},
    {R::auth_needs_tls, 538, "auth_needs_tls", "5.7.11", "Encryption required: send STARTTLS before AUTH", false},
    {R::auth_unavailable, 502, "auth_unavailable", "5.5.1", "AUTH not available: no secrets are configured", false},
    {R::auth_done, 503, "auth_done", "5.5.1", "Already authenticated", false},
    {R::auth_in_transaction, 503, "auth_in_transaction", "5.5.1", "AUTH is not allowed during a mail transaction",
     false},
    {R::auth_ok, 235, "auth_ok", "2.7.0", "Authentication successful", false},
    {R::auth_failed, 535, "auth_failed", "5.7.8", "Authentication credentials invalid", false},
    {R::auth_temporary, 454, "auth_temporary", "4.7.0", "Temporary authentication failure, try again later", false},
    {R::auth_not_permitted, 535, "auth_not_permitted", "5.7.8",
     "Authentication credentials invalid: acting as another user is not allowed", false},
    {R::auth_too_many, 421, "auth_too_many", "4.7.0", "Too many failed authentication attempts, closing connection",
     true},
    {R::bare_lf, 500, "bare_lf", "5.5.2", "Bare LF in command: lines must end with CR LF, closing connection", true},
    {R::bare_cr, 500, "bare_cr", "5.5.2", "Bare CR in command: lines must end with CR LF, closing connection", true},
    {R::too_many_errors, 421, "too_many_errors", "4.7.0", "Too many errors, closing connection", true},
    {R::timeout, 421, "timeout", "4.4.2", "Timeout waiting for the client, closing connection", true},
    {R::shutting_down, 421, "shutting_down", "4.3.2", "Service shutting down, closing connection", true},
};

static_assert(in_enum_order(table, &SessionReplyEntry::reply));
static_assert(std::size(table) == static_cast<std::size_t>(SessionReply::shutting_down) + 1);

}  // namespace

std::span<const SessionReplyEntry> session_reply_table() noexcept { return table; }

const SessionReplyEntry& session_reply_entry(SessionReply reply) noexcept {
  return table[static_cast<std::size_t>(reply)];
}

std::string format_reply(SessionReply reply, std::string_view detail) {
  const SessionReplyEntry& entry = session_reply_entry(reply);
  std::string line = std::to_string(entry.code);
  line.push_back(' ');
  if (!entry.enhanced.empty()) {
    line.append(entry.enhanced);
    line.push_back(' ');
  }
  const std::size_t mark = entry.text.find('%');
  if (mark == std::string_view::npos) {
    line.append(entry.text);
  } else {
    line.append(entry.text.substr(0, mark));
    line.append(detail);
    line.append(entry.text.substr(mark + 1));
  }
  return line;
}

}  // namespace qcell::smtpd
