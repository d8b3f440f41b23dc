// session.cc — the receiver's states and replies. See session.h for what it
// trusts; docs/smtpd.md for the decisions (HELO required before MAIL,
// which refusals count towards the error limit, pipelining).
#include "qmail-smtpd/session.h"

#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "core/log_line.h"
#include "qmail-smtpd/received.h"
#include "qmail-smtpd/sasl.h"
#include "qmail-smtpd/session_replies.h"

namespace qcell::smtpd {

namespace {

constexpr std::string_view login_user_prompt = "334 VXNlcm5hbWU6";      // "Username:"
constexpr std::string_view login_password_prompt = "334 UGFzc3dvcmQ6";  // "Password:"
// The longest log value kept from a client's address.
constexpr std::size_t log_address_max = 256;

bool starts_with_auth(std::string_view line) {
  if (line.size() < 5) return false;
  static constexpr std::string_view auth = "AUTH ";
  for (std::size_t i = 0; i < auth.size(); ++i) {
    char c = line[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != auth[i]) return false;
  }
  return true;
}

// Wipes a secret before its memory is released.
void wipe(std::string& secret) {
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
  secret.clear();
}

// qmail-smtpd replaces the client's literal for this host's address with
// control/localiphost, so that user@[ip] is delivered locally.
void rewrite_local_literal(Path& path, const ClientInfo& client, const std::string& local_ip_host) {
  if (client.local_ip.empty() || path.domain.size() < 3) return;
  const std::string& domain = path.domain;
  if (domain == "[" + client.local_ip + "]" || domain == "[IPv6:" + client.local_ip + "]") {
    path.domain = local_ip_host;
  }
}

}  // namespace

std::string queue_reply(const QueueVerdict& verdict) {
  std::string_view text = verdict.reply;
  std::string enhanced = verdict.permanent ? "5.3.0" : "4.3.0";
  const std::size_t mark = text.rfind(" (#");
  if (mark != std::string_view::npos && text.back() == ')') {
    enhanced = std::string(text.substr(mark + 3, text.size() - mark - 4));
    text = text.substr(0, mark);
  }
  // qmail's texts name the class as 4.x.x or 5.x.x; the reply code follows it.
  const bool permanent = verdict.permanent;
  if (!enhanced.empty()) enhanced[0] = permanent ? '5' : '4';
  return std::string(permanent ? "554 " : "451 ") + enhanced + " " + std::string(text);
}

Session::Session(const SessionConfig& config, ClientInfo client, MessageQueue& queue, Authenticator* auth)
    : config_(config), client_(std::move(client)), queue_(queue), auth_(auth) {}

Session::~Session() {
  if (injection_) injection_->abort();
  wipe(login_user_);
}

void Session::greet() { reply("220 " + config_.greeting + " ESMTP"); }

void Session::reply(std::string line) {
  output_.append(line);
  output_.append("\r\n");
}

void Session::reply(SessionReply which, std::string_view detail) { reply(format_reply(which, detail)); }

SessionAction Session::refuse(std::string text, std::string_view why) {
  log_.push_back("refused reply=" + log_value(text, 200) + " why=" + std::string(why));
  reply(std::move(text));
  if (++errors_ >= config_.max_errors) return close_with(SessionReply::too_many_errors);
  return SessionAction::proceed;
}

SessionAction Session::refuse(SessionReply which, std::string_view detail) {
  return refuse(format_reply(which, detail), session_reply_entry(which).name);
}

SessionAction Session::close_with(SessionReply which, std::string_view detail) {
  reply(which, detail);
  log_.push_back("close reason=" + std::string(session_reply_entry(which).name) +
                 " messages=" + std::to_string(accepted_));
  if (injection_) injection_->abort();
  injection_.reset();
  decoder_.reset();
  mode_ = Mode::closed;
  return SessionAction::close;
}

void Session::reset_transaction() {
  if (injection_) injection_->abort();
  injection_.reset();
  decoder_.reset();
  mail_.reset();
  recipients_.clear();
}

std::size_t Session::line_limit() const noexcept {
  const bool auth = mode_ == Mode::auth_plain || mode_ == Mode::auth_login_user ||
                    mode_ == Mode::auth_login_password || starts_with_auth(line_);
  return (auth ? limits::smtp_auth_line : limits::smtp_command_line) - 2;
}

SessionAction Session::feed(std::string_view input) {
  return feed(std::span<const std::byte>(reinterpret_cast<const std::byte*>(input.data()), input.size()));
}

SessionAction Session::feed(std::span<const std::byte> input) {
  std::size_t at = 0;
  while (at < input.size()) {
    if (mode_ == Mode::closed) return SessionAction::close;
    if (mode_ == Mode::data) {
      const FeedResult result = decoder_->feed(input.subspan(at), *injection_);
      at += result.consumed;
      if (result.state == DataState::more) break;
      const SessionAction action = data_ended(result);
      if (action != SessionAction::proceed) return action;
      continue;
    }
    if (line_cr_) {
      if (input[at] != std::byte{'\n'}) return close_with(SessionReply::bare_cr);
      line_cr_ = false;
      ++at;
      std::string line = std::move(line_);
      line_.clear();
      const SessionAction action = handle_line(line);
      wipe(line);  // it may have held an AUTH secret
      if (action != SessionAction::proceed) return action;
      continue;
    }
    // The verb decides the limit: take up to five bytes before checking it.
    std::size_t end = at;
    while (end < input.size() && input[end] != std::byte{'\r'} && input[end] != std::byte{'\n'}) ++end;
    std::size_t take = end - at;
    if (line_.size() < 5) {
      const std::size_t head = std::min<std::size_t>(take, 5 - line_.size());
      line_.append(reinterpret_cast<const char*>(input.data() + at), head);
      at += head;
      take -= head;
    }
    if (line_.size() + take > line_limit()) {
      const bool auth = line_limit() > limits::smtp_command_line;
      line_.clear();
      const CommandRefusal refusal{auth ? CommandError::auth_line_too_long : CommandError::line_too_long, {}};
      reply(format_reply(refusal));
      log_.push_back("close reason=" + std::string(command_error_entry(refusal.error).name) +
                     " messages=" + std::to_string(accepted_));
      if (injection_) injection_->abort();
      injection_.reset();
      mode_ = Mode::closed;
      return SessionAction::close;
    }
    line_.append(reinterpret_cast<const char*>(input.data() + at), take);
    at = end;
    if (at == input.size()) break;
    if (input[at] == std::byte{'\n'}) return close_with(SessionReply::bare_lf);
    line_cr_ = true;  // a CR: the line ends if LF follows
    ++at;
  }
  return mode_ == Mode::closed ? SessionAction::close : SessionAction::proceed;
}

SessionAction Session::handle_line(std::string_view line) {
  switch (mode_) {
    case Mode::auth_plain:
    case Mode::auth_login_user:
    case Mode::auth_login_password: return on_auth_response(line);
    default: break;
  }
  CommandContext context;
  context.smtputf8_transaction = mail_ && mail_->smtputf8;
  auto command = parse_command(line, context);
  if (!command) {
    return refuse(format_reply(command.error()), command_error_entry(command.error().error).name);
  }
  return handle_command(*command);
}

SessionAction Session::handle_command(const Command& command) {
  if (const auto* ehlo = std::get_if<Ehlo>(&command)) return on_ehlo(ehlo->hostname, true);
  if (const auto* helo = std::get_if<Helo>(&command)) return on_ehlo(helo->hostname, false);
  if (const auto* mail = std::get_if<Mail>(&command)) return on_mail(*mail);
  if (const auto* rcpt = std::get_if<Rcpt>(&command)) return on_rcpt(*rcpt);
  if (std::holds_alternative<Data>(command)) return on_data();
  if (std::holds_alternative<StartTls>(command)) return on_starttls();
  if (const auto* auth = std::get_if<Auth>(&command)) return on_auth(*auth);
  if (std::holds_alternative<Rset>(command)) {
    reset_transaction();
    reply(SessionReply::ok);
  } else if (std::holds_alternative<Noop>(command)) {
    reply(SessionReply::ok);
  } else if (std::holds_alternative<Vrfy>(command)) {
    reply(SessionReply::vrfy);
  } else if (std::holds_alternative<Help>(command)) {
    reply(SessionReply::help);
  } else if (std::holds_alternative<Quit>(command)) {
    return close_with(SessionReply::quit, config_.me);
  }
  return SessionAction::proceed;
}

SessionAction Session::on_ehlo(std::string_view hostname, bool esmtp) {
  reset_transaction();
  helo_ = std::string(hostname);
  esmtp_ = esmtp;
  if (!esmtp) {
    reply("250 " + config_.me);
    return SessionAction::proceed;
  }
  std::vector<std::string> lines = {config_.me, "PIPELINING", "8BITMIME", "SIZE " + std::to_string(config_.databytes),
                                    "ENHANCEDSTATUSCODES"};
  if (config_.tls_offered && !tls_) lines.emplace_back("STARTTLS");
  if (config_.auth_offered && tls_) lines.emplace_back("AUTH PLAIN LOGIN");
  lines.emplace_back("SMTPUTF8");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    reply((i + 1 < lines.size() ? "250-" : "250 ") + lines[i]);
  }
  return SessionAction::proceed;
}

