// smtp_tls_test.cc — the TLS layer (tls/tls_connection.h): a context from
// PEM bytes (made here with OpenSSL, no files) with each refusal and its
// text; handshakes with an OpenSSL client on a thread over a socketpair;
// TLS 1.1, garbage and plaintext before the ClientHello refused; deadlines
// that a silent or trickling client cannot stretch; close_notify told from
// a bare end of file; no SIGPIPE; and, once set up, no system call beyond
// a short list (proved under a seccomp filter that allows only that list).
#include "tls/tls_connection.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <thread>

#include "core/fd.h"

namespace qcell::smtpd {
namespace {

using namespace qcell::tls;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Deadline in(std::chrono::milliseconds span) { return Clock::now() + span; }

std::span<const std::byte> bytes_of(std::string_view text) { return std::as_bytes(std::span(text)); }

using X509Owner = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyOwner = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using SslOwner = std::unique_ptr<SSL, decltype(&SSL_free)>;
using CtxOwner = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

std::string drain(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return text;
}

std::string certificate_pem(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, certificate);
  return drain(bio);
}

std::string key_pem(EVP_PKEY* key, const char* passphrase = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (passphrase == nullptr) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(),
                             reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase)),
                             static_cast<int>(std::strlen(passphrase)), nullptr, nullptr);
  }
  return drain(bio);
}

