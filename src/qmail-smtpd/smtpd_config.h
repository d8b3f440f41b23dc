// smtpd_config.h — qmail-smtpd's configuration, read once per connection
// from the control snapshot (control_snapshot.h) and the environment the
// broker or tcpserver gave it (TCPREMOTEIP, TCPREMOTEHOST, TCPLOCALIP,
// RELAYCLIENT, DATABYTES). Control values are the administrator's; the
// environment's addresses are checked where they are used (received.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/control_snapshot.h"
#include "core/result.h"
#include "qmail-smtpd/secrets.h"
#include "qmail-smtpd/session.h"
#include "tls/tls_connection.h"

namespace qcell::smtpd {

// STARTTLS's layer is shared with qmail-remote (src/tls).
using tls::Deadline;
using tls::initialise_tls_library;
using tls::TlsConnection;
using tls::TlsContext;
using tls::TlsErrc;
using tls::TlsError;

// The certificate chain and key, as PEM text. The OpenSSL context is made
// from them only when a client sends STARTTLS (make_tls_context): a session
// without TLS pays neither the library's set-up nor its memory.
struct TlsPem {
  std::string chain;
  std::string key;
};

// Initialises OpenSSL (once) and builds the context; qcell check calls it
// at once to refuse a bad certificate or key before the broker starts.
Result<TlsContext, TlsError> make_tls_context(const TlsPem& pem);

struct SmtpdSetup {
  SessionConfig session;
  ClientInfo client;
  std::chrono::seconds timeout{1200};    // control/timeoutsmtpd
  std::optional<TlsPem> tls;             // control/smtpcert.pem and smtpkey.pem (or the key in the certificate file)
  std::optional<Secrets> secrets;        // control/smtpsecrets, when it exists
};

// Reads the value of environment variable `name`, nullptr when unset.
using EnvironmentLookup = const char* (*)(const char* name);

// The error names the control file and what is wrong with it, for the log
// and the 421 reply. `snapshot` must outlive the result (morercpthosts
// lookups read it).
Result<SmtpdSetup, std::string> load_smtpd_setup(const ControlSnapshot& snapshot, EnvironmentLookup environment);

// The authenticator over control/smtpsecrets.
class SecretsAuthenticator final : public Authenticator {
 public:
  explicit SecretsAuthenticator(const Secrets& secrets) noexcept : secrets_(secrets) {}
  AuthVerdict verify(std::string_view user, std::string_view password) override;

 private:
  const Secrets& secrets_;
};

}  // namespace qcell::smtpd