SessionAction Session::on_mail(const Mail& mail) {
  if (!helo_) return refuse(SessionReply::helo_first);
  if (mail_) return refuse(SessionReply::nested_mail);
  if (mail.size && *mail.size > config_.databytes) {
    return refuse(SessionReply::size_too_big, std::to_string(config_.databytes));
  }
  Mail accepted = mail;
  rewrite_local_literal(accepted.reverse_path, client_, config_.local_ip_host);
  if (config_.badmailfrom.refuses(accepted.reverse_path.envelope())) {
    log_.push_back("refused why=bad_mail_from from=" + log_value(accepted.reverse_path.envelope(), log_address_max));
    return refuse(SessionReply::bad_mail_from);
  }
  mail_ = std::move(accepted);
  reply(SessionReply::mail_ok);
  return SessionAction::proceed;
}

SessionAction Session::on_rcpt(const Rcpt& rcpt) {
  if (!helo_) return refuse(SessionReply::helo_first);
  if (!mail_) return refuse(SessionReply::mail_first);
  if (recipients_.size() >= config_.max_recipients) {
    reply(SessionReply::too_many_recipients);
    return SessionAction::proceed;
  }
  Path path = rcpt.forward_path;
  rewrite_local_literal(path, client_, config_.local_ip_host);
  const bool may_relay = client_.relay_client.has_value() || auth_user_.has_value();
  if (!may_relay) {
    const std::optional<bool> accepted = config_.rcpthosts.accepts(path.domain);
    if (!accepted) {
      log_.push_back("control-error file=morercpthosts.cdb");
      reply(SessionReply::controls_unreadable);
      return SessionAction::proceed;
    }
    if (!*accepted) {
      log_.push_back("refused why=relay_denied to=" + log_value(path.envelope(), log_address_max) +
                     " remote=" + log_value(client_.remote_ip, 64));
      return refuse(SessionReply::relay_denied);
    }
  }
  std::string address = path.envelope();
  if (client_.relay_client) address += *client_.relay_client;
  recipients_.push_back(std::move(address));
  reply(SessionReply::rcpt_ok);
  return SessionAction::proceed;
}