// A certificate for `key`, self-signed when there is no issuer; a CA when
// `is_ca`. Valid from an hour ago for a day.
X509Owner make_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key, bool is_ca) {
  static long serial = 1;
  X509Owner certificate(X509_new(), &X509_free);
  X509* x = certificate.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509V3_CTX v3{};
  X509V3_set_ctx(&v3, issuer != nullptr ? issuer : x, x, nullptr, nullptr, 0);
  X509_EXTENSION* constraints =
      X509V3_EXT_conf_nid(nullptr, &v3, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  X509_add_ext(x, constraints, -1);
  X509_EXTENSION_free(constraints);
  X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return certificate;
}

// Keys and certificates, made once for the whole suite.
struct Material {
  KeyOwner ca_key{nullptr, &EVP_PKEY_free};
  X509Owner ca{nullptr, &X509_free};
  KeyOwner leaf_key{nullptr, &EVP_PKEY_free};
  X509Owner leaf{nullptr, &X509_free};
  std::string chain;         // leaf, then the CA
  std::string key;           // the leaf's key
  std::string other_ec_key;  // another P-256 key
  std::string rsa_key;       // an RSA 2048 key
  std::string weak_chain;    // a self-signed RSA 1024 certificate
  std::string weak_key;
};

const Material& material() {
  static const Material* const made = [] {
    // Before any other OpenSSL call, so that the test process never reads
    // openssl.cnf either.
    EXPECT_TRUE(initialise_tls_library().ok());
    auto* m = new Material;
    m->ca_key.reset(EVP_EC_gen("P-256"));
    m->ca = make_certificate(m->ca_key.get(), "qcell test CA", nullptr, nullptr, true);
    m->leaf_key.reset(EVP_EC_gen("P-256"));
    m->leaf = make_certificate(m->leaf_key.get(), "mx.example.org", m->ca.get(), m->ca_key.get(), false);
    m->chain = certificate_pem(m->leaf.get()) + certificate_pem(m->ca.get());
    m->key = key_pem(m->leaf_key.get());
    KeyOwner other(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    m->other_ec_key = key_pem(other.get());
    KeyOwner rsa(EVP_RSA_gen(2048), &EVP_PKEY_free);
    m->rsa_key = key_pem(rsa.get());
    KeyOwner weak(EVP_RSA_gen(1024), &EVP_PKEY_free);
    X509Owner weak_certificate = make_certificate(weak.get(), "weak.example.org", nullptr, nullptr, false);
    m->weak_chain = certificate_pem(weak_certificate.get());
    m->weak_key = key_pem(weak.get());
    return m;
  }();
  return *made;
}

const TlsContext& server_context() {
  static const TlsContext* const context = [] {
    auto made = TlsContext::from_pem(material().chain, material().key);
    if (!made) ADD_FAILURE() << made.error().text;
    return new TlsContext(std::move(made).value());
  }();
  return *context;
}

// What a client asks for.
struct ClientOptions {
  int min_version = 0;
  int max_version = 0;
  const char* cipher_list = nullptr;  // TLS 1.2 and below
  const char* suites = nullptr;       // TLS 1.3
  bool trust_test_ca = false;         // verify the server's chain against the test CA
};

// An OpenSSL client on a connected descriptor (blocking, timeouts set by
// Peer). Null, with the reason in `error`, if the handshake failed.
SslOwner connect_client(int fd, const ClientOptions& options, std::string& error) {
  CtxOwner context(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(context.get(), options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(context.get(), options.max_version);
  if (options.cipher_list != nullptr) SSL_CTX_set_cipher_list(context.get(), options.cipher_list);
  if (options.suites != nullptr) SSL_CTX_set_ciphersuites(context.get(), options.suites);
  if (options.trust_test_ca) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(context.get()), material().ca.get());
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  }
  SslOwner ssl(SSL_new(context.get()), &SSL_free);
  SSL_set_fd(ssl.get(), fd);
  if (SSL_connect(ssl.get()) != 1) {
    std::array<char, 256> text{};
    ERR_error_string_n(ERR_get_error(), text.data(), text.size());
    error = text.data();
    ERR_clear_error();
    return SslOwner(nullptr, &SSL_free);
  }
  return ssl;
}

// Reads exactly `size` bytes from the client SSL, or fewer at the end.
std::string client_read(SSL* ssl, std::size_t size) {
  std::string got;
  std::array<char, 16384> buffer{};
  while (got.size() < size) {
    std::size_t n = 0;
    if (SSL_read_ex(ssl, buffer.data(), std::min(buffer.size(), size - got.size()), &n) != 1) break;
    got.append(buffer.data(), n);
  }
  return got;
}

bool client_write(SSL* ssl, std::string_view text) {
  std::size_t written = 0;
  return SSL_write_ex(ssl, text.data(), text.size(), &written) == 1 && written == text.size();
}

// The client end of a socketpair, run by `body` on a thread of its own with
// SIGPIPE blocked there (OpenSSL's own socket BIO uses write(2)) and 10 s
// socket timeouts so that no failure hangs the suite. The server end stays
// here; the destructor shuts it down, which ends any read the client is
// still blocked in, and joins.
class Peer {
 public:
  explicit Peer(std::function<void(int)> body) {
    std::array<int, 2> fds{};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0) std::abort();
    server_.reset(fds[0]);
    thread_ = std::thread([fd = fds[1], body = std::move(body)] {
      UniqueFd own(fd);
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      timeval limit{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      body(fd);
    });
  }
  ~Peer() {
    if (thread_.joinable()) hang_up_and_join();
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  [[nodiscard]] int server_fd() const { return server_.get(); }
  void join() { thread_.join(); }
  // What the SMTP layer does after a failed handshake: OpenSSL sends no
  // alert for some failures (a record that is not TLS at all).
  void hang_up_and_join() {
    ::shutdown(server_.get(), SHUT_RDWR);
    thread_.join();
  }

 private:
  UniqueFd server_;
  std::thread thread_;
};

// Reads from the server side until `size` bytes or the end.
std::string server_read(TlsConnection& connection, std::size_t size) {
  std::string got;
  std::byte buffer[16384];
  while (got.size() < size) {
    auto n = connection.read(std::span(buffer), in(10s));
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<const char*>(buffer), *n);
  }
  return got;
}

// ---------------------------------------------------------------- context

TEST(SmtpTls, ContextFromChainAndKeyPem) {
  auto context = TlsContext::from_pem(material().chain, material().key);
  ASSERT_TRUE(context.ok()) << context.error().text;
}

TEST(SmtpTls, AcceptsQmailStyleCombinedPem) {
  // qmail's servercert.pem: the key and the certificates in one file.
  std::string combined = material().key + material().chain;
  auto context = TlsContext::from_pem(combined, combined);
  ASSERT_TRUE(context.ok()) << context.error().text;
}

TEST(SmtpTls, RefusesABadCertificatePem) {
  auto garbage = TlsContext::from_pem("this is not PEM\n", material().key);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().kind, TlsErrc::bad_certificate);
  EXPECT_EQ(garbage.error().text,
            "bad certificate chain PEM: first certificate: error:0480006C:PEM routines::no start line (Expecting: "
            "CERTIFICATE)");

  auto empty = TlsContext::from_pem("", material().key);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, TlsErrc::bad_certificate);

  // A block whose base64 is broken.
  std::string broken = material().chain.substr(0, material().chain.find("-----END"));
  broken[broken.size() / 2] = '!';
  broken += "-----END CERTIFICATE-----\n";
  auto corrupt = TlsContext::from_pem(broken, material().key);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().kind, TlsErrc::bad_certificate);
  EXPECT_NE(corrupt.error().text.find("bad certificate chain PEM: first certificate: error:"), std::string::npos)
      << corrupt.error().text;

  // A good leaf followed by a broken intermediate.
  auto second = TlsContext::from_pem(
      material().chain.substr(0, material().chain.size() / 2 + 40) + "\n" + "-----END CERTIFICATE-----\n",
      material().key);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, TlsErrc::bad_certificate);
  EXPECT_NE(second.error().text.find("bad certificate chain PEM: chain certificate: error:"), std::string::npos)
      << second.error().text;
}

