// tls_connection.cc — STARTTLS's TLS layer (tls_connection.h). The PEM bytes are the
// administrator's; every byte from the socket is hostile and reaches only
// OpenSSL's record layer, through the socket BIO below.
#include "tls/tls_connection.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>

namespace qcell::tls {

namespace {

struct Entry {
  TlsErrc kind;
  std::string_view name;
  std::string_view description;
};

// One line per error; docs/smtpd-tls.md repeats this table.
constexpr Entry entries[] = {
    {TlsErrc::library_init, "library_init", "OpenSSL could not be initialised"},
    {TlsErrc::context, "context", "OpenSSL refused a TLS context setting"},
    {TlsErrc::bad_certificate, "bad_certificate", "bad certificate chain PEM"},
    {TlsErrc::bad_key, "bad_key", "bad private key PEM"},
    {TlsErrc::key_mismatch, "key_mismatch", "the private key does not match the certificate"},
    {TlsErrc::connection_setup, "connection_setup", "OpenSSL could not set up a connection"},
    {TlsErrc::handshake, "handshake", "TLS handshake failed"},
    {TlsErrc::peer_closed, "peer_closed", "the client closed the connection during the TLS handshake"},
    {TlsErrc::timeout, "timeout", "TLS deadline passed"},
    {TlsErrc::system, "system", "socket error"},
    {TlsErrc::protocol, "protocol", "TLS protocol error"},
    {TlsErrc::unusable, "unusable", "the TLS connection already failed"},
    {TlsErrc::bad_trust_store, "bad_trust_store", "bad CA certificates PEM"},
    {TlsErrc::verify_failed, "verify_failed", "the server's certificate did not verify"},
};
static_assert(std::size(entries) == static_cast<std::size_t>(TlsErrc::verify_failed) + 1);
constexpr bool in_order() {
  std::size_t index = 0;
  for (const Entry& entry : entries) {
    if (static_cast<std::size_t>(entry.kind) != index++) return false;
  }
  return true;
}
static_assert(in_order());

// The table is complete and in order (above), so every kind has its entry.
const Entry& entry_for(TlsErrc kind) noexcept {
  return *std::next(std::begin(entries), static_cast<std::ptrdiff_t>(kind));
}

// The settings (docs/smtpd-tls.md says why each).
// TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate" list
// without DHE); AES-GCM first, ChaCha20 when the client prefers it
// (SSL_OP_PRIORITIZE_CHACHA).
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
// TLS 1.3: OpenSSL's three default suites, named so that a change of
// defaults does not change what qcell offers.
constexpr const char* tls13_suites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr const char* key_groups = "X25519:P-256:P-384";
// Level 2: RSA and DH of 2048 bits or more, ECC of 224 or more, no SHA-1
// signatures in the handshake. Debian's openssl.cnf sets the same, but that
// file is never read here.
constexpr int security_level = 2;

// OpenSSL's first (oldest) queued error as text, with its data if any, then
// an empty queue.
std::string openssl_first_error() {
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = ERR_peek_error_data(&data, &flags);
  std::string text;
  if (code == 0) {
    text = "no OpenSSL error recorded";
  } else {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text = buffer.data();
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      text += " (";
      text += data;
      text += ")";
    }
  }
  ERR_clear_error();
  return text;
}

TlsError make_error(TlsErrc kind, std::string_view detail, int sys_errno = 0) {
  TlsError error;
  error.kind = kind;
  error.sys_errno = sys_errno;
  error.text = std::string(tls_error_description(kind)) + ": " + std::string(detail);
  return error;
}

TlsError openssl_error(TlsErrc kind, std::string_view what = {}) {
  std::string detail(what);
  if (!detail.empty()) detail += ": ";
  detail += openssl_first_error();
  return make_error(kind, detail);
}

TlsError system_error(int sys_errno, std::string_view what) {
  ERR_clear_error();
  return make_error(TlsErrc::system, std::string(what) + ": " + ::strerror(sys_errno), sys_errno);
}

// A PEM block may be encrypted; OpenSSL's default answer to that is to
// prompt on the terminal. There is none: every passphrase request fails.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*writing*/, void* /*user*/) { return -1; }

// The socket BIO: recv and send with MSG_DONTWAIT (the caller's blocking
// mode is left alone; waiting is poll() with a deadline, in this file) and
// send with MSG_NOSIGNAL (no SIGPIPE). It reads only from the descriptor:
// there is no way to hand it bytes read earlier.
detail::SocketState* state_of(BIO* bio) { return static_cast<detail::SocketState*>(BIO_get_data(bio)); }

int socket_write(BIO* bio, const char* data, std::size_t length, std::size_t* written) {
  detail::SocketState* state = state_of(bio);
  BIO_clear_retry_flags(bio);
  *written = 0;
  for (;;) {
    ssize_t n = ::send(state->fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      *written = static_cast<std::size_t>(n);
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(bio);
      return 0;
    }
    state->last_errno = errno;
    return 0;
  }
}

int socket_read(BIO* bio, char* data, std::size_t length, std::size_t* read) {
  detail::SocketState* state = state_of(bio);
  BIO_clear_retry_flags(bio);
  *read = 0;
  if (length == 0) return 0;
  for (;;) {
    ssize_t n = ::recv(state->fd, data, length, MSG_DONTWAIT);
    if (n > 0) {
      *read = static_cast<std::size_t>(n);
      return 1;
    }
    if (n == 0) {
      state->saw_eof = true;  // BIO_eof() then says so: OpenSSL reports "unexpected eof"
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
      return 0;
    }
    state->last_errno = errno;
    return 0;
  }
}

long socket_ctrl(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // send() has nothing buffered
      return 1;
    case BIO_CTRL_EOF: return state_of(bio)->saw_eof ? 1 : 0;
    default:  // kTLS, push/pop, dup, pending: not supported, 0 as OpenSSL expects
      return 0;
  }
}

