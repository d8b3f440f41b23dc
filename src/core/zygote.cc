// zygote.cc — fork per handover, report to the broker, reap.
#include "core/zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_buffer.h"
#include "core/cell_skeleton.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/zygote_protocol.h"

namespace qcell {

namespace {

using Clock = std::chrono::steady_clock;

// The kind's filter, as the broker compiled it: whole classic-BPF
// instructions, at most the kernel's limit.
bool read_filter(int fd, std::vector<sock_filter>& program) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return false;
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS) return false;
  // Mapped, not read: the policy has mmap, not pread or lseek.
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapped == MAP_FAILED) return false;
  program.resize(size / sizeof(sock_filter));
  std::memcpy(program.data(), mapped, size);
  ::munmap(mapped, size);
  return true;
}

[[noreturn]] void child_fails(const char* step) {
  cell_log(std::string("child-setup-failed step=") + step + " error=\"" + ::strerror(errno) + "\"");
  ::_exit(111);
}

// Moves `fd` out of the way of the numbers a child's descriptors take.
int lift(int fd) {
  const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 16);
  if (high < 0) child_fails("descriptors");
  return high;
}

[[noreturn]] void become_child(const ZygoteLayout& layout, const ZygoteHooks& hooks, const sigset_t& old_mask,
                               int signals, std::vector<UniqueFd>& handed, const ZygoteHandover& handover,
                               const std::vector<sock_filter>& filter) {
  // Descriptors: lift the three handed over, close the zygote's, place them.
  const int connection = lift(handed[0].get());
  const int log = lift(handed[1].get());
  const int broker = lift(handed[2].get());
  for (UniqueFd& fd : handed) fd.reset();
  ::close(signals);
  ::close(layout.filter_fd);
  ::close(layout.channel_fd);
  if (::dup2(log, 2) != 2) child_fails("descriptors");
  if (::dup2(connection, layout.connection_fd) != layout.connection_fd) child_fails("descriptors");
  if (layout.broker_fd >= 0 && ::dup2(broker, layout.broker_fd) != layout.broker_fd) child_fails("descriptors");
  for (int fd : {connection, log, broker}) ::close(fd);
  // Signals as a fresh cell has them.
  ::signal(SIGCHLD, SIG_DFL);
  if (::sigprocmask(SIG_SETMASK, &old_mask, nullptr) != 0) child_fails("signals");
  // The environment is the handover's, nothing of the zygote's.
  if (::clearenv() != 0) child_fails("environment");
  for (const std::string& entry : handover.environment) {
    const std::size_t equals = entry.find('=');
    if (::setenv(entry.substr(0, equals).c_str(), entry.c_str() + equals + 1, 1) != 0) child_fails("environment");
  }
  // No process of its own, then exactly the kind's filter.
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_NPROC, &none) != 0) child_fails("rlimit-nproc");
  sock_fprog program{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) child_fails("seccomp");
  ::exit(hooks.serve());
}

bool report(int channel, const ZygoteReport& what, int fd = -1) {
  ByteBuffer frame(zygote_frame);
  if (!encode_zygote_report(what, frame)) return false;
  const int fds[] = {fd};
  const std::span<const int> attached = fd >= 0 ? std::span<const int>(fds) : std::span<const int>();
  return static_cast<bool>(send_frame(channel, frame.bytes(), attached, Clock::now() + std::chrono::seconds(5)));
}

}  // namespace

int run_zygote(const ZygoteLayout& layout, const ZygoteHooks& hooks) {
  std::vector<sock_filter> filter;
  if (!read_filter(layout.filter_fd, filter)) {
    cell_log("zygote-failed error=\"the child filter cannot be read\"");
    return 111;
  }
  sigset_t child_signal;
  sigset_t old_mask;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &child_signal, &old_mask) != 0) return 111;
  UniqueFd signals(::signalfd(-1, &child_signal, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) {
    cell_log("zygote-failed error=\"signalfd: " + std::string(::strerror(errno)) + "\"");
    return 111;
  }
  if (!report(layout.channel_fd, {ZygoteReportKind::ready, 0, 0})) return 111;
  std::unordered_map<pid_t, std::uint64_t> children;
  ByteBuffer frame(zygote_frame);
  // Retired: the broker closed its side of the channel. No more handovers;
  // the zygote waits for its children (they die with it) and reports them.
  bool draining = false;
  for (;;) {
    if (draining && children.empty()) return 0;
    pollfd fds[] = {{layout.channel_fd, static_cast<short>(draining ? 0 : POLLIN), 0}, {signals.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 111;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (::read(signals.get(), &info, sizeof info) == sizeof info) {
      }
      for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        auto child = children.find(pid);
        if (child == children.end()) continue;
        const std::uint64_t id = child->second;
        children.erase(child);
        if (!report(layout.channel_fd, {ZygoteReportKind::exited, id, static_cast<std::uint32_t>(status) & 0xffffU})) {
          return 111;
        }
      }
    }
    if (draining || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    auto received = receive_frame(layout.channel_fd, frame, zygote_handover_descriptors,
                                  Clock::now() + std::chrono::milliseconds(100));
    if (!received) {
      if (received.error().kind == FrameErrc::timeout) continue;
      if (received.error().kind == FrameErrc::end_of_file) {  // retired, or the broker is stopping
        draining = true;
        continue;
      }
      cell_log("zygote-failed error=\"" + describe(received.error()) + "\"");
      return 111;
    }
    auto handover = decode_zygote_handover(frame.bytes());
    if (!handover || received->size() != zygote_handover_descriptors) {
      cell_log("zygote-failed error=\"a handover the zygote cannot take\"");
      return 111;
    }
    const pid_t pid = ::fork();
    if (pid == 0) become_child(layout, hooks, old_mask, signals.get(), *received, *handover, filter);
    if (pid < 0) {
      const int error = errno;
      hooks.refuse((*received)[0].get());
      cell_log("fork-failed id=" + std::to_string(handover->id) + " error=\"" + ::strerror(error) + "\"");
      if (!report(layout.channel_fd, {ZygoteReportKind::failed, handover->id, static_cast<std::uint32_t>(error)})) {
        return 111;
      }
      continue;
    }
    children.emplace(pid, handover->id);
    // The broker learns the child's pid, as its own namespace sees it, from
    // a pidfd: the zygote's pid namespace numbers it differently.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!report(layout.channel_fd, {ZygoteReportKind::forked, handover->id, 0}, pidfd.get())) return 111;
  }
}

}  // namespace qcell