TEST(SmtpTls, RefusesAWeakCertificate) {
  // Security level 2: an RSA key under 2048 bits.
  auto weak = TlsContext::from_pem(material().weak_chain, material().weak_key);
  ASSERT_FALSE(weak.ok());
  EXPECT_EQ(weak.error().kind, TlsErrc::bad_certificate);
  EXPECT_EQ(weak.error().text,
            "bad certificate chain PEM: first certificate: error:0A00018F:SSL routines::ee key too small");
}

TEST(SmtpTls, RefusesABadKeyPem) {
  auto garbage =
      TlsContext::from_pem(material().chain, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().kind, TlsErrc::bad_key);
  EXPECT_EQ(garbage.error().text,
            "bad private key PEM: error:1E08010C:DECODER routines::unsupported (No supported data to decode. Input "
            "type: PEM)");

  auto none = TlsContext::from_pem(material().chain, material().chain);  // certificates, no key
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, TlsErrc::bad_key);
  EXPECT_EQ(none.error().text.rfind("bad private key PEM: error:", 0), 0u) << none.error().text;
}

TEST(SmtpTls, RefusesAnEncryptedKeyWithoutPrompting) {
  auto encrypted = TlsContext::from_pem(material().chain, key_pem(material().leaf_key.get(), "secret"));
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(encrypted.error().kind, TlsErrc::bad_key);
  EXPECT_EQ(encrypted.error().text,
            "bad private key PEM: encrypted (give the key unencrypted): error:07880109:common libcrypto "
            "routines::interrupted or cancelled");
}

TEST(SmtpTls, RefusesAKeyThatDoesNotMatch) {
  auto other = TlsContext::from_pem(material().chain, material().other_ec_key);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, TlsErrc::key_mismatch);
  EXPECT_EQ(other.error().text,
            "the private key does not match the certificate: error:05800074:x509 certificate routines::key values "
            "mismatch");

  auto rsa = TlsContext::from_pem(material().chain, material().rsa_key);
  ASSERT_FALSE(rsa.ok());
  EXPECT_EQ(rsa.error().kind, TlsErrc::key_mismatch);
  EXPECT_EQ(rsa.error().text,
            "the private key does not match the certificate: error:03000065:digital envelope routines::different key "
            "types");
}