int socket_create(BIO* bio) {
  BIO_set_init(bio, 0);
  BIO_set_data(bio, nullptr);
  return 1;
}

int socket_destroy(BIO* /*bio*/) { return 1; }  // the state belongs to TlsConnection

BIO_METHOD* make_socket_method() {
  BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "qcell socket");
  if (method == nullptr) return nullptr;
  if (BIO_meth_set_write_ex(method, socket_write) != 1 || BIO_meth_set_read_ex(method, socket_read) != 1 ||
      BIO_meth_set_ctrl(method, socket_ctrl) != 1 || BIO_meth_set_create(method, socket_create) != 1 ||
      BIO_meth_set_destroy(method, socket_destroy) != 1) {
    BIO_meth_free(method);
    return nullptr;
  }
  return method;
}

// Made once, during set-up (initialise_tls_library), and kept for the life
// of the process: every connection's BIO points at it.
const BIO_METHOD* socket_method() {
  static const BIO_METHOD* const method = make_socket_method();
  return method;
}

// Waits until `fd` has `events` (or an error or hang-up, which the next
// call reports), or until the deadline.
Status<TlsError> wait_for(int fd, short events, Deadline deadline, std::string_view during) {
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return fail(make_error(TlsErrc::timeout, during));
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    int timeout_ms = left > INT_MAX ? INT_MAX : static_cast<int>(left);
    pollfd entry{};
    entry.fd = fd;
    entry.events = events;
    int ready = ::poll(&entry, 1, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail(system_error(errno, "poll"));
    }
    if (ready == 0) continue;  // the deadline is checked at the top
    if ((entry.revents & POLLNVAL) != 0) return fail(system_error(EBADF, "poll"));
    return {};
  }
}

