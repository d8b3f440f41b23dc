// serve.cc — the connection loop. Plain reads use poll(2) with the time
// left and read(2); writes use send(2) with MSG_NOSIGNAL on a socket (write(2)
// on a pipe, with SIGPIPE ignored by main.cc), each bounded by the timeout.
#include "qmail-smtpd/serve.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <optional>

#include "core/limits.h"
#include "core/log_line.h"

namespace qcell::smtpd {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 86'400'000 ? 86'400'000 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline: true when ready.
bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, remaining_ms(deadline));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return true;  // let the read or write report it
  }
}

enum class ReadStatus : std::uint8_t { data, eof, timeout, error };

struct Link {
  int input;
  int output;
  std::optional<TlsContext> context;  // kept as long as the connection that uses it
  std::optional<TlsConnection> tls;

  ReadStatus read(std::span<std::byte> buffer, Deadline deadline, std::size_t& got) {
    if (tls) {
      auto n = tls->read(buffer, deadline);
      if (!n) return n.error().kind == TlsErrc::timeout ? ReadStatus::timeout : ReadStatus::error;
      got = *n;
      return got == 0 ? ReadStatus::eof : ReadStatus::data;
    }
    for (;;) {
      if (!wait_for(input, POLLIN, deadline)) return ReadStatus::timeout;
      const ssize_t n = ::read(input, buffer.data(), buffer.size());
      if (n > 0) {
        got = static_cast<std::size_t>(n);
        return ReadStatus::data;
      }
      if (n == 0) return ReadStatus::eof;
      if (errno == EINTR || errno == EAGAIN) continue;
      return ReadStatus::error;
    }
  }

  bool write(std::string_view bytes, Deadline deadline) {
    if (bytes.empty()) return true;
    if (tls) {
      return tls->write_all(std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()),
                            deadline)
          .ok();
    }
    // Send first (a reply nearly always fits the socket buffer), wait only
    // when the socket is full.
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(output, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == ENOTSOCK) n = ::write(output, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
        if (!wait_for(output, POLLOUT, deadline) || Clock::now() >= deadline) return false;
        continue;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
};

}  // namespace

std::string_view serve_end_name(ServeEnd end) noexcept {
  switch (end) {
    case ServeEnd::closed: return "closed";
    case ServeEnd::client_gone: return "client_gone";
    case ServeEnd::timeout: return "timeout";
    case ServeEnd::read_error: return "read_error";
    case ServeEnd::write_error: return "write_error";
    case ServeEnd::tls_failed: return "tls_failed";
  }
  return "unknown";
}

ServeEnd serve(int input, int output, Session& session, const ServeOptions& options) {
  Link link{input, output, std::nullopt, std::nullopt};
  auto drain_log = [&] {
    if (options.log) {
      for (const std::string& line : session.log()) options.log(line);
    }
    session.log().clear();
  };
  auto flush = [&]() -> bool {
    const bool ok = link.write(session.output(), Clock::now() + options.timeout);
    session.output().clear();
    drain_log();
    return ok;
  };
  session.greet();
  if (!flush()) return ServeEnd::write_error;
  std::array<std::byte, limits::read_chunk> buffer{};
  for (;;) {
    std::size_t got = 0;
    switch (link.read(buffer, Clock::now() + options.timeout, got)) {
      case ReadStatus::data: break;
      case ReadStatus::eof:
        session.end_of_input();
        drain_log();
        return ServeEnd::client_gone;
      case ReadStatus::timeout:
        session.timed_out();
        (void)flush();
        return ServeEnd::timeout;
      case ReadStatus::error:
        session.end_of_input();
        drain_log();
        return ServeEnd::read_error;
    }
    const SessionAction action = session.feed(std::span<const std::byte>(buffer.data(), got));
    if (!flush()) return ServeEnd::write_error;
    if (action == SessionAction::close) break;
    if (action == SessionAction::start_tls) {
      // Under tcpserver 0 and 1 are the same socket: TLS runs on `input`.
      if (options.tls == nullptr) {
        session.end_of_input();
        drain_log();
        return ServeEnd::tls_failed;
      }
      auto context = make_tls_context(*options.tls);
      if (!context) {
        if (options.log) options.log("tls-failed error=" + log_value(context.error().text, 300));
        session.end_of_input();
        drain_log();
        return ServeEnd::tls_failed;
      }
      link.context.emplace(std::move(context.value()));
      auto tls = TlsConnection::accept(*link.context, input, Clock::now() + options.timeout);
      if (!tls) {
        if (options.log) options.log("tls-failed error=" + log_value(tls.error().text, 300));
        session.end_of_input();
        drain_log();
        return ServeEnd::tls_failed;
      }
      link.tls.emplace(std::move(tls.value()));
      session.tls_started({std::string(link.tls->version()), std::string(link.tls->cipher())});
      drain_log();
    }
  }
  if (link.tls) link.tls->shutdown(Clock::now() + std::chrono::seconds(5));
  return ServeEnd::closed;
}

}  // namespace qcell::smtpd