TEST(SmtpTls, EveryErrorHasANameAndADescription) {
  std::set<std::string_view> names;
  std::set<std::string_view> descriptions;
  for (auto kind = static_cast<int>(TlsErrc::library_init); kind <= static_cast<int>(TlsErrc::verify_failed); ++kind) {
    names.insert(tls_error_name(static_cast<TlsErrc>(kind)));
    descriptions.insert(tls_error_description(static_cast<TlsErrc>(kind)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(TlsErrc::verify_failed) + 1);
  EXPECT_EQ(descriptions.size(), names.size());
  EXPECT_EQ(tls_error_name(TlsErrc::key_mismatch), "key_mismatch");
}

// ---------------------------------------------------------------- handshakes

TEST(SmtpTls, HandshakeAndExchangeBothWays) {
  // Set up before the client thread starts (strace of this test tells the
  // handshake's system calls from set-up's: docs/smtpd-tls.md).
  const TlsContext& context = server_context();
  std::string client_error;
  std::string client_got;
  long verified = -1;
  int chain_length = 0;
  bool server_close_notify = false;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {.trust_test_ca = true}, client_error);
    if (!ssl) return;
    verified = SSL_get_verify_result(ssl.get());
    chain_length = sk_X509_num(SSL_get_peer_cert_chain(ssl.get()));
    client_write(ssl.get(), "EHLO client.example.org\r\n");
    client_got = client_read(ssl.get(), 26);
    SSL_shutdown(ssl.get());  // close_notify
    char byte;
    std::size_t n = 0;
    server_close_notify =
        SSL_read_ex(ssl.get(), &byte, 1, &n) == 0 && SSL_get_error(ssl.get(), 0) == SSL_ERROR_ZERO_RETURN;
  });
  auto connection = TlsConnection::accept(context, peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  EXPECT_EQ(connection->version(), "TLSv1.3");
  EXPECT_EQ(connection->cipher(), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(server_read(*connection, 25), "EHLO client.example.org\r\n");
  ASSERT_TRUE(connection->write_all(bytes_of("250 mx.example.org hello\r\n"), in(10s)).ok());
  std::byte buffer[64];
  auto end = connection->read(std::span(buffer), in(10s));
  ASSERT_TRUE(end.ok()) << end.error().text;
  EXPECT_EQ(*end, 0u);
  EXPECT_EQ(connection->peer_close(), PeerClose::close_notify);
  // Reading again still says so.
  EXPECT_EQ(connection->read(std::span(buffer), in(10s)).value(), 0u);
  connection->shutdown(in(10s));
  peer.join();
  EXPECT_EQ(client_error, "");
  EXPECT_EQ(verified, X509_V_OK);
  EXPECT_EQ(chain_length, 2);  // the leaf and the CA were both sent
  EXPECT_EQ(client_got, "250 mx.example.org hello\r\n");
  EXPECT_TRUE(server_close_notify);
}

struct Negotiation {
  ClientOptions options;
  std::string_view version;
  std::string_view cipher;
};

TEST(SmtpTls, ReportsWhatTheClientNegotiated) {
  const Negotiation cases[] = {
      {{.suites = "TLS_CHACHA20_POLY1305_SHA256"}, "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"},
      {{.suites = "TLS_AES_128_GCM_SHA256"}, "TLSv1.3", "TLS_AES_128_GCM_SHA256"},
      {{.max_version = TLS1_2_VERSION, .cipher_list = "ECDHE-ECDSA-CHACHA20-POLY1305"},
       "TLSv1.2",
       "ECDHE-ECDSA-CHACHA20-POLY1305"},
      // Server preference: the client would rather have AES-128.
      {{.max_version = TLS1_2_VERSION, .cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"},
       "TLSv1.2",
       "ECDHE-ECDSA-AES256-GCM-SHA384"},
  };
  for (const Negotiation& expected : cases) {
    std::string client_error;
    std::string client_cipher;
    Peer peer([&](int fd) {
      SslOwner ssl = connect_client(fd, expected.options, client_error);
      if (!ssl) return;
      client_cipher = SSL_get_cipher_name(ssl.get());
      client_write(ssl.get(), "QUIT\r\n");
      SSL_shutdown(ssl.get());
    });
    auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
    ASSERT_TRUE(connection.ok()) << connection.error().text;
    EXPECT_EQ(connection->version(), expected.version);
    EXPECT_EQ(connection->cipher(), expected.cipher);
    EXPECT_EQ(server_read(*connection, 6), "QUIT\r\n");
    peer.join();
    EXPECT_EQ(client_error, "");
    EXPECT_EQ(client_cipher, expected.cipher);
  }
}

TEST(SmtpTls, RefusesATls11Client) {
  std::string client_error;
  Peer peer([&](int fd) {
    // OpenSSL 3 needs security level 0 to speak TLS 1.1 at all.
    SslOwner ssl = connect_client(
        fd, {.min_version = TLS1_1_VERSION, .max_version = TLS1_1_VERSION, .cipher_list = "DEFAULT:@SECLEVEL=0"},
        client_error);
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::handshake);
  EXPECT_EQ(connection.error().text, "TLS handshake failed: error:0A000102:SSL routines::unsupported protocol");
  peer.join();
  EXPECT_NE(client_error, "");
}

TEST(SmtpTls, RefusesGarbageInsteadOfAClientHello) {
  std::string alert;
  Peer peer([&](int fd) {
    ASSERT_TRUE(write_full(fd, "EHLO client.example.org\r\n").ok());
    std::array<char, 64> buffer{};
    ssize_t n = ::read(fd, buffer.data(), buffer.size());  // an alert, then the end
    if (n > 0) alert.assign(buffer.data(), static_cast<std::size_t>(n));
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::handshake);
  EXPECT_EQ(connection.error().text, "TLS handshake failed: error:0A00010B:SSL routines::wrong version number");
}

TEST(SmtpTls, PlaintextBeforeTheClientHelloIsNeverTakenAsTls) {
  // CVE-2011-0411: a client pipelines a command after STARTTLS in the clear,
  // then starts TLS. Whatever the SMTP layer had read it has discarded; the
  // bytes still in the socket reach the TLS layer as a broken record.
  std::string client_error;
  Peer peer([&](int fd) {
    ASSERT_TRUE(write_full(fd, "RSET\r\n").ok());
    SslOwner ssl = connect_client(fd, {}, client_error);
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::handshake);
  EXPECT_EQ(connection.error().text, "TLS handshake failed: error:0A00010B:SSL routines::wrong version number");
  peer.hang_up_and_join();
  EXPECT_NE(client_error, "");
}

TEST(SmtpTls, HandshakeDeadlinePassesWhenTheClientSendsNothing) {
  Peer peer([](int fd) {
    char byte;
    [[maybe_unused]] ssize_t n = ::read(fd, &byte, 1);  // until the server gives up
  });
  auto start = Clock::now();
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), start + 300ms);
  auto took = Clock::now() - start;
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::timeout);
  EXPECT_EQ(connection.error().text, "TLS deadline passed: during the handshake");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(SmtpTls, ATricklingClientCannotStretchTheHandshakeDeadline) {
  std::atomic<bool> stop = false;
  Peer peer([&](int fd) {
    // A handshake record header announcing 512 bytes, then one byte every
    // 20 ms: each poll wakes up, but the deadline is for the whole handshake.
    const std::array<unsigned char, 5> header = {0x16, 0x03, 0x01, 0x02, 0x00};
    if (::send(fd, header.data(), header.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(header.size())) return;
    for (int i = 0; i < 500 && !stop; ++i) {
      unsigned char byte = 0x01;
      if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(20ms);
    }
  });
  auto start = Clock::now();
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), start + 300ms);
  auto took = Clock::now() - start;
  stop = true;
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::timeout);
  EXPECT_LT(took, 3s);
}

TEST(SmtpTls, AClientThatHangsUpDuringTheHandshakeIsPeerClosed) {
  Peer peer([](int fd) { ::shutdown(fd, SHUT_RDWR); });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::peer_closed);
  EXPECT_EQ(connection.error().text,
            "the client closed the connection during the TLS handshake: error:0A000126:SSL routines::unexpected eof "
            "while reading");
}