bool first_error_is_unexpected_eof() {
  unsigned long code = ERR_peek_error();
  return ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

using X509Owner = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyOwner = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioOwner = std::unique_ptr<BIO, decltype(&BIO_free)>;

Result<BioOwner, TlsError> memory_bio(std::string_view pem, TlsErrc kind) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return fail(make_error(kind, "longer than 2 GiB"));
  BioOwner bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return fail(openssl_error(kind, "BIO_new_mem_buf"));
  return bio;
}

// Reads the leaf and every further CERTIFICATE block into the context.
Result<X509Owner, TlsError> load_chain(SSL_CTX* context, std::string_view chain_pem) {
  auto bio = memory_bio(chain_pem, TlsErrc::bad_certificate);
  if (!bio) return fail(bio.error());
  X509Owner leaf(PEM_read_bio_X509(bio->get(), nullptr, refuse_passphrase, nullptr), &X509_free);
  if (!leaf) return fail(openssl_error(TlsErrc::bad_certificate, "first certificate"));
  if (SSL_CTX_use_certificate(context, leaf.get()) != 1) {
    return fail(openssl_error(TlsErrc::bad_certificate, "first certificate"));
  }
  for (;;) {
    X509Owner next(PEM_read_bio_X509(bio->get(), nullptr, refuse_passphrase, nullptr), &X509_free);
    if (!next) break;
    if (SSL_CTX_add1_chain_cert(context, next.get()) != 1) {
      return fail(openssl_error(TlsErrc::bad_certificate, "chain certificate"));
    }
  }
  // The loop ends at the first read that finds no further block: that is
  // "no start line" at the end of the text, anything else is a broken block.
  unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) != ERR_LIB_PEM || ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
    return fail(openssl_error(TlsErrc::bad_certificate, "chain certificate"));
  }
  ERR_clear_error();
  return leaf;
}

TlsError connection_error(int ssl_error, const detail::SocketState& state, TlsErrc ssl_kind) {
  if (ssl_error == SSL_ERROR_SSL) {
    // An error queued by OpenSSL comes first: a failed alert send after it
    // (EPIPE) is a consequence, not the cause.
    if (state.saw_eof && first_error_is_unexpected_eof()) {
      return openssl_error(ssl_kind == TlsErrc::handshake ? TlsErrc::peer_closed : TlsErrc::protocol);
    }
    return openssl_error(ssl_kind);
  }
  if (state.last_errno != 0)
    return system_error(state.last_errno, ssl_kind == TlsErrc::handshake ? "handshake" : "I/O");
  if (state.saw_eof && ssl_kind == TlsErrc::handshake) return openssl_error(TlsErrc::peer_closed);
  return openssl_error(ssl_kind, "SSL_get_error " + std::to_string(ssl_error));
}

// What both ends set (docs/smtpd-tls.md says why each): TLS 1.2 or later,
// no compression (CRIME), no renegotiation at all, no session tickets and
// no session cache (each connection is a cell of its own, so a ticket key
// or cache made here could never resume anything), the suites and groups
// above, and buffers freed while a connection is idle (write_all loops
// over partial writes).
Status<TlsError> apply_common_settings(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return fail(openssl_error(TlsErrc::context, "minimum version"));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_clear_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);  // an EOF without close_notify is told apart
  if (SSL_CTX_set_num_tickets(ctx, 0) != 1) return fail(openssl_error(TlsErrc::context, "tickets"));
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_security_level(ctx, security_level);
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) return fail(openssl_error(TlsErrc::context, "ciphers"));
  if (SSL_CTX_set_ciphersuites(ctx, tls13_suites) != 1) return fail(openssl_error(TlsErrc::context, "suites"));
  if (SSL_CTX_set1_groups_list(ctx, key_groups) != 1) return fail(openssl_error(TlsErrc::context, "groups"));
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE);
  return {};
}

