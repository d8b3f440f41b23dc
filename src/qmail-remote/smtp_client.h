// smtp_client.h — qmail-remote's SMTP dialogue with one server (RFC 5321),
// over a TCP connection it makes itself: EHLO (HELO when EHLO is refused),
// STARTTLS by the destination's TLS level, MAIL FROM with SIZE and
// BODY=8BITMIME where offered, RCPT TO per recipient, DATA with the body
// normalised to CRLF and dot-stuffed (data_encoder.h), QUIT. With
// PIPELINING, MAIL, every RCPT and DATA go out in one write (RFC 2920).
//
// Trust: every byte the server sends is hostile. Replies are read by the
// pure parser (smtp_reply.h) into a buffer bounded by its line and line
// count limits; every read, write and connect has a deadline
// (timeoutconnect, timeoutremote). A reply's text reaches only the report
// and the log, where it is quoted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/remote_report.h"
#include "core/result.h"
#include "qmail-remote/ip_address.h"
#include "qmail-remote/tls_policy.h"
#include "tls/tls_connection.h"

namespace qcell::remote {

struct ClientSettings {
  std::string helohost;
  std::chrono::seconds timeout_connect{60};
  std::chrono::seconds timeout_remote{1200};
  // The TLS context, made on first use: an OpenSSL context costs tens of
  // milliseconds, and only a server that offers STARTTLS needs one. Empty:
  // STARTTLS is never used. It gives the context, or why there is none.
  std::function<Result<const tls::TlsContext*, std::string>()> tls;
};

// One server to try.
struct ServerTarget {
  std::string host;  // the name the certificate must carry (the MX or relay name), "" for an address literal
  IpAddress address;
  std::uint16_t port = 25;
};

// The message and its envelope.
struct Envelope {
  int message_fd = -1;  // a regular file, read with pread from offset 0
  std::uint64_t size = 0;
  bool eight_bit = false;
  std::string sender;
  std::vector<std::string> recipients;
};

// What one attempt came to.
struct Attempt {
  // false: nothing was decided at this server (no connection, no greeting,
  // HELO refused, TLS required but missing or failed): the next target may
  // be tried; `text` says why this one was not used.
  bool final = false;
  RemoteVerdict message = RemoteVerdict::deferral;
  std::string text;  // the message report's text
  // When final: one per recipient, or none when the message report speaks
  // for all of them (the sender refused, the message too large).
  std::vector<std::pair<RemoteVerdict, std::string>> recipients;
  // For the delivery's log line.
  std::string tls_version;  // "" when the session was not encrypted
  std::string tls_cipher;
  bool tls_verified = false;
  // A STARTTLS handshake failed at level may: the caller may try this
  // server once more without STARTTLS (opportunistic TLS never blocks mail).
  bool retry_without_tls = false;
};

// Delivers `envelope` to `target` with the TLS level `level` (the
// destination's, tls_policy.h). `use_starttls` false skips STARTTLS even
// when offered (the retry after a failed handshake at level may).
Attempt deliver_to(const ServerTarget& target, const Envelope& envelope, const ClientSettings& settings,
                   TlsLevel level, bool use_starttls);

}  // namespace qcell::remote