TEST(SmtpTls, AMovedFromContextIsRefused) {
  auto context = TlsContext::from_pem(material().chain, material().key);
  ASSERT_TRUE(context.ok());
  TlsContext taken = std::move(context).value();
  Peer peer([](int) {});
  auto connection = TlsConnection::accept(*context, peer.server_fd(), in(1s));  // NOLINT(bugprone-use-after-move)
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, TlsErrc::connection_setup);
}

// ---------------------------------------------------------------- after the handshake

TEST(SmtpTls, ReadDeadlinePassesAndTheConnectionStaysUsable) {
  std::string client_error;
  std::string client_got;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {}, client_error);
    if (!ssl) return;
    client_got = client_read(ssl.get(), 40);  // sends nothing, waits for the server
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  std::byte buffer[64];
  auto start = Clock::now();
  auto read = connection->read(std::span(buffer), start + 200ms);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, TlsErrc::timeout);
  EXPECT_EQ(read.error().text, "TLS deadline passed: while reading");
  EXPECT_GE(Clock::now() - start, 200ms);
  // qmail-smtpd answers a timeout before it hangs up.
  ASSERT_TRUE(connection->write_all(bytes_of("451 timeout (#4.4.2)\r\n"), in(10s)).ok());
  connection->shutdown(in(10s));
  peer.join();
  EXPECT_EQ(client_got, "451 timeout (#4.4.2)\r\n");
}