// The handshake of either side on a fresh SSL, each wait bounded by `deadline`.
Status<TlsError> run_handshake(SSL* ssl, detail::SocketState& state, Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    state.last_errno = 0;
    int done = SSL_do_handshake(ssl);
    if (done == 1) break;
    int ssl_error = SSL_get_error(ssl, done);
    if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
      short events = ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      if (auto waited = wait_for(state.fd, events, deadline, "during the handshake"); !waited) {
        return fail(waited.error());
      }
      continue;
    }
    // A chain or name the verifier refused: say what it found, not only
    // OpenSSL's "certificate verify failed".
    long verified = SSL_get_verify_result(ssl);
    if (ssl_error == SSL_ERROR_SSL && verified != X509_V_OK) {
      ERR_clear_error();
      return fail(make_error(TlsErrc::verify_failed, X509_verify_cert_error_string(verified)));
    }
    return fail(connection_error(ssl_error, state, TlsErrc::handshake));
  }
  ERR_clear_error();
  return {};
}

// A fresh SSL of `context` reading and writing `state`'s descriptor
// through the socket BIO.
Result<SSL*, TlsError> new_connection(SSL_CTX* context, detail::SocketState& state) {
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr) return fail(openssl_error(TlsErrc::connection_setup, "SSL_new"));
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) {
    SSL_free(ssl);
    return fail(openssl_error(TlsErrc::connection_setup, "BIO_new"));
  }
  BIO_set_data(bio, &state);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO from here
  return ssl;
}

}  // namespace

std::string_view tls_error_name(TlsErrc kind) noexcept { return entry_for(kind).name; }

std::string_view tls_error_description(TlsErrc kind) noexcept { return entry_for(kind).description; }

Status<TlsError> initialise_tls_library() {
  // No configuration file (the cell has no filesystem, and a file must not
  // change what qcell offers); error strings loaded now, not on first use.
  constexpr std::uint64_t options =
      OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS;
  if (OPENSSL_init_ssl(options, nullptr) != 1) return fail(openssl_error(TlsErrc::library_init, "OPENSSL_init_ssl"));
  // Instantiate and seed the primary, public and private generators now
  // (getrandom(2) while set-up may still open /dev/urandom if it must);
  // later reseeds draw on getrandom(2) only (docs/smtpd-tls.md).
  std::array<unsigned char, 32> scratch{};
  if (RAND_bytes(scratch.data(), static_cast<int>(scratch.size())) != 1) {
    return fail(openssl_error(TlsErrc::library_init, "RAND_bytes"));
  }
  if (RAND_priv_bytes(scratch.data(), static_cast<int>(scratch.size())) != 1) {
    return fail(openssl_error(TlsErrc::library_init, "RAND_priv_bytes"));
  }
  OPENSSL_cleanse(scratch.data(), scratch.size());
  if (socket_method() == nullptr) return fail(openssl_error(TlsErrc::library_init, "BIO_meth_new"));
  return {};
}

void TlsContext::Free::operator()(SSL_CTX* context) const noexcept { SSL_CTX_free(context); }
void TlsConnection::Free::operator()(SSL* connection) const noexcept { SSL_free(connection); }

Result<TlsContext, TlsError> TlsContext::from_pem(std::string_view chain_pem, std::string_view key_pem) {
  if (auto ready = initialise_tls_library(); !ready) return fail(ready.error());
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, Free> context(SSL_CTX_new(TLS_server_method()));
  if (!context) return fail(openssl_error(TlsErrc::context, "SSL_CTX_new"));
  SSL_CTX* ctx = context.get();
  if (auto common = apply_common_settings(ctx); !common) return fail(common.error());
  // Server preference.
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
  // No client certificates are asked for; no trust store is loaded.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);

  auto leaf = load_chain(ctx, chain_pem);
  if (!leaf) return fail(leaf.error());

  auto key_bio = memory_bio(key_pem, TlsErrc::bad_key);
  if (!key_bio) return fail(key_bio.error());
  KeyOwner key(PEM_read_bio_PrivateKey(key_bio->get(), nullptr, refuse_passphrase, nullptr), &EVP_PKEY_free);
  if (!key) {
    // OpenSSL only says "interrupted or cancelled" (refuse_passphrase): say why.
    bool encrypted = key_pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
                     key_pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
    return fail(openssl_error(TlsErrc::bad_key, encrypted ? "encrypted (give the key unencrypted)" : ""));
  }
  ERR_clear_error();  // the decoders may leave errors from the blocks they skipped
  // Checked against the leaf first: SSL_CTX_use_PrivateKey files a key of
  // another type (EC for an RSA certificate) in a slot of its own without
  // complaint, and the check below would then only say "no certificate".
  if (X509_check_private_key(leaf->get(), key.get()) != 1) return fail(openssl_error(TlsErrc::key_mismatch));
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) return fail(openssl_error(TlsErrc::bad_key));
  if (SSL_CTX_check_private_key(ctx) != 1) return fail(openssl_error(TlsErrc::key_mismatch));
  ERR_clear_error();
  return TlsContext(std::move(context));
}

