// fd_passing.cc — sendmsg/recvmsg with SCM_RIGHTS on a SOCK_SEQPACKET socket,
// poll(2) for deadlines, and the broker protocol's send/receive helpers.
//
// Hostile input: the message and control data the peer sends. Every
// descriptor found in the control data is wrapped in a UniqueFd before any
// check runs, so each error path closes all of them by returning.
#include "core/fd_passing.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "core/limits.h"

namespace qcell {

namespace {

// Control buffer for frame_descriptor_capacity descriptors, aligned for cmsghdr.
constexpr std::size_t control_bytes = CMSG_SPACE(sizeof(int) * frame_descriptor_capacity);
union ControlBuffer {
  struct cmsghdr align;
  unsigned char bytes[control_bytes];
};

// Milliseconds until the deadline, rounded up, clamped to poll's int.
int remaining_ms(Deadline deadline) noexcept {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

enum class Wait { ready, timeout, error };

// Waits for `events` on `socket` until the deadline; EINTR restarts the wait
// with the time that is left. A deadline already past still polls once, so
// a frame that has arrived is taken.
Wait wait_for(int socket, short events, Deadline deadline, int& sys_errno) noexcept {
  for (;;) {
    struct pollfd p {};
    p.fd = socket;
    p.events = events;
    int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      sys_errno = errno;
      return Wait::error;
    }
    if (ready == 0) return Wait::timeout;
    if ((p.revents & POLLNVAL) != 0) {
      sys_errno = EBADF;
      return Wait::error;
    }
    return Wait::ready;  // POLLIN/POLLOUT, or POLLHUP/POLLERR that the next call reports
  }
}

FrameError system_error(int sys_errno) noexcept { return FrameError{FrameErrc::system, sys_errno}; }
FrameError frame_error(FrameErrc kind) noexcept { return FrameError{kind, 0}; }

bool has_access(int fd, DescriptorAccess access) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  if ((flags & O_PATH) == O_PATH) return false;
  switch (access) {
    case DescriptorAccess::read_only: return (flags & O_ACCMODE) == O_RDONLY;
    case DescriptorAccess::write_only: return (flags & O_ACCMODE) == O_WRONLY;
    case DescriptorAccess::read_write: return (flags & O_ACCMODE) == O_RDWR;
  }
  return false;
}

bool has_type(int fd, const struct stat& st, DescriptorType type) noexcept {
  switch (type) {
    case DescriptorType::pipe: return S_ISFIFO(st.st_mode);
    case DescriptorType::regular_file: return S_ISREG(st.st_mode);
    case DescriptorType::unix_socket: return S_ISSOCK(st.st_mode);
    case DescriptorType::sealed_memory: {
      if (!S_ISREG(st.st_mode)) return false;
      const int seals = ::fcntl(fd, F_GET_SEALS);
      return seals >= 0 && (static_cast<unsigned>(seals) & memory_file_seals) == memory_file_seals;
    }
  }
  return false;
}

}  // namespace

std::string_view describe(FrameErrc kind) noexcept {
  switch (kind) {
    case FrameErrc::system: return "socket error";
    case FrameErrc::timeout: return "timed out waiting for the socket";
    case FrameErrc::end_of_file: return "the peer closed the socket";
    case FrameErrc::frame_too_large: return "frame is larger than 4096 bytes";
    case FrameErrc::empty_frame: return "frame is empty";
    case FrameErrc::truncated_control: return "control data was truncated: descriptors were lost";
    case FrameErrc::too_many_descriptors: return "more descriptors than expected";
    case FrameErrc::unexpected_control: return "control message other than SCM_RIGHTS";
    case FrameErrc::no_buffer_space: return "receive buffer cannot hold a whole frame";
  }
  return "unknown frame error";
}

std::string describe(const FrameError& error) {
  std::string text(describe(error.kind));
  if (error.kind == FrameErrc::system) {
    text += ": ";
    text += ::strerror(error.sys_errno);
  }
  return text;
}

std::string describe(const ProtocolError& error) {
  if (const auto* frame = std::get_if<FrameError>(&error)) return describe(*frame);
  return std::string(describe(std::get<RequestError>(error)));
}