TEST(SmtpTls, ReadTellsAnEndWithoutCloseNotify) {
  std::string client_error;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {}, client_error);
    if (!ssl) return;
    client_write(ssl.get(), "DATA\r\n");
    ::shutdown(fd, SHUT_RDWR);  // no close_notify: a truncation
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  EXPECT_EQ(server_read(*connection, 6), "DATA\r\n");
  std::byte buffer[64];
  auto end = connection->read(std::span(buffer), in(10s));
  ASSERT_TRUE(end.ok()) << end.error().text;
  EXPECT_EQ(*end, 0u);
  EXPECT_EQ(connection->peer_close(), PeerClose::eof);
  // The connection is over: no write, and shutdown does nothing.
  auto write = connection->write_all(bytes_of("250 ok\r\n"), in(1s));
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().kind, TlsErrc::unusable);
  connection->shutdown(in(1s));
  EXPECT_EQ(connection->read(std::span(buffer).first(0), in(1s)).error().kind, TlsErrc::unusable);
}

TEST(SmtpTls, AnEmptyBufferReadsNothing) {
  std::string client_error;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {}, client_error);
    if (ssl) SSL_shutdown(ssl.get());
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  std::byte buffer[1];
  EXPECT_EQ(connection->read(std::span(buffer).first(0), in(1s)).value(), 0u);
  EXPECT_EQ(connection->peer_close(), PeerClose::none);
}

TEST(SmtpTls, MovesALargeMessageEachWay) {
  std::string message;
  for (std::size_t i = 0; message.size() < (1u << 20); ++i) message += "line " + std::to_string(i) + "\r\n";
  std::string client_error;
  std::string client_got;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {}, client_error);
    if (!ssl) return;
    client_write(ssl.get(), message);
    client_got = client_read(ssl.get(), message.size());
    SSL_shutdown(ssl.get());
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  EXPECT_TRUE(server_read(*connection, message.size()) == message);
  // More than the socket buffer holds: write_all waits for the client.
  auto written = connection->write_all(bytes_of(message), in(10s));
  ASSERT_TRUE(written.ok()) << written.error().text;
  peer.join();
  EXPECT_EQ(client_error, "");
  EXPECT_TRUE(client_got == message);
}