Result<TlsConnection, TlsError> TlsConnection::accept(const TlsContext& context, int fd, Deadline deadline) {
  if (!context.context_) return fail(make_error(TlsErrc::connection_setup, "no context (moved from)"));
  ERR_clear_error();
  auto state = std::make_unique<detail::SocketState>();
  state->fd = fd;
  auto made = new_connection(context.context_.get(), *state);
  if (!made) return fail(made.error());
  std::unique_ptr<SSL, Free> ssl(*made);
  SSL_set_accept_state(ssl.get());
  if (auto done = run_handshake(ssl.get(), *state, deadline); !done) return fail(done.error());
  return TlsConnection(std::move(state), std::move(ssl));
}

Result<TlsContext, TlsError> TlsContext::client(std::string_view trust_pem) {
  if (auto ready = initialise_tls_library(); !ready) return fail(ready.error());
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, Free> context(SSL_CTX_new(TLS_client_method()));
  if (!context) return fail(openssl_error(TlsErrc::context, "SSL_CTX_new"));
  SSL_CTX* ctx = context.get();
  if (auto common = apply_common_settings(ctx); !common) return fail(common.error());
  if (!trust_pem.empty()) {
    auto bio = memory_bio(trust_pem, TlsErrc::bad_trust_store);
    if (!bio) return fail(bio.error());
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    std::size_t loaded = 0;
    for (;;) {
      X509Owner certificate(PEM_read_bio_X509(bio->get(), nullptr, refuse_passphrase, nullptr), &X509_free);
      if (!certificate) break;
      if (X509_STORE_add_cert(store, certificate.get()) != 1) {
        return fail(openssl_error(TlsErrc::bad_trust_store, "certificate " + std::to_string(loaded + 1)));
      }
      ++loaded;
    }
    unsigned long last = ERR_peek_last_error();
    if (loaded == 0 || ERR_GET_LIB(last) != ERR_LIB_PEM || ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
      return fail(openssl_error(TlsErrc::bad_trust_store, "certificate " + std::to_string(loaded + 1)));
    }
    ERR_clear_error();
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // each connection chooses (connect)
  return TlsContext(std::move(context));
}

Result<TlsConnection, TlsError> TlsConnection::connect(const TlsContext& context, int fd, std::string_view server_name,
                                                       bool verify, Deadline deadline) {
  if (!context.context_) return fail(make_error(TlsErrc::connection_setup, "no context (moved from)"));
  ERR_clear_error();
  auto state = std::make_unique<detail::SocketState>();
  state->fd = fd;
  auto made = new_connection(context.context_.get(), *state);
  if (!made) return fail(made.error());
  std::unique_ptr<SSL, Free> ssl(*made);
  const std::string name(server_name);
  // SNI for names only (RFC 6066: never an address literal).
  const bool is_address = !name.empty() && (name.front() == '[' || name.find_first_not_of("0123456789.") == std::string::npos ||
                                            name.find(':') != std::string::npos);
  if (!name.empty() && !is_address && SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1) {
    return fail(openssl_error(TlsErrc::connection_setup, "server name"));
  }
  if (verify) {
    SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (name.empty() || SSL_set1_host(ssl.get(), name.c_str()) != 1) {
      return fail(make_error(TlsErrc::connection_setup, "no host name to verify the certificate against"));
    }
    SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, nullptr);
  }
  SSL_set_connect_state(ssl.get());
  if (auto done = run_handshake(ssl.get(), *state, deadline); !done) return fail(done.error());
  return TlsConnection(std::move(state), std::move(ssl));
}

