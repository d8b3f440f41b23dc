// fd_passing.h — one frame of bytes plus descriptors per message over an
// AF_UNIX SOCK_SEQPACKET socket (sendmsg/recvmsg with SCM_RIGHTS), and the
// broker protocol's send/receive helpers built on it and broker_request.h.
//
// Hostile input: whatever the peer sends. A received frame is bounded by
// limits::broker_request; a longer one (MSG_TRUNC), lost control data
// (MSG_CTRUNC), a control message that is not SCM_RIGHTS, or more
// descriptors than the caller expects is an error, and then every descriptor
// that did arrive is closed before returning. Received descriptors are
// close-on-exec (MSG_CMSG_CLOEXEC) and owned (UniqueFd) from the moment they
// are seen. Every wait has a deadline; EINTR never ends one early.
//
// The socket must be SOCK_SEQPACKET: on a stream socket frames would merge.
// A zero-length message cannot be told from end of file on such a socket,
// so send_frame refuses to send one.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/broker_request.h"
#include "core/byte_buffer.h"
#include "core/fd.h"
#include "core/result.h"

namespace qcell {

// Descriptors one receive can hold. Receivers expect far fewer (a request
// carries at most two); the room beyond that lets a few unwanted ones be
// counted and closed (too_many_descriptors) rather than reported only as
// truncated_control. A sender may not send more than this either.
inline constexpr std::size_t frame_descriptor_capacity = 16;

enum class FrameErrc {
  system,                // poll(2), sendmsg(2) or recvmsg(2) failed: sys_errno says why
  timeout,               // the deadline passed first
  end_of_file,           // the peer closed its end
  frame_too_large,       // more than limits::broker_request bytes (on receive: MSG_TRUNC)
  empty_frame,           // a frame of zero bytes (refused on send; on receive, one carrying control data)
  truncated_control,     // MSG_CTRUNC: control data (descriptors) did not fit and were lost
  too_many_descriptors,  // more descriptors than expected (receive) or than capacity (send)
  unexpected_control,    // a control message other than SCM_RIGHTS (e.g. SCM_CREDENTIALS)
  no_buffer_space,       // the receive buffer cannot take limits::broker_request bytes
};

struct FrameError {
  FrameErrc kind = FrameErrc::system;
  int sys_errno = 0;
  bool operator==(const FrameError&) const = default;
};

std::string_view describe(FrameErrc kind) noexcept;
// The sentence, with strerror's text for FrameErrc::system.
std::string describe(const FrameError& error);

using Deadline = std::chrono::steady_clock::time_point;

// Sends one frame (1..limits::broker_request bytes) with `fds` attached
// (at most frame_descriptor_capacity; the caller keeps its copies). Works on
// blocking and non-blocking sockets: a full socket is waited on until
// `deadline`. Never raises SIGPIPE (a closed peer is system/EPIPE).
Status<FrameError> send_frame(int socket, std::span<const std::byte> frame, std::span<const int> fds,
                              Deadline deadline) noexcept;

// Receives one frame into `frame` (cleared first; its maximum must allow
// limits::broker_request bytes) and returns the descriptors that came with
// it, in the order sent. More than `max_fds` descriptors (max_fds <=
// frame_descriptor_capacity) is too_many_descriptors. On any error `frame`
// is empty and every received descriptor has been closed.
Result<std::vector<UniqueFd>, FrameError> receive_frame(int socket, ByteBuffer& frame, std::size_t max_fds,
                                                        Deadline deadline);

// --- the broker protocol on top ---------------------------------------------------

// A transport failure, or a frame that arrived and was refused.
using ProtocolError = std::variant<FrameError, RequestError>;
std::string describe(const ProtocolError& error);

struct ReceivedRequest {
  Request request;
  // Exactly descriptors_expected(request), in the order the kind lists them,
  // each checked by check_request_descriptors.
  std::vector<UniqueFd> descriptors;
};

// What each kind requires of its descriptors, place by place, as
// request_descriptor_table() says (spawn-queue two pipes open read-only;
// spawn-local and spawn-remote the message, a regular file open read-only,
// and a report pipe open write-only; spawn-clean a Unix socket open for
// reading and writing; spawn-command the message, an output pipe open
// write-only and a memory file sealed against every change; never an O_PATH
// handle). The count must match descriptors_expected. Uses fstat(2) and
// fcntl(F_GETFL, F_GET_SEALS) only.
Status<RequestError> check_request_descriptors(const Request& request, std::span<const UniqueFd> descriptors) noexcept;

// The broker's side: receive_frame + decode_request + the descriptor count
// and check_request_descriptors. On any error every received descriptor has
// been closed. RequestError means "answer refused bad-request"; FrameError
// with end_of_file means the cell has gone.
Result<ReceivedRequest, ProtocolError> receive_request(int socket, Deadline deadline);

// The cell's side: checks the descriptor count, encodes, sends.
Status<ProtocolError> send_request(int socket, const Request& request, std::span<const int> fds, Deadline deadline);

// Replies carry no descriptors; receive_reply refuses (and closes) any.
Status<ProtocolError> send_reply(int socket, const Reply& reply, Deadline deadline);
Result<Reply, ProtocolError> receive_reply(int socket, Deadline deadline);

}  // namespace qcell