TEST(SmtpTls, WriteDeadlinePassesWhenTheClientDoesNotRead) {
  std::string client_error;
  std::atomic<bool> done = false;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {}, client_error);
    for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(10ms);  // reads nothing
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  std::string big(4u << 20, 'x');
  auto start = Clock::now();
  auto written = connection->write_all(bytes_of(big), start + 300ms);
  done = true;
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().kind, TlsErrc::timeout);
  EXPECT_EQ(written.error().text, "TLS deadline passed: while writing");
  EXPECT_LT(Clock::now() - start, 3s);
  // A record may be half sent: the connection is over.
  EXPECT_EQ(connection->write_all(bytes_of("x"), in(1s)).error().kind, TlsErrc::unusable);
}

TEST(SmtpTls, WritingToAClientThatIsGoneRaisesNoSigpipe) {
  // SIGPIPE at its default (terminate) and deliverable on this thread: if
  // anything wrote with write(2) or send without MSG_NOSIGNAL, the test
  // binary would die here.
  struct sigaction previous {};
  struct sigaction deflt {};
  deflt.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &deflt, &previous);
  sigset_t pipe_signal;
  sigset_t old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_UNBLOCK, &pipe_signal, &old_mask);

  std::string client_error;
  Peer peer([&](int fd) {
    SslOwner ssl = connect_client(fd, {}, client_error);
    ::shutdown(fd, SHUT_RDWR);
  });
  auto connection = TlsConnection::accept(server_context(), peer.server_fd(), in(10s));
  ASSERT_TRUE(connection.ok()) << connection.error().text;
  peer.join();  // the client's descriptor is closed
  auto written = connection->write_all(bytes_of("250 ok\r\n"), in(10s));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().kind, TlsErrc::system);
  EXPECT_EQ(written.error().sys_errno, EPIPE);
  EXPECT_EQ(written.error().text, "socket error: I/O: Broken pipe");
  connection->shutdown(in(1s));  // nothing: the connection failed

  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &previous, nullptr);
}

// ---------------------------------------------------------------- system calls after set-up

// What the TLS layer needs once TlsContext::from_pem has returned, measured
// with strace (docs/smtpd-tls.md) and proved below: the cell's seccomp
// policy is built from this list.
constexpr int syscalls_after_set_up[] = {
    SCMP_SYS(recvfrom),    // recv(MSG_DONTWAIT) in the socket BIO
    SCMP_SYS(sendto),      // send(MSG_DONTWAIT | MSG_NOSIGNAL) in the socket BIO
    SCMP_SYS(poll),        // waiting with the time left
    SCMP_SYS(getpid),      // OpenSSL 3.0's random generators check for a fork on every call
    SCMP_SYS(brk),         // malloc
    SCMP_SYS(exit_group),  // the child's own _exit
};

// Set by the SIGSYS handler in the filtered child (shared with the parent).
std::atomic<int>* refused_syscall = nullptr;

void report_refused_syscall(int /*signal*/, siginfo_t* info, void* /*context*/) {
  refused_syscall->store(info->si_syscall);
  _exit(99);
}

// The client of the test below, a process of its own: one good session,
// garbage instead of a ClientHello, silence, and a client that hangs up.
[[noreturn]] void run_four_clients(const std::array<int, 4>& fds) {
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) _exit(2);
  for (int fd : fds) {
    timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  }
  std::string error;
  if (SslOwner good = connect_client(fds[0], {}, error)) {
    client_write(good.get(), "EHLO x\r\n");
    client_read(good.get(), 8);
    SSL_shutdown(good.get());
    client_read(good.get(), 1);  // the server's close_notify
  }
  if (!write_full(fds[1], "EHLO x\r\n").ok()) _exit(1);
  // fds[2]: nothing at all.
  if (!connect_client(fds[3], {}, error)) _exit(3);  // a handshake, then gone
  ::close(fds[3]);
  _exit(0);
}