Result<std::size_t, TlsError> TlsConnection::read(std::span<std::byte> buffer, Deadline deadline) {
  if (failed_ || !ssl_) return fail(make_error(TlsErrc::unusable, "read"));
  if (peer_close_ != PeerClose::none || buffer.empty()) return std::size_t{0};
  for (;;) {
    ERR_clear_error();
    state_->last_errno = 0;
    std::size_t got = 0;
    int done = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &got);
    if (done == 1) return got;
    int ssl_error = SSL_get_error(ssl_.get(), done);
    if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
      short events = ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      if (auto waited = wait_for(state_->fd, events, deadline, "while reading"); !waited) {
        // A read that timed out leaves the TLS state sound: the session may
        // still write its 421 and close_notify.
        if (waited.error().kind != TlsErrc::timeout) failed_ = true;
        return fail(waited.error());
      }
      continue;
    }
    if (ssl_error == SSL_ERROR_ZERO_RETURN) {
      peer_close_ = PeerClose::close_notify;
      ERR_clear_error();
      return std::size_t{0};
    }
    failed_ = true;
    if (state_->saw_eof &&
        (ssl_error == SSL_ERROR_SYSCALL || (ssl_error == SSL_ERROR_SSL && first_error_is_unexpected_eof()))) {
      peer_close_ = PeerClose::eof;
      ERR_clear_error();
      return std::size_t{0};
    }
    return fail(connection_error(ssl_error, *state_, TlsErrc::protocol));
  }
}

Status<TlsError> TlsConnection::write_all(std::span<const std::byte> bytes, Deadline deadline) {
  if (failed_ || !ssl_) return fail(make_error(TlsErrc::unusable, "write"));
  while (!bytes.empty()) {
    ERR_clear_error();
    state_->last_errno = 0;
    std::size_t written = 0;
    int done = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
    if (done == 1) {
      bytes = bytes.subspan(written);
      continue;
    }
    int ssl_error = SSL_get_error(ssl_.get(), done);
    if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
      short events = ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      // A write cut short leaves a record half sent: the connection ends.
      if (auto waited = wait_for(state_->fd, events, deadline, "while writing"); !waited) {
        failed_ = true;
        return fail(waited.error());
      }
      continue;
    }
    failed_ = true;
    return fail(connection_error(ssl_error, *state_, TlsErrc::protocol));
  }
  return {};
}

std::string_view TlsConnection::version() const noexcept {
  if (!ssl_) return {};
  return SSL_get_version(ssl_.get());
}

std::string_view TlsConnection::cipher() const noexcept {
  if (!ssl_) return {};
  return SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_.get()));
}

void TlsConnection::shutdown(Deadline deadline) noexcept {
  if (failed_ || shut_down_ || !ssl_) return;
  shut_down_ = true;
  for (;;) {
    ERR_clear_error();
    state_->last_errno = 0;
    int done = SSL_shutdown(ssl_.get());
    if (done >= 0) break;  // 0: close_notify sent; 1: and the client's received
    int ssl_error = SSL_get_error(ssl_.get(), done);
    if (ssl_error != SSL_ERROR_WANT_WRITE) break;
    if (!wait_for(state_->fd, POLLOUT, deadline, "while shutting down")) break;
  }
  ERR_clear_error();
}

}  // namespace qcell::tls