SessionAction Session::on_data() {
  if (!helo_) return refuse(SessionReply::helo_first);
  if (!mail_) return refuse(SessionReply::mail_first);
  if (recipients_.empty()) return refuse(SessionReply::no_recipients);
  auto opened = queue_.open();
  if (!opened) {
    QueueOutcome outcome;
    outcome.exit_code = opened.error();
    const std::string text = queue_reply(judge(outcome));
    log_.push_back("queue-failed status=" + std::to_string(opened.error()) + " reply=" + log_value(text, 200));
    reply(text);
    reset_transaction();
    return SessionAction::proceed;
  }
  injection_ = std::move(opened.value());
  ReceivedFacts facts;
  facts.helo = *helo_;
  facts.esmtp = esmtp_;
  facts.remote_ip = client_.remote_ip;
  facts.remote_host = client_.remote_host;
  facts.me = config_.me;
  if (tls_) {
    facts.tls_version = tls_->version;
    facts.tls_cipher = tls_->cipher;
  }
  if (auth_user_) facts.auth_user = *auth_user_;
  facts.smtputf8 = mail_->smtputf8;
  facts.now = config_.clock != nullptr ? config_.clock() : std::time(nullptr);
  const std::string received = received_header(facts);
  injection_->write(std::span<const std::byte>(reinterpret_cast<const std::byte*>(received.data()), received.size()));
  decoder_ = std::make_unique<DataDecoder>(DataLimits{config_.databytes});
  mode_ = Mode::data;
  reply(SessionReply::data_go);
  return SessionAction::proceed;
}

