// smtp_client.cc — the SMTP dialogue of one delivery attempt (smtp_client.h).
#include "qmail-remote/smtp_client.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/fd.h"
#include "qmail-remote/data_encoder.h"
#include "qmail-remote/smtp_reply.h"

namespace qcell::remote {

namespace {

using tls::Deadline;
using SteadyClock = std::chrono::steady_clock;

// How much of the message is read (and encoded) per round.
constexpr std::size_t chunk_size = 64 * 1024;

int milliseconds_left(Deadline deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

// Waits for `events` on `fd`; false when the deadline passed.
bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    const int left = milliseconds_left(deadline);
    if (left == 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, left);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // the next call reports the error
  }
}

enum class LinkErrc : std::uint8_t { timeout, closed, failed, malformed };

struct LinkError {
  LinkErrc kind = LinkErrc::failed;
  std::string text;
};

// The connection, plaintext or inside TLS, with the bytes read but not
// yet taken by a reply.
class Link {
 public:
  explicit Link(UniqueFd fd) : fd_(std::move(fd)) {}

  int fd() const { return fd_.get(); }
  bool encrypted() const { return tls_.has_value(); }
  const tls::TlsConnection* tls() const { return tls_ ? &*tls_ : nullptr; }

  Result<SmtpReply, LinkError> reply(Deadline deadline) {
    for (int rounds = 0; rounds < 1000000; ++rounds) {
      ReplyParse parsed = parse_smtp_reply(buffer_);
      if (parsed.status == ReplyParse::Status::complete) {
        buffer_.erase(0, parsed.consumed);
        return std::move(parsed.reply);
      }
      if (parsed.status == ReplyParse::Status::malformed) {
        return fail(LinkError{LinkErrc::malformed, "its reply is not SMTP: " + std::string(describe(parsed.error))});
      }
      std::array<char, 4096> chunk{};
      auto got = read_some(chunk.data(), chunk.size(), deadline);
      if (!got) return fail(got.error());
      buffer_.append(chunk.data(), *got);
    }
    return fail(LinkError{LinkErrc::failed, "too many reads for one reply"});
  }

  Status<LinkError> send(std::string_view bytes, Deadline deadline) {
    if (tls_) {
      auto written = tls_->write_all(std::as_bytes(std::span(bytes.data(), bytes.size())), deadline);
      if (!written) return fail(tls_failure(written.error()));
      return {};
    }
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait_for(fd_.get(), POLLOUT, deadline)) return fail(LinkError{LinkErrc::timeout, "timed out while sending"});
        continue;
      }
      return fail(LinkError{LinkErrc::closed, std::string("connection lost while sending: ") + ::strerror(errno)});
    }
    return {};
  }

  // STARTTLS after its 220: bytes the server sent beyond that reply would
  // have been sent in plaintext and are dropped (CVE-2011-0411's mirror).
  Status<tls::TlsError> start_tls(const tls::TlsContext& context, std::string_view name, bool verify,
                                  Deadline deadline) {
    buffer_.clear();
    auto connection = tls::TlsConnection::connect(context, fd_.get(), name, verify, deadline);
    if (!connection) return fail(connection.error());
    tls_.emplace(std::move(connection.value()));
    return {};
  }

  void close(Deadline deadline) {
    if (tls_) tls_->shutdown(deadline);
  }

 private:
  static LinkError tls_failure(const tls::TlsError& error) {
    if (error.kind == tls::TlsErrc::timeout) return LinkError{LinkErrc::timeout, error.text};
    return LinkError{LinkErrc::closed, error.text};
  }

  Result<std::size_t, LinkError> read_some(char* data, std::size_t size, Deadline deadline) {
    if (tls_) {
      auto got = tls_->read(std::as_writable_bytes(std::span(data, size)), deadline);
      if (!got) return fail(tls_failure(got.error()));
      if (*got == 0) return fail(LinkError{LinkErrc::closed, "the server closed the connection"});
      return *got;
    }
    for (;;) {
      const ssize_t n = ::recv(fd_.get(), data, size, MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) return fail(LinkError{LinkErrc::closed, "the server closed the connection"});
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_for(fd_.get(), POLLIN, deadline)) {
          return fail(LinkError{LinkErrc::timeout, "timed out waiting for the server"});
        }
        continue;
      }
      return fail(LinkError{LinkErrc::closed, std::string("connection lost: ") + ::strerror(errno)});
    }
  }

  UniqueFd fd_;
  std::optional<tls::TlsConnection> tls_;
  std::string buffer_;
};

