// serve.h — moves bytes between one client connection and the session:
// the greeting, then read (each read bounded by timeoutsmtpd), feed, send
// the replies, until the session closes or the client goes. STARTTLS turns
// the connection into TLS (src/tls/tls_connection.h) in place. This is all the I/O
// qmail-smtpd does on the network; what the bytes mean is the session's
// business. Used by main.cc in the cell and under tcpserver, and by tests
// over socket pairs.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "qmail-smtpd/session.h"
#include "qmail-smtpd/smtpd_config.h"
#include "tls/tls_connection.h"

namespace qcell::smtpd {

struct ServeOptions {
  std::chrono::seconds timeout{1200};  // timeoutsmtpd: for each read and each write
  const TlsPem* tls = nullptr;         // null: STARTTLS is never offered; the context is made at STARTTLS
  std::function<void(std::string_view)> log;  // one line per session event
};

// How the connection ended, for the cell's last log line.
enum class ServeEnd : std::uint8_t { closed, client_gone, timeout, read_error, write_error, tls_failed };
std::string_view serve_end_name(ServeEnd end) noexcept;

// `input` and `output` are the connection (the same socket in the cell; 0
// and 1 under tcpserver). STARTTLS needs them to be one socket.
ServeEnd serve(int input, int output, Session& session, const ServeOptions& options);

}  // namespace qcell::smtpd