SessionAction Session::data_ended(const FeedResult& result) {
  mode_ = Mode::command;
  const std::uint64_t bytes = decoder_->message_bytes();
  if (result.state == DataState::failed) {
    const DataError error = result.error.value_or(DataError::nul);
    reply(format_reply(error, config_.databytes));
    log_.push_back("close reason=" + std::string(data_error_name(error)) + " messages=" + std::to_string(accepted_));
    if (injection_) injection_->abort();
    injection_.reset();
    decoder_.reset();
    mode_ = Mode::closed;
    return SessionAction::close;
  }
  if (result.error == DataError::too_big) {
    reply(format_reply(DataError::too_big, config_.databytes));
    log_.push_back("refused why=too_big bytes=" + std::to_string(bytes) +
                   " limit=" + std::to_string(config_.databytes));
    reset_transaction();
    return SessionAction::proceed;
  }
  QueueEnvelope envelope;
  envelope.sender = mail_->reverse_path.envelope();
  envelope.recipients = recipients_;
  const QueueOutcome outcome = injection_->finish(envelope);
  const QueueVerdict verdict = judge(outcome);
  const std::string id = injection_->id();
  injection_.reset();
  if (verdict.ok) {
    ++accepted_;
    reply(SessionReply::queued, id);
    log_.push_back("accepted id=" + log_value(id, 32) + " from=" + log_value(envelope.sender, log_address_max) +
                   " rcpts=" + std::to_string(envelope.recipients.size()) + " bytes=" + std::to_string(bytes) +
                   (tls_ ? " tls=" + tls_->version : std::string()) +
                   (auth_user_ ? " auth=" + log_value(*auth_user_, 64) : std::string()));
  } else {
    const std::string text = queue_reply(verdict);
    reply(text);
    log_.push_back("queue-failed id=" + log_value(id, 32) + " status=" + std::to_string(outcome.exit_code) +
                   " reply=" + log_value(text, 200));
  }
  reset_transaction();
  return SessionAction::proceed;
}

SessionAction Session::on_starttls() {
  if (!config_.tls_offered) return refuse(SessionReply::tls_unavailable);
  if (tls_) return refuse(SessionReply::tls_active);
  reply(SessionReply::tls_go);
  line_.clear();
  line_cr_ = false;
  reset_transaction();
  return SessionAction::start_tls;
}

void Session::tls_started(TlsInfo info) {
  log_.push_back("tls version=" + log_value(info.version, 32) + " cipher=" + log_value(info.cipher, 64));
  tls_ = std::move(info);
  helo_.reset();
  esmtp_ = false;
  auth_user_.reset();
  reset_transaction();
  line_.clear();
  line_cr_ = false;
  mode_ = Mode::command;
}

SessionAction Session::on_auth(const Auth& auth) {
  if (!helo_) return refuse(SessionReply::helo_first);
  if (!config_.auth_offered || auth_ == nullptr) return refuse(SessionReply::auth_unavailable);
  if (!tls_) return refuse(SessionReply::auth_needs_tls);
  if (auth_user_) return refuse(SessionReply::auth_done);
  if (mail_) return refuse(SessionReply::auth_in_transaction);
  if (auth.mechanism == AuthMechanism::plain) {
    mode_ = Mode::auth_plain;
    if (!auth.initial_response) {
      reply("334 ");
      return SessionAction::proceed;
    }
    return on_auth_response(*auth.initial_response);
  }
  if (!auth.initial_response) {
    mode_ = Mode::auth_login_user;
    reply(std::string(login_user_prompt));
    return SessionAction::proceed;
  }
  mode_ = Mode::auth_login_user;
  return on_auth_response(*auth.initial_response);
}

