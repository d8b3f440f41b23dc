// smtp_session.cc (fuzz) — the whole qmail-smtpd receiver (session.h)
// driven in-process from a byte buffer: no socket, a fake queue and a fake
// authenticator. The client's bytes are fed whole to one session and in
// chunks to another, and the harness traps when the two disagree (output,
// log, injections, outcome); when a reply line is not "DDD" + space or
// hyphen, is over 512 bytes, holds a control byte, or is not CRLF-ended;
// when output follows the close; when a message is finished without a 250
// reply for it or a queued message holds a CR or a NUL; or when a session
// accepts more recipients than its limit.
//
// Input layout: byte 0's low bits choose the configuration (TLS offered,
// AUTH offered, RELAYCLIENT set, whether TLS "starts" when asked), bytes
// 1..4 a cycle of chunk sizes (1..64), the rest is what the client sends.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qmail-smtpd/session.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using namespace qcell;
using namespace qcell::smtpd;


struct Injected {
  std::string message;
  std::vector<std::string> recipients;
  bool finished = false;
  bool aborted = false;
};

class Queue final : public MessageQueue {
 public:
  class One final : public Injection {
   public:
    One(Queue& queue, std::size_t index) : queue_(queue), index_(index) {}
    void write(std::span<const std::byte> bytes) noexcept override {
      queue_.injections[index_].message.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    QueueOutcome finish(const QueueEnvelope& envelope) override {
      Injected& record = queue_.injections[index_];
      require(!record.finished && !record.aborted);
      record.finished = true;
      record.recipients = envelope.recipients;
      QueueOutcome outcome;
      outcome.exit_code = record.message.size() % 7 == 3 ? 53 : 0;  // some fail, deterministically
      return outcome;
    }
    void abort() noexcept override { queue_.injections[index_].aborted = true; }
    std::string id() const override { return std::to_string(index_); }

   private:
    Queue& queue_;
    std::size_t index_;
  };
  Result<std::unique_ptr<Injection>, int> open() override {
    if (injections.size() >= 50) return fail(71);
    injections.emplace_back();
    return std::unique_ptr<Injection>(new One(*this, injections.size() - 1));
  }
  std::vector<Injected> injections;
};

class Auth final : public Authenticator {
 public:
  AuthVerdict verify(std::string_view user, std::string_view password) override {
    if (user == "joe" && password == "secret") return AuthVerdict::ok;
    return user == "tmp" ? AuthVerdict::temporary : AuthVerdict::bad_credentials;
  }
};

std::time_t fixed_clock() { return 1796284800; }

struct Run {
  std::string output;
  std::vector<std::string> log;
  std::vector<Injected> injections;
  bool closed = false;
};

Run drive(const SessionConfig& config, const ClientInfo& client, bool tls_works, std::string_view stream,
          std::span<const std::uint8_t> chunks) {
  Queue queue;
  Auth auth;
  Run run;
  Session session(config, client, queue, &auth);
  session.greet();
  run.output = session.output();
  session.output().clear();
  std::size_t at = 0;
  std::size_t turn = 0;
  while (at < stream.size() && !session.closed()) {
    std::size_t size = chunks.empty() ? stream.size() : 1 + chunks[turn++ % chunks.size()] % 64;
    if (size > stream.size() - at) size = stream.size() - at;
    const SessionAction action = session.feed(stream.substr(at, size));
    at += size;
    run.output += session.output();
    session.output().clear();
    if (action == SessionAction::start_tls) {
      // The rest of this chunk is gone; the client's later bytes arrive "inside TLS".
      if (!tls_works) break;
      session.tls_started({"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
    }
    if (action == SessionAction::close) {
      require(session.closed());
      break;
    }
  }
  if (!session.closed()) session.end_of_input();
  require(session.output().empty());
  run.closed = session.closed();
  run.log = session.log();
  run.injections = queue.injections;
  return run;
}

void check_replies(const Run& run, std::size_t max_recipients) {
  std::size_t at = 0;
  std::size_t queued = 0;
  while (at < run.output.size()) {
    const std::size_t end = run.output.find("\r\n", at);
    require(end != std::string::npos);
    const std::string_view line = std::string_view(run.output).substr(at, end - at);
    require(line.size() >= 4 && line.size() <= 510);
    for (std::size_t i = 0; i < 3; ++i) require(line[i] >= '0' && line[i] <= '9');
    require(line[3] == ' ' || line[3] == '-');
    for (char c : line) require(static_cast<unsigned char>(c) >= 32 && c != 127);
    if (line.starts_with("250 2.0.0 Ok: queued as ")) ++queued;
    at = end + 2;
  }
  std::size_t finished_ok = 0;
  for (const Injected& injected : run.injections) {
    require(!(injected.finished && injected.aborted));
    require(injected.recipients.size() <= max_recipients);
    if (injected.finished) {
      require(!injected.recipients.empty());
      require(injected.message.find('\r') == std::string::npos);
      require(injected.message.find('\0') == std::string::npos);
      require(injected.message.starts_with("Received: from "));
      if (injected.message.size() % 7 != 3) ++finished_ok;
    }
  }
  require(queued == finished_ok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const std::uint8_t flags = data[0];
  SessionConfig config;
  config.me = "mx.example.org";
  config.greeting = "mx.example.org";
  config.local_ip_host = "mx.example.org";
  config.databytes = 200 + (flags >> 5) * 100;
  config.rcpthosts = RecipientHosts({"example.org", ".example.net"}, [](std::string_view key) -> std::optional<bool> {
    if (key == ".broken.example") return std::nullopt;
    return key == "cdb.example";
  });
  config.badmailfrom = BadMailFrom({"bad@bad.example", "@worse.example"});
  config.tls_offered = (flags & 1) != 0;
  config.auth_offered = (flags & 2) != 0;
  config.max_recipients = 5;
  config.clock = fixed_clock;
  ClientInfo client;
  client.remote_ip = "192.0.2.7";
  client.local_ip = "198.51.100.1";
  if ((flags & 4) != 0) client.relay_client = "";
  const bool tls_works = (flags & 8) != 0;
  const std::string_view stream(reinterpret_cast<const char*>(data + 5), size - 5);
  const Run whole = drive(config, client, tls_works, stream, {});
  const Run split = drive(config, client, tls_works, stream, std::span<const std::uint8_t>(data + 1, 4));
  check_replies(whole, config.max_recipients);
  check_replies(split, config.max_recipients);
  // STARTTLS discards the rest of the chunk it came in, so only sessions
  // that never started TLS must agree byte for byte.
  if (whole.output.find("220 2.0.0 Ready to start TLS") == std::string::npos) {
    require(whole.output == split.output);
    require(whole.log == split.log);
    require(whole.closed == split.closed);
    require(whole.injections.size() == split.injections.size());
    for (std::size_t i = 0; i < whole.injections.size(); ++i) {
      require(whole.injections[i].message == split.injections[i].message);
      require(whole.injections[i].finished == split.injections[i].finished);
    }
  }
  return 0;
}