// Every write is a whole command batch or body chunk: Nagle's algorithm
// would only hold the last one back until the server's delayed ACK
// (40 ms on Linux) for nothing. Best effort.
void no_delay(int fd) {
  const int on = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// A TCP connection to `target`, or why not.
Result<UniqueFd, std::string> connect_to(const ServerTarget& target, std::chrono::seconds timeout) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (target.address.family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    std::memcpy(&v4->sin_addr, target.address.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    std::memcpy(&v6->sin6_addr, target.address.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  UniqueFd socket(::socket(target.address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) return fail(std::string("socket: ") + ::strerror(errno));
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), length) == 0) {
    no_delay(socket.get());
    return socket;
  }
  if (errno != EINPROGRESS) return fail(std::string(::strerror(errno)));
  if (!wait_for(socket.get(), POLLOUT, SteadyClock::now() + timeout)) {
    return fail("timed out after " + std::to_string(timeout.count()) + " s");
  }
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error != 0) return fail(std::string(::strerror(error)));
  no_delay(socket.get());
  return socket;
}

std::string said(const SmtpReply& reply) { return "Remote host said: " + reply.summary(); }

// An attempt that leaves the choice of the next server open.
Attempt not_used(std::string text) {
  Attempt attempt;
  attempt.final = false;
  attempt.text = std::move(text);
  return attempt;
}

// The verdict of a reply code: 2xx success, 5xx failure, anything else deferral.
RemoteVerdict verdict_of(int code) {
  if (code >= 200 && code < 300) return RemoteVerdict::success;
  if (code >= 500 && code < 600) return RemoteVerdict::failure;
  return RemoteVerdict::deferral;
}

class Dialogue {
 public:
  Dialogue(Link& link, const ServerTarget& target, const Envelope& envelope, const ClientSettings& settings)
      : link_(link), target_(target), envelope_(envelope), settings_(settings), who_(target.address.text()) {}

  Attempt run(TlsLevel level, bool use_starttls) {
    auto greeting = link_.reply(deadline());
    if (!greeting) return not_used("Connected to " + who_ + " but " + link_failure(greeting.error()) + ".");
    if (greeting->code < 200 || greeting->code >= 300) {
      return not_used("Connected to " + who_ + " but greeting failed.\n" + said(*greeting));
    }
    auto features = hello();
    if (!features) return not_used(features.error());
    const bool required = level == TlsLevel::encrypt || level == TlsLevel::verify;
    if (settings_.tls && level != TlsLevel::none && use_starttls) {
      if (features->starttls) {
        auto started = start_tls(level, required);
        if (started.has_value()) return std::move(*started);
        if (link_.encrypted()) {
          features = hello();
          if (!features) return not_used(features.error());
        }
      } else if (required) {
        quit();
        return not_used("TLS is required for " + who_ + ", but it did not offer STARTTLS. (#4.7.5)");
      }
    } else if (required) {
      quit();
      return not_used("TLS is required for " + who_ + ", but STARTTLS could not be used. (#4.7.5)");
    }
    if (features->size && features->size_limit != 0 && envelope_.size > features->size_limit) {
      quit();
      return final_for_all(RemoteVerdict::failure, "Sorry, the message is " + std::to_string(envelope_.size) +
                                                       " bytes, more than " + who_ + " accepts (" +
                                                       std::to_string(features->size_limit) + "). (#5.3.4)");
    }
    Attempt attempt = transaction(*features);
    quit();
    return attempt;
  }

  void describe_tls(Attempt& attempt) const {
    if (const tls::TlsConnection* tls = link_.tls()) {
      attempt.tls_version = std::string(tls->version());
      attempt.tls_cipher = std::string(tls->cipher());
      attempt.tls_verified = verified_;
    }
  }

 private:
  Deadline deadline() const { return SteadyClock::now() + settings_.timeout_remote; }

  static std::string link_failure(const LinkError& error) {
    switch (error.kind) {
      case LinkErrc::timeout: return "it timed out";
      case LinkErrc::closed: return "the connection was lost (" + error.text + ")";
      case LinkErrc::malformed: return error.text;
      case LinkErrc::failed: return error.text;
    }
    return error.text;
  }

  // EHLO, then HELO when EHLO is refused with a 5xx (an RFC 821 server).
  Result<EhloFeatures, std::string> hello() {
    const std::string refused = "Connected to " + who_ + " but my name was rejected.";
    if (auto sent = link_.send("EHLO " + settings_.helohost + "\r\n", deadline()); !sent) {
      return fail("Connected to " + who_ + " but " + link_failure(sent.error()) + ".");
    }
    auto ehlo = link_.reply(deadline());
    if (!ehlo) return fail("Connected to " + who_ + " but " + link_failure(ehlo.error()) + ".");
    if (ehlo->code >= 200 && ehlo->code < 300) return ehlo_features(*ehlo);
    if (ehlo->code < 500) return fail(refused + "\n" + said(*ehlo));
    if (auto sent = link_.send("HELO " + settings_.helohost + "\r\n", deadline()); !sent) {
      return fail("Connected to " + who_ + " but " + link_failure(sent.error()) + ".");
    }
    auto helo = link_.reply(deadline());
    if (!helo) return fail("Connected to " + who_ + " but " + link_failure(helo.error()) + ".");
    if (helo->code < 200 || helo->code >= 300) return fail(refused + "\n" + said(*helo));
    return EhloFeatures{};
  }