SessionAction Session::on_auth_response(std::string_view line) {
  const Mode step = mode_;
  mode_ = Mode::command;
  const std::size_t max = step == Mode::auth_plain ? sasl_plain_message : sasl_identity;
  auto decoded = decode_response(line, max);
  if (!decoded) {
    wipe(login_user_);
    const SaslError error = decoded.error();
    reply(format_reply(error));
    log_.push_back("auth result=" + std::string(sasl_error_name(error)));
    if (error != SaslError::cancelled && ++auth_failures_ >= config_.max_auth_failures) {
      return close_with(SessionReply::auth_too_many);
    }
    return SessionAction::proceed;
  }
  std::string secret = std::move(decoded.value());
  SessionAction action = SessionAction::proceed;
  if (step == Mode::auth_plain) {
    auto credentials = parse_plain(std::span<const std::byte>(reinterpret_cast<const std::byte*>(secret.data()),
                                                              secret.size()));
    if (!credentials) {
      reply(format_reply(credentials.error()));
      log_.push_back("auth result=" + std::string(sasl_error_name(credentials.error())));
      if (++auth_failures_ >= config_.max_auth_failures) action = close_with(SessionReply::auth_too_many);
    } else {
      action = check_credentials(credentials->authzid, credentials->authcid, credentials->password);
      wipe(credentials->password);
    }
  } else if (step == Mode::auth_login_user) {
    if (secret.empty()) {
      reply(format_reply(SaslError::empty_identity));
      if (++auth_failures_ >= config_.max_auth_failures) action = close_with(SessionReply::auth_too_many);
    } else {
      login_user_ = secret;
      mode_ = Mode::auth_login_password;
      reply(std::string(login_password_prompt));
    }
  } else {
    if (secret.empty()) {
      reply(format_reply(SaslError::empty_identity));
      if (++auth_failures_ >= config_.max_auth_failures) action = close_with(SessionReply::auth_too_many);
    } else {
      action = check_credentials({}, login_user_, secret);
    }
    wipe(login_user_);
  }
  wipe(secret);
  return action;
}

SessionAction Session::check_credentials(std::string_view authzid, std::string_view user, std::string_view password) {
  if (!authzid.empty() && authzid != user) {
    log_.push_back("auth result=not_permitted user=" + log_value(user, 64));
    reply(SessionReply::auth_not_permitted);
    if (++auth_failures_ >= config_.max_auth_failures) return close_with(SessionReply::auth_too_many);
    return SessionAction::proceed;
  }
  switch (auth_->verify(user, password)) {
    case AuthVerdict::ok:
      auth_user_ = std::string(user);
      log_.push_back("auth result=ok user=" + log_value(user, 64));
      reply(SessionReply::auth_ok);
      return SessionAction::proceed;
    case AuthVerdict::temporary:
      log_.push_back("auth result=temporary user=" + log_value(user, 64));
      reply(SessionReply::auth_temporary);
      return SessionAction::proceed;
    case AuthVerdict::bad_credentials: break;
  }
  log_.push_back("auth result=failed user=" + log_value(user, 64));
  if (++auth_failures_ >= config_.max_auth_failures) return close_with(SessionReply::auth_too_many);
  reply(SessionReply::auth_failed);
  return SessionAction::proceed;
}

void Session::end_of_input() {
  if (mode_ == Mode::closed) return;
  log_.push_back("close reason=end_of_input messages=" + std::to_string(accepted_));
  reset_transaction();
  mode_ = Mode::closed;
}

void Session::timed_out() {
  if (mode_ != Mode::closed) (void)close_with(SessionReply::timeout);
}

void Session::shutting_down() {
  if (mode_ != Mode::closed) (void)close_with(SessionReply::shutting_down);
}

}  // namespace qcell::smtpd