Status<FrameError> send_frame(int socket, std::span<const std::byte> frame, std::span<const int> fds,
                              Deadline deadline) noexcept {
  if (frame.empty()) return fail(frame_error(FrameErrc::empty_frame));
  if (frame.size() > limits::broker_request) return fail(frame_error(FrameErrc::frame_too_large));
  if (fds.size() > frame_descriptor_capacity) return fail(frame_error(FrameErrc::too_many_descriptors));

  struct iovec iov {};
  iov.iov_base = const_cast<std::byte*>(frame.data());  // sendmsg does not write through it
  iov.iov_len = frame.size();
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ControlBuffer control{};
  if (!fds.empty()) {
    msg.msg_control = &control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* header = CMSG_FIRSTHDR(&msg);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }

  for (;;) {
    ssize_t sent = ::sendmsg(socket, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
      // A SOCK_SEQPACKET message is sent whole or not at all.
      if (static_cast<std::size_t>(sent) != frame.size()) return fail(system_error(EMSGSIZE));
      return {};
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return fail(system_error(errno));
    int sys_errno = 0;
    switch (wait_for(socket, POLLOUT, deadline, sys_errno)) {
      case Wait::ready: continue;
      case Wait::timeout: return fail(frame_error(FrameErrc::timeout));
      case Wait::error: return fail(system_error(sys_errno));
    }
  }
}

Result<std::vector<UniqueFd>, FrameError> receive_frame(int socket, ByteBuffer& frame, std::size_t max_fds,
                                                        Deadline deadline) {
  frame.clear();
  if (socket < 0) return fail(system_error(EBADF));  // poll(2) would ignore it and time out
  if (max_fds > frame_descriptor_capacity) return fail(system_error(EINVAL));
  if (auto room = frame.reserve_more(limits::broker_request); !room) {
    return fail(frame_error(FrameErrc::no_buffer_space));
  }

  std::vector<UniqueFd> fds;
  fds.reserve(frame_descriptor_capacity);
  for (;;) {
    int sys_errno = 0;
    switch (wait_for(socket, POLLIN, deadline, sys_errno)) {
      case Wait::ready: break;
      case Wait::timeout: return fail(frame_error(FrameErrc::timeout));
      case Wait::error: return fail(system_error(sys_errno));
    }

    // Exactly limits::broker_request bytes of room: a longer frame sets MSG_TRUNC.
    struct iovec iov {};
    iov.iov_base = frame.spare().data();
    iov.iov_len = limits::broker_request;
    ControlBuffer control{};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &control;
    msg.msg_controllen = sizeof control.bytes;
    ssize_t received = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (received < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return fail(system_error(errno));
    }

    // Own every descriptor first, so that every return below closes them all.
    bool unexpected = false;
    for (struct cmsghdr* header = CMSG_FIRSTHDR(&msg); header != nullptr; header = CMSG_NXTHDR(&msg, header)) {
      if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
        unexpected = true;
        continue;
      }
      if (header->cmsg_len < CMSG_LEN(0)) continue;  // no payload
      const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const unsigned char* data = CMSG_DATA(header);
      for (std::size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
        fds.emplace_back(fd);
      }
    }

    if ((msg.msg_flags & MSG_CTRUNC) != 0) return fail(frame_error(FrameErrc::truncated_control));
    if ((msg.msg_flags & MSG_TRUNC) != 0) return fail(frame_error(FrameErrc::frame_too_large));
    if (unexpected) return fail(frame_error(FrameErrc::unexpected_control));
    if (received == 0) {
      // End of file, unless something came with it: then an empty message.
      if (!fds.empty() || msg.msg_controllen != 0) return fail(frame_error(FrameErrc::empty_frame));
      return fail(frame_error(FrameErrc::end_of_file));
    }
    if (fds.size() > max_fds) return fail(frame_error(FrameErrc::too_many_descriptors));
    frame.commit(static_cast<std::size_t>(received));
    return fds;
  }
}

Status<RequestError> check_request_descriptors(const Request& request, std::span<const UniqueFd> descriptors) noexcept {
  if (descriptors.size() != descriptors_expected(request)) return fail(RequestError::wrong_descriptor_count);
  std::size_t place = 0;
  for (const RequestDescriptorEntry& entry : request_descriptor_table()) {
    if (entry.kind != kind_of(request)) continue;
    int fd = descriptors[place++].get();
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !has_type(fd, st, entry.type)) return fail(RequestError::wrong_descriptor_type);
    if (!has_access(fd, entry.access)) return fail(RequestError::wrong_descriptor_access);
  }
  return {};
}

Result<ReceivedRequest, ProtocolError> receive_request(int socket, Deadline deadline) {
  ByteBuffer frame(limits::broker_request);
  auto fds = receive_frame(socket, frame, broker_request_limits::descriptors, deadline);
  if (!fds) return fail(ProtocolError{fds.error()});
  auto request = decode_request(frame.bytes());
  if (!request) return fail(ProtocolError{request.error()});
  if (auto checked = check_request_descriptors(*request, *fds); !checked) return fail(ProtocolError{checked.error()});
  return ReceivedRequest{std::move(request).value(), std::move(fds).value()};
}

Status<ProtocolError> send_request(int socket, const Request& request, std::span<const int> fds, Deadline deadline) {
  if (fds.size() != descriptors_expected(request)) return fail(ProtocolError{RequestError::wrong_descriptor_count});
  ByteBuffer frame(limits::broker_request);
  if (auto encoded = encode_request(request, frame); !encoded) return fail(ProtocolError{encoded.error()});
  if (auto sent = send_frame(socket, frame.bytes(), fds, deadline); !sent) return fail(ProtocolError{sent.error()});
  return {};
}

Status<ProtocolError> send_reply(int socket, const Reply& reply, Deadline deadline) {
  ByteBuffer frame(limits::broker_request);
  if (auto encoded = encode_reply(reply, frame); !encoded) return fail(ProtocolError{encoded.error()});
  if (auto sent = send_frame(socket, frame.bytes(), {}, deadline); !sent) return fail(ProtocolError{sent.error()});
  return {};
}

Result<Reply, ProtocolError> receive_reply(int socket, Deadline deadline) {
  ByteBuffer frame(limits::broker_request);
  auto fds = receive_frame(socket, frame, 0, deadline);
  if (!fds) return fail(ProtocolError{fds.error()});
  auto reply = decode_reply(frame.bytes());
  if (!reply) return fail(ProtocolError{reply.error()});
  return std::move(reply).value();
}

}  // namespace qcell
