// tls_connection.h — the TLS layer of STARTTLS (RFC 3207), with OpenSSL
// 3.0, for both ends: qmail-smtpd's server side and qmail-remote's client
// side. TlsContext is made once per cell during set-up, from PEM bytes (the
// cells have no filesystem at all): a server's certificate chain and key, or
// a client's trust anchors; TlsConnection is one handshake and the records
// after it, over a socket the caller already holds.
//
// What it trusts: the PEM bytes come from the administrator's control
// snapshot and are trusted to be what the administrator meant (they are
// still parsed strictly, and a key that does not match its certificate is
// refused). Every byte read from the socket is hostile: it goes only to
// OpenSSL's record layer, read straight from the descriptor by a BIO of our
// own (never from a buffer the SMTP layer hands over, so no plaintext sent
// before STARTTLS can be taken as sent inside TLS: CVE-2011-0411), and each
// handshake, read and write has a deadline so a silent or slow client
// cannot hold the cell. Writes use send(MSG_NOSIGNAL): no SIGPIPE, whatever
// the caller's signal set-up.
//
// After TlsContext::from_pem returns, OpenSSL opens no file: its
// configuration file is never loaded (OPENSSL_INIT_NO_LOAD_CONFIG), no
// default verify paths are set, and both random generators are seeded
// during set-up. docs/smtpd-tls.md lists the settings, every error, and the
// system calls a handshake makes (what the cell's seccomp policy allows).
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace qcell::tls {

// An absolute point by which a handshake, read, write or shutdown must be
// done; the whole operation, not each byte, is bounded by it.
using Deadline = std::chrono::steady_clock::time_point;

enum class TlsErrc : std::uint8_t {
  library_init,      // OpenSSL or its random generator could not be set up
  context,           // OpenSSL refused to make the context or one of its settings
  bad_certificate,   // the chain PEM holds no certificate, or one that does not parse or is refused
  bad_key,           // the key PEM holds no private key that parses (encrypted keys included)
  key_mismatch,      // the key does not belong to the first certificate of the chain
  connection_setup,  // OpenSSL could not allocate the connection
  handshake,         // the client does not speak acceptable TLS (garbage, TLS 1.1, no shared cipher)
  peer_closed,       // the client closed the connection during the handshake
  timeout,           // the deadline passed
  system,            // a socket call failed (sys_errno says why: EPIPE or ECONNRESET for a client gone)
  protocol,          // a TLS error after the handshake (a bad record, an unexpected message)
  unusable,          // an earlier error already ended this connection
  bad_trust_store,   // a client's CA PEM holds no certificate, or one that does not parse
  verify_failed,     // the server's certificate did not verify (chain, dates or name)
};

struct TlsError {
  TlsErrc kind = TlsErrc::protocol;
  int sys_errno = 0;  // for `system`
  // One line for the log: the fixed description of `kind` (docs/smtpd-tls.md),
  // then OpenSSL's first error string or strerror, e.g.
  // "bad certificate chain PEM: first certificate: error:0480006C:PEM
  // routines::no start line (Expecting: CERTIFICATE)".
  std::string text;
};

std::string_view tls_error_name(TlsErrc kind) noexcept;         // "bad_certificate"
std::string_view tls_error_description(TlsErrc kind) noexcept;  // "bad certificate chain PEM"

// Initialises OpenSSL without its configuration file and seeds its public
// and private random generators (RAND_bytes, RAND_priv_bytes), so that
// nothing later opens /etc/ssl/openssl.cnf or /dev/urandom. Idempotent;
// TlsContext::from_pem calls it. A process that calls OpenSSL for anything
// else first (the tests make certificates) must call it before that.
Status<TlsError> initialise_tls_library();

// The server settings and its certificate: made once at set-up, shared by
// every connection (each SSL holds a reference of its own to the SSL_CTX).
class TlsContext {
 public:
  // `chain_pem`: the server's certificate first, then any intermediates, as
  // PEM "CERTIFICATE" blocks; `key_pem`: its private key, unencrypted (PKCS#8
  // "PRIVATE KEY", or "RSA/EC PRIVATE KEY"). Blocks of other kinds are
  // skipped, so qmail's servercert.pem (key and certificate in one file) can
  // be passed as both.
  static Result<TlsContext, TlsError> from_pem(std::string_view chain_pem, std::string_view key_pem);

  // A client's context (qmail-remote): the same versions, suites and groups
  // as the server's. `trust_pem` holds the CA certificates that verifying
  // connections check the server's chain against (empty: none, and only
  // unverified connections can be made). No client certificate is sent.
  static Result<TlsContext, TlsError> client(std::string_view trust_pem);

  TlsContext(TlsContext&&) noexcept = default;
  TlsContext& operator=(TlsContext&&) noexcept = default;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext() = default;

 private:
  friend class TlsConnection;
  struct Free {
    void operator()(SSL_CTX* context) const noexcept;
  };
  explicit TlsContext(std::unique_ptr<SSL_CTX, Free> context) noexcept : context_(std::move(context)) {}
  std::unique_ptr<SSL_CTX, Free> context_;
};

// How the client ended its side (what a read that returned 0 saw).
enum class PeerClose : std::uint8_t {
  none,          // not closed (yet)
  close_notify,  // a TLS close_notify alert: the client meant to stop here
  eof,           // the socket ended without close_notify: possibly truncated by an attacker
};

namespace detail {
// What the socket BIO needs; owned by TlsConnection, pointed to by the BIO.
struct SocketState {
  int fd = -1;
  bool saw_eof = false;  // recv returned 0
  int last_errno = 0;    // of the last failed recv or send, 0 for "would block"
};
}  // namespace detail

// One TLS connection, server or client side. The descriptor is not owned: the
// caller (the SMTP session) keeps it open for as long as this object lives
// and closes it afterwards. It must be a connected stream socket; its
// blocking mode is left alone (every recv and send is MSG_DONTWAIT, and
// waiting is poll() with the time left).
class TlsConnection {
 public:
  // Runs the server handshake. Call it after the 220 answer to STARTTLS has
  // been written and the SMTP layer has discarded every byte it had read
  // beyond the STARTTLS line: the handshake reads only from `fd`.
  static Result<TlsConnection, TlsError> accept(const TlsContext& context, int fd, Deadline deadline);

  // Runs the client handshake on `fd`, after the server's 220 to STARTTLS
  // (the SMTP layer must hold no byte read beyond that reply: any byte the
  // server sent early is dropped with the plaintext buffer). `server_name`
  // goes out as SNI when it is a name, not an address. With `verify`, the
  // chain must lead to the context's trust anchors, be in date, and name
  // `server_name` (a DNS name, wildcards in the leftmost label only), or the
  // handshake fails with verify_failed and the verifier's reason.
  static Result<TlsConnection, TlsError> connect(const TlsContext& context, int fd, std::string_view server_name,
                                                 bool verify, Deadline deadline);

  // Reads decrypted bytes into `buffer`: at least one, or 0 when the client
  // closed (peer_close() tells close_notify from a bare end of file). An
  // empty buffer reads nothing and returns 0 with peer_close() == none.
  Result<std::size_t, TlsError> read(std::span<std::byte> buffer, Deadline deadline);

  // Writes all of `bytes`, or fails (after which the connection is unusable).
  Status<TlsError> write_all(std::span<const std::byte> bytes, Deadline deadline);

  // The negotiated protocol ("TLSv1.3", "TLSv1.2") and cipher, by OpenSSL's
  // name ("TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"). Static
  // strings: valid for the life of the process.
  std::string_view version() const noexcept;
  std::string_view cipher() const noexcept;

  PeerClose peer_close() const noexcept { return peer_close_; }

  // Sends close_notify (once, if the connection is still sound) and waits
  // until the deadline at most for it to be written; does not wait for the
  // client's own close_notify. The caller closes the descriptor afterwards.
  void shutdown(Deadline deadline) noexcept;

  TlsConnection(TlsConnection&&) noexcept = default;
  TlsConnection& operator=(TlsConnection&&) noexcept = default;
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;
  ~TlsConnection() = default;

 private:
  struct Free {
    void operator()(SSL* connection) const noexcept;
  };
  TlsConnection(std::unique_ptr<detail::SocketState> state, std::unique_ptr<SSL, Free> ssl) noexcept
      : state_(std::move(state)), ssl_(std::move(ssl)) {}

  // Declared in this order so that the SSL (and its BIO) goes first; SSL_free
  // never reads the state, so a move assignment's order does not matter.
  std::unique_ptr<detail::SocketState> state_;
  std::unique_ptr<SSL, Free> ssl_;
  bool failed_ = false;  // a fatal error: no more I/O, no close_notify (OpenSSL forbids it)
  bool shut_down_ = false;
  PeerClose peer_close_ = PeerClose::none;
};

}  // namespace qcell::tls
