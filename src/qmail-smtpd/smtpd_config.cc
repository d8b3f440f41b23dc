// smtpd_config.cc — control values and environment into a SmtpdSetup,
// with the control table's defaults (control.h) and qmail's DATABYTES and
// RELAYCLIENT rules.
#include "qmail-smtpd/smtpd_config.h"

#include "core/byte_buffer.h"
#include "core/control.h"
#include "core/limits.h"

namespace qcell::smtpd {

namespace {

using Fail = std::string;

Result<std::optional<std::string>, Fail> raw(const ControlSnapshot& snapshot, std::string_view name) {
  auto content = snapshot.file(name);
  if (!content) return fail("control snapshot: cannot read control/" + std::string(name));
  return std::move(content.value());
}

std::string env_or_empty(EnvironmentLookup environment, const char* name) {
  const char* value = environment(name);
  return value != nullptr ? std::string(value) : std::string();
}

}  // namespace

Result<SmtpdSetup, std::string> load_smtpd_setup(const ControlSnapshot& snapshot, EnvironmentLookup environment) {
  SmtpdSetup setup;
  SessionConfig& config = setup.session;
  auto me = snapshot_value(snapshot, "me", "");
  if (!me) return fail(me.error());
  if (me->empty()) return fail(std::string("control/me: required file is missing"));
  config.me = *me;
  auto greeting = snapshot_value(snapshot, "smtpgreeting", config.me);
  if (!greeting) return fail(greeting.error());
  config.greeting = *greeting;
  auto local_ip_host = snapshot_value(snapshot, "localiphost", config.me);
  if (!local_ip_host) return fail(local_ip_host.error());
  config.local_ip_host = *local_ip_host;
  auto rcpthosts = snapshot_list(snapshot, "rcpthosts", true);
  if (!rcpthosts) return fail(rcpthosts.error());
  const ControlSnapshot* source = &snapshot;
  config.rcpthosts = RecipientHosts(std::move(rcpthosts.value()), [source](std::string_view key) -> std::optional<bool> {
    auto found = source->morercpthosts(key);
    if (!found) return std::nullopt;
    return *found;
  });
  auto badmailfrom = snapshot_list(snapshot, "badmailfrom", false);
  if (!badmailfrom) return fail(badmailfrom.error());
  config.badmailfrom = BadMailFrom(std::move(badmailfrom.value()));
  auto databytes = snapshot_number(snapshot, "databytes");
  if (!databytes) return fail(databytes.error());
  config.databytes = *databytes == 0 ? limits::message_size_default : *databytes;
  // qmail-smtpd: DATABYTES in the environment (from tcp.smtp) overrides.
  if (const char* override_bytes = environment("DATABYTES"); override_bytes != nullptr) {
    const std::string_view text(override_bytes);
    auto parsed = parse_control_number(as_bytes(text), 0, limits::message_size_ceiling);
    if (!parsed || !*parsed) return fail("DATABYTES: not a number from 0 to " + std::to_string(limits::message_size_ceiling));
    if (**parsed != 0) config.databytes = **parsed;
  }
  auto timeout = snapshot_number(snapshot, "timeoutsmtpd");
  if (!timeout) return fail(timeout.error());
  setup.timeout = std::chrono::seconds(*timeout);

  auto cert = raw(snapshot, "smtpcert.pem");
  if (!cert) return fail(cert.error());
  auto key = raw(snapshot, "smtpkey.pem");
  if (!key) return fail(key.error());
  if (*cert) {
    // qmail's servercert.pem holds both: without smtpkey.pem the key is looked for in the certificate file.
    setup.tls = TlsPem{**cert, *key ? **key : **cert};
    config.tls_offered = true;
  }
  auto secrets_text = raw(snapshot, "smtpsecrets");
  if (!secrets_text) return fail(secrets_text.error());
  if (*secrets_text) {
    auto secrets = parse_secrets(as_bytes(**secrets_text));
    if (!secrets) return fail(format_secrets_error(secrets.error()));
    setup.secrets.emplace(std::move(secrets.value()));
    config.auth_offered = setup.tls.has_value();
  }

  ClientInfo& client = setup.client;
  client.remote_ip = env_or_empty(environment, "TCPREMOTEIP");
  client.remote_host = env_or_empty(environment, "TCPREMOTEHOST");
  client.local_ip = env_or_empty(environment, "TCPLOCALIP");
  if (const char* relay = environment("RELAYCLIENT"); relay != nullptr) client.relay_client = std::string(relay);
  return setup;
}

Result<TlsContext, TlsError> make_tls_context(const TlsPem& pem) {
  if (auto ready = initialise_tls_library(); !ready) return fail(ready.error());
  return TlsContext::from_pem(pem.chain, pem.key);
}

AuthVerdict SecretsAuthenticator::verify(std::string_view user, std::string_view password) {
  switch (smtpd::verify(secrets_, user, password)) {
    case Verdict::ok: return AuthVerdict::ok;
    case Verdict::unavailable: return AuthVerdict::temporary;
    case Verdict::bad_password:
    case Verdict::no_such_user: break;
  }
  return AuthVerdict::bad_credentials;
}

}  // namespace qcell::smtpd