// A child process makes its own context (as the cell will), then loads a
// filter that allows only syscalls_after_set_up and traps anything else,
// then serves the four clients above: a handshake and an exchange both ways
// with close_notify, a handshake refused (an alert sent), a handshake
// deadline, and a write to a client that is gone (EPIPE, no SIGPIPE).
TEST(SmtpTls, NeedsOnlyTheListedSyscallsOnceSetUp) {
  // The sanitizer runtimes make system calls of their own (mmap for shadow
  // memory, sigaltstack) that the list rightly leaves out; the qmail-smtpd
  // cell is never built with them.
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the sanitizer runtime's own system calls are not the TLS layer's";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "the sanitizer runtime's own system calls are not the TLS layer's";
#endif
#endif
  (void)server_context();  // material made, and OpenSSL set up, before forking
  void* shared = ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  refused_syscall = new (shared) std::atomic<int>(-1);

  std::array<int, 4> server_fds{};
  std::array<int, 4> client_fds{};
  for (std::size_t i = 0; i < server_fds.size(); ++i) {
    std::array<int, 2> fds{};
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
    server_fds.at(i) = fds[0];
    client_fds.at(i) = fds[1];
  }
  pid_t client = ::fork();
  ASSERT_GE(client, 0);
  if (client == 0) {
    for (int fd : server_fds) ::close(fd);
    run_four_clients(client_fds);
  }
  for (int fd : client_fds) ::close(fd);

  pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    // Set-up, in this process: it reseeds the random generators after the
    // fork (getrandom) before the filter is loaded.
    auto context = TlsContext::from_pem(material().chain, material().key);
    if (!context) _exit(10);
    struct sigaction trap {};
    trap.sa_sigaction = report_refused_syscall;
    trap.sa_flags = SA_SIGINFO;
    if (::sigaction(SIGSYS, &trap, nullptr) != 0) _exit(11);
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_TRAP);
    if (filter == nullptr) _exit(12);
    for (int call : syscalls_after_set_up) {
      if (seccomp_rule_add(filter, SCMP_ACT_ALLOW, call, 0) != 0) _exit(13);
    }
    if (seccomp_load(filter) != 0) _exit(14);  // not released: free() could need munmap

    auto good = TlsConnection::accept(*context, server_fds[0], in(10s));
    if (!good) _exit(20);
    if (server_read(*good, 8) != "EHLO x\r\n") _exit(21);
    if (!good->write_all(bytes_of("250 ok\r\n"), in(10s))) _exit(22);
    std::byte buffer[8];
    auto end = good->read(std::span(buffer), in(10s));
    if (!end || *end != 0 || good->peer_close() != PeerClose::close_notify) _exit(23);
    good->shutdown(in(10s));

    auto garbage = TlsConnection::accept(*context, server_fds[1], in(10s));
    if (garbage || garbage.error().kind != TlsErrc::handshake) _exit(30);

    auto silent = TlsConnection::accept(*context, server_fds[2], in(100ms));
    if (silent || silent.error().kind != TlsErrc::timeout) _exit(40);

    auto gone = TlsConnection::accept(*context, server_fds[3], in(10s));
    if (!gone) _exit(50);
    Status<TlsError> written;
    for (int i = 0; i < 1000 && written.ok(); ++i) written = gone->write_all(bytes_of("250 ok\r\n"), in(10s));
    if (written || written.error().sys_errno != EPIPE) _exit(51);
    _exit(0);
  }
  for (int fd : server_fds) ::close(fd);

  int status = 0;
  ASSERT_EQ(::waitpid(server, &status, 0), server);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 99) {
    ADD_FAILURE() << "the TLS layer made system call " << refused_syscall->load()
                  << ", which is not in syscalls_after_set_up";
  } else if (WIFSIGNALED(status)) {
    ADD_FAILURE() << "the server child died of signal " << WTERMSIG(status);
  } else {
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the step that failed (see the child's exit codes)";
  }
  int client_status = 0;
  ASSERT_EQ(::waitpid(client, &client_status, 0), client);
  EXPECT_TRUE(WIFEXITED(client_status) && WEXITSTATUS(client_status) == 0);
  ::munmap(shared, sizeof(std::atomic<int>));
}

}  // namespace
}  // namespace qcell::smtpd