  // STARTTLS: nullopt when the session goes on (encrypted, or in plaintext
  // at level may after a refused STARTTLS); otherwise the attempt's end.
  std::optional<Attempt> start_tls(TlsLevel level, bool required) {
    if (auto sent = link_.send("STARTTLS\r\n", deadline()); !sent) {
      return not_used("Connected to " + who_ + " but " + link_failure(sent.error()) + ".");
    }
    auto answer = link_.reply(deadline());
    if (!answer) return not_used("Connected to " + who_ + " but " + link_failure(answer.error()) + ".");
    if (answer->code != 220) {
      if (!required) return std::nullopt;  // opportunistic: on in plaintext
      quit();
      return not_used("TLS is required for " + who_ + ", but it refused STARTTLS. (#4.7.5)\n" + said(*answer));
    }
    const bool verify = level == TlsLevel::verify;
    auto context = settings_.tls();
    if (!context) {
      quit();
      Attempt attempt = not_used("Unable to set up TLS: " + context.error() + ". (#4.3.0)");
      attempt.retry_without_tls = !required;
      return attempt;
    }
    auto started = link_.start_tls(**context, target_.host, verify, deadline());
    if (!started) {
      Attempt attempt = not_used("TLS with " + who_ + " failed: " + started.error().text + " (#4.7.5)");
      attempt.retry_without_tls = !required;
      return attempt;
    }
    verified_ = verify;
    return std::nullopt;
  }

  // The same end for every recipient: the message report alone (as
  // qmail-remote, which wrote no recipient report then).
  Attempt final_for_all(RemoteVerdict verdict, const std::string& text) const {
    Attempt attempt;
    attempt.final = true;
    attempt.message = verdict;
    attempt.text = text;
    describe_tls(attempt);
    return attempt;
  }

  // A reply the transaction cannot go on without: the failure of every recipient.
  Attempt lost(const std::string& during, const LinkError& error) const {
    return final_for_all(RemoteVerdict::deferral,
                         "Connected to " + who_ + " but " + link_failure(error) + " " + during + ". (#4.4.2)");
  }

