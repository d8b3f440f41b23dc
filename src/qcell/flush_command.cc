// flush_command.cc — `qcell queue flush` (flush_command.h).
#include "qcell/flush_command.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "core/fd.h"

namespace qcell {

namespace {

// The status text, or an error.
std::optional<std::string> read_status(const std::string& path, std::string& error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    error = "the status socket's path is too long";
    return std::nullopt;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket || ::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = "no broker answers on " + path + ": " + ::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  while (text.size() < (1u << 20)) {
    pollfd p{socket.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::read(socket.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

std::optional<long> qmail_send_pid(std::string_view status) {
  constexpr std::string_view prefix = "cell=qmail-send state=running pid=";
  std::size_t line = 0;
  while (line < status.size()) {
    std::size_t end = status.find('\n', line);
    if (end == std::string_view::npos) end = status.size();
    std::string_view text = status.substr(line, end - line);
    if (text.substr(0, prefix.size()) == prefix) {
      text.remove_prefix(prefix.size());
      long pid = 0;
      auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
      if (ec == std::errc() && pid > 1 && (stop == text.data() + text.size() || *stop == ' ')) return pid;
    }
    line = end + 1;
  }
  return std::nullopt;
}

int run_flush_command(int argc, char** argv, int out_fd, int err_fd) {
  // argv: qcell queue flush [--root DIR]
  std::string root = "/var/qmail";
  for (int i = 3; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--root" && i + 1 < argc) {
      root = argv[++i];
    } else {
      (void)write_full(err_fd, "qcell queue flush: unknown argument: " + std::string(arg) +
                                   "\nusage: qcell queue flush [--root DIR]\n");
      return 100;
    }
  }
  std::string error;
  auto status = read_status(root + "/run/qcell.status", error);
  if (!status) {
    (void)write_full(err_fd, "qcell queue flush: " + error + "\n");
    return 111;
  }
  auto pid = qmail_send_pid(*status);
  if (!pid) {
    (void)write_full(err_fd, "qcell queue flush: no qmail-send cell is running\n");
    return 111;
  }
  if (::kill(static_cast<pid_t>(*pid), SIGALRM) != 0) {
    (void)write_full(err_fd, "qcell queue flush: cannot signal qmail-send (pid " + std::to_string(*pid) +
                                 "): " + ::strerror(errno) + "\n");
    return 111;
  }
  (void)write_full(out_fd, "qcell queue flush: qmail-send (pid " + std::to_string(*pid) +
                               ") tries every waiting delivery now\n");
  return 0;
}

}  // namespace qcell
