// session.h — the qmail-smtpd receiver as a state machine: fed the bytes
// the client sent, it answers with the bytes to send back, and hands each
// accepted message to a queue. It owns no socket, no file and no clock of
// its own, so the unit tests and the fuzz harness (fuzz/smtp_session.cc)
// drive the whole receiver from byte buffers; main.cc only moves bytes
// between it and the connection (or TLS).
//
// Every input byte is hostile. Lines are split at CR LF only: a bare LF or a
// bare CR in a command is refused and the connection closed (as in DATA,
// data_stream.h), so no byte sequence can be read as two different commands
// by two programs. A command line is held only up to its limit
// (limits::smtp_command_line, limits::smtp_auth_line for AUTH); past it the
// session replies and closes without reading the rest. Pipelined commands
// are answered in order (RFC 2920); after STARTTLS's 220 every byte already
// received is discarded (CVE-2011-0411). Replies: session_replies.h,
// command.h, data_stream.h, sasl.h; docs/smtpd-replies.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/queue_client.h"
#include "core/result.h"
#include "qmail-smtpd/command.h"
#include "qmail-smtpd/data_stream.h"
#include "qmail-smtpd/relay.h"
#include "qmail-smtpd/session_replies.h"

namespace qcell::smtpd {

// What the session knows about the connection: from the broker (or from
// tcpserver) through the environment.
struct ClientInfo {
  std::string remote_ip;    // TCPREMOTEIP
  std::string remote_host;  // TCPREMOTEHOST; empty when not looked up
  std::string local_ip;     // TCPLOCALIP
  // RELAYCLIENT: when set (even empty) the client may relay, and its value
  // is appended to every recipient address, as in qmail.
  std::optional<std::string> relay_client;
};

// Control values, resolved by the caller (control.h's defaults applied).
struct SessionConfig {
  std::string me;             // control/me
  std::string greeting;       // control/smtpgreeting (default: me)
  std::string local_ip_host;  // control/localiphost (default: me)
  std::uint64_t databytes = limits::message_size_default;
  RecipientHosts rcpthosts;
  BadMailFrom badmailfrom;
  bool tls_offered = false;   // a certificate and key are configured
  bool auth_offered = false;  // control/smtpsecrets is configured (AUTH inside TLS only)
  std::size_t max_recipients = limits::recipients_per_message;
  std::size_t max_errors = limits::smtp_errors_per_connection;
  std::size_t max_auth_failures = limits::smtp_auth_failures;
  std::time_t (*clock)() = nullptr;  // for the Received: date; nullptr: time(nullptr)
};

// One injection into the queue, opened at DATA. The session writes the
// Received: field and the decoded message through DataSink::write, then
// either finishes (with the envelope) or aborts.
class Injection : public DataSink {
 public:
  // Sends the envelope and waits for qmail-queue's verdict: its exit code,
  // or how it failed (the same mapping as qmail's qmail_close()).
  virtual QueueOutcome finish(const QueueEnvelope& envelope) = 0;
  // Gives up: nothing is queued.
  virtual void abort() noexcept = 0;
  // The queue's id for the injection, for the 250 reply and the log.
  virtual std::string id() const = 0;
};

class MessageQueue {
 public:
  virtual ~MessageQueue() = default;
  // Starts an injection, or gives the qmail-queue exit code that explains
  // why none could be started (71: the broker is busy; 56: unreachable, ...).
  virtual Result<std::unique_ptr<Injection>, int> open() = 0;
};

enum class AuthVerdict : std::uint8_t { ok, bad_credentials, temporary };

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual AuthVerdict verify(std::string_view user, std::string_view password) = 0;
};

struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

// What the driver does after feed().
enum class SessionAction : std::uint8_t {
  proceed,    // send output(), then read more
  start_tls,  // send output() in clear, then run the TLS handshake and call tls_started()
  close,      // send output(), then close the connection
};

// The reply for a qmail-queue verdict: 451 for a temporary failure, 554 for
// a permanent one, the enhanced code from the text's "(#x.y.z)".
std::string queue_reply(const QueueVerdict& verdict);

class Session {
 public:
  // `auth` may be null when config.auth_offered is false.
  Session(const SessionConfig& config, ClientInfo client, MessageQueue& queue, Authenticator* auth);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The 220 greeting.
  void greet();
  // Consumes all of `input`. Stops early only to close or to start TLS (the
  // rest of the input is then discarded).
  SessionAction feed(std::span<const std::byte> input);
  SessionAction feed(std::string_view input);
  // The client's bytes ended (EOF): an open injection is aborted.
  void end_of_input();
  // The TLS handshake succeeded: a fresh SMTP session inside it (RFC 3207).
  void tls_started(TlsInfo info);
  // No bytes came within timeoutsmtpd, or the cell must stop: 421 and close.
  void timed_out();
  void shutting_down();

  // Replies not yet sent; the driver sends and clears them.
  std::string& output() noexcept { return output_; }
  // Log lines not yet written (one event each, no newline).
  std::vector<std::string>& log() noexcept { return log_; }

  bool closed() const noexcept { return mode_ == Mode::closed; }
  bool in_tls() const noexcept { return tls_.has_value(); }
  std::size_t messages_accepted() const noexcept { return accepted_; }

 private:
  enum class Mode : std::uint8_t { command, data, auth_plain, auth_login_user, auth_login_password, closed };

  SessionAction handle_line(std::string_view line);
  SessionAction handle_command(const Command& command);
  SessionAction on_ehlo(std::string_view hostname, bool esmtp);
  SessionAction on_mail(const Mail& mail);
  SessionAction on_rcpt(const Rcpt& rcpt);
  SessionAction on_data();
  SessionAction on_starttls();
  SessionAction on_auth(const Auth& auth);
  SessionAction on_auth_response(std::string_view line);
  SessionAction check_credentials(std::string_view authzid, std::string_view user, std::string_view password);
  SessionAction data_ended(const FeedResult& result);
  SessionAction refuse(std::string reply, std::string_view why);
  SessionAction refuse(SessionReply reply, std::string_view detail = {});
  SessionAction close_with(SessionReply reply, std::string_view detail = {});
  void reply(std::string line);
  void reply(SessionReply reply, std::string_view detail = {});
  void reset_transaction();
  std::size_t line_limit() const noexcept;

  const SessionConfig& config_;
  ClientInfo client_;
  MessageQueue& queue_;
  Authenticator* auth_;

  Mode mode_ = Mode::command;
  std::string line_;        // the command line being received, at most line_limit() bytes
  bool line_cr_ = false;    // the last byte received was a CR (the line's end, if LF follows)
  std::optional<std::string> helo_;
  bool esmtp_ = false;
  std::optional<TlsInfo> tls_;
  std::optional<std::string> auth_user_;
  std::string login_user_;  // AUTH LOGIN: the user name, until the password comes
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  std::size_t accepted_ = 0;

  // The open transaction.
  std::optional<Mail> mail_;
  std::vector<std::string> recipients_;
  std::unique_ptr<Injection> injection_;
  std::unique_ptr<DataDecoder> decoder_;
  std::string output_;
  std::vector<std::string> log_;
};

}  // namespace qcell::smtpd
