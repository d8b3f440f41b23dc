// received.h — the Received: header field qmail-smtpd puts at the top of
// every message it accepts (RFC 5321 section 4.4, RFC 3848 protocol
// types). It records the HELO/EHLO name, the client's address (and name,
// when tcpserver looked it up), this host, the TLS version and cipher, and
// the authenticated user.
//
// The HELO name has passed the command parser (a domain or an address
// literal); the other values come from the environment or from TLS and are
// checked here: a value that is not what it claims to be is replaced by
// "unknown", so no byte of it can start a new header line.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qcell::smtpd {

struct ReceivedFacts {
  std::string_view helo;         // as the client sent it
  bool esmtp = true;             // EHLO (ESMTP...) or HELO (SMTP)
  std::string_view remote_ip;    // TCPREMOTEIP: an IPv4 or IPv6 address in text
  std::string_view remote_host;  // TCPREMOTEHOST: empty when unknown
  std::string_view me;           // control/me
  std::optional<std::string_view> tls_version;  // "TLSv1.3" inside TLS
  std::string_view tls_cipher;
  std::optional<std::string_view> auth_user;  // after a successful AUTH
  bool smtputf8 = false;                      // the transaction used SMTPUTF8
  std::time_t now = 0;
};

// The protocol type of RFC 3848 and RFC 6531: SMTP, ESMTP, ESMTPS, ESMTPA,
// ESMTPSA, UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA.
std::string_view protocol_type(const ReceivedFacts& facts) noexcept;

// The whole field, folded, each line ending in LF (the queue stores LF):
//   Received: from HELO (HOST [IP])
//   \tby ME (qcell) with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384)
//   \t(authenticated as USER); Thu, 03 Dec 2026 06:00:00 +0000
std::string received_header(const ReceivedFacts& facts);

// RFC 5322 date-time in UTC: "Thu, 03 Dec 2026 06:00:00 +0000". Needs no
// time-zone file (cells have none).
std::string rfc5322_date(std::time_t now);

}  // namespace qcell::smtpd