  Attempt transaction(const EhloFeatures& features) {
    std::string mail = "MAIL FROM:<" + envelope_.sender + ">";
    if (features.size) mail += " SIZE=" + std::to_string(envelope_.size);
    if (features.eightbitmime && envelope_.eight_bit) mail += " BODY=8BITMIME";
    mail += "\r\n";
    std::vector<std::string> commands{mail};
    for (const std::string& recipient : envelope_.recipients) commands.push_back("RCPT TO:<" + recipient + ">\r\n");
    commands.emplace_back("DATA\r\n");
    // Pipelined: all at once, the replies read in order; otherwise each
    // command waits for the reply before it.
    std::size_t sent_up_to = 0;
    auto send_through = [&](std::size_t index) -> Status<LinkError> {
      if (sent_up_to > index) return {};
      std::string batch;
      const std::size_t last = features.pipelining ? commands.size() - 1 : index;
      for (std::size_t i = sent_up_to; i <= last; ++i) batch += commands[i];
      sent_up_to = last + 1;
      return link_.send(batch, deadline());
    };
    if (auto sent = send_through(0); !sent) return lost("while sending MAIL", sent.error());
    auto mail_reply = link_.reply(deadline());
    if (!mail_reply) return lost("after MAIL", mail_reply.error());
    if (verdict_of(mail_reply->code) != RemoteVerdict::success) {
      // With pipelining the RCPTs and DATA were sent already: their
      // replies are not read, the connection ends with QUIT.
      return final_for_all(verdict_of(mail_reply->code),
                           "Connected to " + who_ + " but sender was rejected.\n" + said(*mail_reply));
    }
    Attempt attempt;
    attempt.final = true;
    bool any_accepted = false;
    for (std::size_t i = 0; i < envelope_.recipients.size(); ++i) {
      if (auto sent = send_through(i + 1); !sent) return lost("while sending RCPT", sent.error());
      auto reply = link_.reply(deadline());
      if (!reply) return lost("after RCPT", reply.error());
      const RemoteVerdict verdict = verdict_of(reply->code);
      any_accepted = any_accepted || verdict == RemoteVerdict::success;
      attempt.recipients.emplace_back(verdict, who_ + (verdict == RemoteVerdict::success ? " accepted recipient."
                                                                                          : " does not like recipient.") +
                                                   "\n" + said(*reply));
    }
    if (!any_accepted) {
      if (features.pipelining) {
        // DATA was sent: its reply (503 or 554) is read and dropped; a 354
        // regardless gets an empty body ended at once.
        auto data = link_.reply(deadline());
        if (data && data->code == 354) (void)link_.send(".\r\n", deadline());
      }
      attempt.message = RemoteVerdict::failure;
      attempt.text = "Giving up on " + who_ + ".";
      describe_tls(attempt);
      return attempt;
    }
    if (auto sent = send_through(envelope_.recipients.size() + 1); !sent) return lost("while sending DATA", sent.error());
    auto data = link_.reply(deadline());
    if (!data) return lost("after DATA", data.error());
    if (data->code != 354) {
      const RemoteVerdict verdict = verdict_of(data->code) == RemoteVerdict::failure ? RemoteVerdict::failure
                                                                                     : RemoteVerdict::deferral;
      attempt.message = verdict;
      attempt.text = "Connected to " + who_ + " but it failed on DATA command.\n" + said(*data);
      describe_tls(attempt);
      return attempt;
    }
    if (auto body = send_body(); !body) {
      if (body.error().kind == LinkErrc::failed) {  // the message could not be read here
        attempt.message = RemoteVerdict::deferral;
        attempt.text = body.error().text;
        describe_tls(attempt);
        return attempt;
      }
      attempt.message = RemoteVerdict::deferral;
      attempt.text = "Connected to " + who_ + " but " + link_failure(body.error()) + " while sending the message. (#4.4.2)";
      describe_tls(attempt);
      return attempt;
    }
    auto final_reply = link_.reply(deadline());
    if (!final_reply) {
      // qmail's flagcritical: the server may have taken the message.
      attempt.message = RemoteVerdict::deferral;
      attempt.text = "Connected to " + who_ + " but " + link_failure(final_reply.error()) +
                     " after the final dot: the message may be delivered twice. (#4.4.2)";
      describe_tls(attempt);
      return attempt;
    }
    attempt.message = verdict_of(final_reply->code);
    if (attempt.message == RemoteVerdict::success) {
      attempt.text = who_ + " accepted message.\n" + said(*final_reply);
    } else {
      attempt.text = who_ + (attempt.message == RemoteVerdict::failure ? " failed after I sent the message."
                                                                       : " deferred the message after I sent it.") +
                     "\n" + said(*final_reply);
    }
    describe_tls(attempt);
    return attempt;
  }

  // The body, encoded chunk by chunk, then the final dot.
  Status<LinkError> send_body() {
    DataEncoder encoder;
    std::vector<char> chunk(chunk_size);
    std::string out;
    off_t offset = 0;
    for (;;) {
      const ssize_t got = ::pread(envelope_.message_fd, chunk.data(), chunk.size(), offset);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        return fail(LinkError{LinkErrc::failed,
                              std::string("Unable to read the message: ") + ::strerror(errno) + " (#4.3.0)"});
      }
      if (got == 0) break;
      offset += got;
      encoder.feed(std::string_view(chunk.data(), static_cast<std::size_t>(got)), out);
      if (out.size() < chunk_size) continue;  // a small message goes out in one write with its end
      if (auto sent = link_.send(out, deadline()); !sent) return fail(sent.error());
      out.clear();
    }
    encoder.finish(out);
    return link_.send(out, deadline());
  }

  void quit() {
    // Best effort, with a short deadline: the result is already known.
    const Deadline soon = SteadyClock::now() + std::chrono::seconds(5);
    if (link_.send("QUIT\r\n", soon)) (void)link_.reply(soon);
    link_.close(soon);
  }

  Link& link_;
  const ServerTarget& target_;
  const Envelope& envelope_;
  const ClientSettings& settings_;
  std::string who_;
  bool verified_ = false;
};

}  // namespace

Attempt deliver_to(const ServerTarget& target, const Envelope& envelope, const ClientSettings& settings,
                   TlsLevel level, bool use_starttls) {
  auto connected = connect_to(target, settings.timeout_connect);
  if (!connected) {
    return not_used("Unable to connect to " + target.address.text() + " port " + std::to_string(target.port) + ": " +
                    connected.error() + ".");
  }
  Link link(std::move(connected.value()));
  Dialogue dialogue(link, target, envelope, settings);
  return dialogue.run(level, use_starttls);
}

}  // namespace qcell::remote
