// main.cc (qcell-testcell) — the containment tests' hostile cell. It reads
// one command per line on descriptor 0, tries it, and answers one line on
// descriptor 1: "ok ...", "errno N" or, for a forbidden system call, nothing
// (the kernel kills it). Descriptor 2 is its log. Its input comes from the
// test only; it is deliberately written to attempt escapes, not to be safe.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>

#include "core/broker_request.h"
#include "core/fd_passing.h"

namespace {

// Answers go to descriptor 1, or back on descriptor 0 for a cell started per
// connection (which holds only the connection, at 0).
int answer_fd = 1;

void answer(const char* text) {
  char line[512];
  int n = std::snprintf(line, sizeof line, "%s\n", text);
  if (n > 0 && ::write(answer_fd, line, static_cast<std::size_t>(n)) < 0) ::_exit(3);
}

void answer_result(long rc) {
  char text[64];
  if (rc < 0) {
    std::snprintf(text, sizeof text, "errno %d", errno);
  } else {
    std::snprintf(text, sizeof text, "ok %ld", rc);
  }
  answer(text);
}

// Reads one line from fd 0 into `line`; false at end of input.
bool read_command(char* line, std::size_t size) {
  std::size_t used = 0;
  while (used + 1 < size) {
    char c = 0;
    ssize_t n = ::read(0, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') break;
    line[used++] = c;
  }
  line[used] = '\0';
  return true;
}

void run(char* command) {
  char* argument = std::strchr(command, ' ');
  if (argument != nullptr) *argument++ = '\0';
  const char* arg = argument == nullptr ? "" : argument;

  if (std::strcmp(command, "ping") == 0) {
    answer("ok pong");
  } else if (std::strcmp(command, "open") == 0) {  // open a path for reading
    answer_result(::open(arg, O_RDONLY | O_CLOEXEC));
  } else if (std::strcmp(command, "create") == 0) {  // create a file
    answer_result(::open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  } else if (std::strcmp(command, "listdir") == 0) {  // count entries of a directory
    DIR* dir = ::opendir(arg);
    if (dir == nullptr) {
      answer_result(-1);
      return;
    }
    long count = 0;
    while (::readdir(dir) != nullptr) ++count;
    ::closedir(dir);
    answer_result(count);
  } else if (std::strcmp(command, "connect") == 0) {  // TCP connect to 127.0.0.1:PORT
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      answer_result(-1);
      return;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<unsigned short>(std::atoi(arg)));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    answer_result(::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address));
    ::close(s);
  } else if (std::strcmp(command, "connect-tcp") == 0) {  // TCP connect to HOST (IPv4) PORT
    char host[64] = {};
    unsigned port = 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (std::sscanf(arg, "%63s %u", host, &port) != 2 || port > 65535 ||
        ::inet_pton(AF_INET, host, &address.sin_addr) != 1) {
      answer("error usage: connect-tcp HOST PORT");
      return;
    }
    address.sin_port = htons(static_cast<unsigned short>(port));
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      answer_result(-1);
      return;
    }
    answer_result(::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address));
    ::close(s);
  } else if (std::strcmp(command, "bind-tcp") == 0) {  // bind a TCP socket to 127.0.0.1:PORT
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      answer_result(-1);
      return;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<unsigned short>(std::atoi(arg)));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    answer_result(::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address));
    ::close(s);
  } else if (std::strcmp(command, "kill") == 0) {  // send SIGTERM to a pid
    answer_result(::kill(static_cast<pid_t>(std::atol(arg)), SIGTERM));
  } else if (std::strcmp(command, "alloc") == 0) {  // map and touch N MiB
    std::size_t bytes = static_cast<std::size_t>(std::atol(arg)) << 20;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      answer_result(-1);
      return;
    }
    std::memset(p, 1, bytes);
    answer("ok mapped");
  } else if (std::strcmp(command, "fill") == 0) {  // write N KiB to an open file descriptor 3
    ::signal(SIGXFSZ, SIG_IGN);                    // a file-size overrun then fails with EFBIG instead of killing
    char block[1024];
    std::memset(block, 'f', sizeof block);
    long total = 0;
    for (long i = 0; i < std::atol(arg); ++i) {
      ssize_t n = ::write(3, block, sizeof block);
      if (n < 0) {
        answer_result(-1);
        return;
      }
      total += n;
    }
    answer_result(total);
  } else if (std::strcmp(command, "forbidden") == 0) {  // a syscall no policy allows
    ::syscall(SYS_ptrace, 0, 0, 0, 0);
    answer("ok survived");  // never reached: the filter kills the process
  } else if (std::strcmp(command, "exit") == 0) {
    ::_exit(std::atoi(arg));
  } else {
    answer("error unknown command");
  }
}

}  // namespace

void log_line(const std::string& text) {
  std::string line = text + "\n";
  if (::write(2, line.data(), line.size()) < 0) ::_exit(4);
}

// "-requester": asks the broker (descriptor 3) for a spawn-queue, as
// qmail-smtpd will, writes a small message and its envelope into the pipes,
// and logs every reply.
void request_spawn_queue() {
  int message[2], envelope[2];
  if (::pipe2(message, O_CLOEXEC) != 0 || ::pipe2(envelope, O_CLOEXEC) != 0) ::_exit(5);
  static constexpr char text[] = "Subject: from a cell\n\nhello\n";
  static constexpr char addresses[] = "Fcell@example.org\0Trcpt@example.org\0";  // and the final NUL
  if (::write(message[1], text, sizeof text - 1) != sizeof text - 1) ::_exit(5);
  if (::write(envelope[1], addresses, sizeof addresses) != sizeof addresses) ::_exit(5);
  ::close(message[1]);
  ::close(envelope[1]);
  auto deadline = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(10); };
  int fds[] = {message[0], envelope[0]};
  auto sent = qcell::send_request(3, qcell::SpawnQueue{}, fds, deadline());
  log_line(sent.ok() ? "request sent" : "request not sent: " + qcell::describe(sent.error()));
  ::close(message[0]);
  ::close(envelope[0]);
  for (int i = 0; i < 2; ++i) {
    auto reply = qcell::receive_reply(3, deadline());
    if (!reply) {
      log_line("no reply: " + qcell::describe(reply.error()));
      return;
    }
    if (const auto* started = std::get_if<qcell::Started>(&*reply)) {
      log_line("reply started id=" + std::to_string(started->cell_id));
    } else if (const auto* finished = std::get_if<qcell::Finished>(&*reply)) {
      log_line("reply finished id=" + std::to_string(finished->cell_id) +
               " status=" + std::to_string(finished->status.number));
      return;
    } else if (const auto* refused = std::get_if<qcell::Refused>(&*reply)) {
      log_line("reply refused reason=" + std::string(qcell::refusal_reason_name(refused->reason)));
      return;
    }
  }
}

// Started by the broker (`qcell start`), the cell gets its cell name as
// argv[1] and acts by its suffix: "-forbidden" makes a forbidden syscall,
// "-exit" exits with status 3, "-requester" sends a broker request,
// anything else logs and waits forever.
int run_as_long_lived(const char* cell) {
  char line[256];
  int n = std::snprintf(line, sizeof line, "testcell %s started\nsecond line with \"quotes\" and a tab\t.\n", cell);
  if (n > 0 && ::write(2, line, static_cast<std::size_t>(n)) < 0) return 4;
  std::size_t length = std::strlen(cell);
  auto ends_with = [&](const char* suffix) {
    std::size_t s = std::strlen(suffix);
    return length >= s && std::strcmp(cell + length - s, suffix) == 0;
  };
  if (ends_with("-forbidden")) ::syscall(SYS_ptrace, 0, 0, 0, 0);
  if (ends_with("-exit")) return 3;
  if (ends_with("-requester")) request_spawn_queue();
  for (;;) ::pause();
}

int main(int argc, char** argv) {
  // Long-lived test cells are named testcell-*; any other name (a cell
  // started on request, such as a stand-in qmail-queue) reads commands.
  if (argc > 1 && std::strncmp(argv[1], "testcell-", 9) == 0) return run_as_long_lived(argv[1]);
  struct stat st {};
  if (::fstat(1, &st) != 0) answer_fd = 0;  // fstat: the one probe its policy allows
  char line[512];
  while (read_command(line, sizeof line)) run(line);
  return 0;
}
