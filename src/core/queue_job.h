// queue_job.h — the channel between the broker and the long-lived
// qmail-queue cell. The broker hands the cell one injection at a time
// (`queue-job`: an id, who injects, and two pipes: message and envelope);
// the cell answers each with `queue-done` and qmail-queue's exit code.
//
// Frames are netstrings of netstrings, as in broker_request.h, and travel
// with fd_passing.h's send_frame/receive_frame. The broker treats every
// `queue-done` as hostile (the cell reads the envelope, which is hostile);
// the cell trusts the broker, but decodes strictly all the same.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_buffer.h"
#include "core/result.h"

namespace qcell {

// Who injected, as the Received: line says it (qmail compares the real uid
// with the alias, qmaild and qmails uids; the broker does that here).
enum class QueueOrigin : std::uint8_t {
  alias,    // "invoked by alias": qmail-local forwarding as the alias user
  network,  // "from network": a qmail-smtpd/qmtpd/qmqpd cell (qmaild)
  bounce,   // "for bounce": qmail-send (qmails)
  user,     // "by uid N": anyone else
};

struct QueueJob {
  std::uint64_t id = 0;   // the broker's cell id for the injection (non-zero)
  std::uint32_t uid = 0;  // the injector's uid (SO_PEERCRED or the requesting cell's uid)
  std::uint32_t pid = 0;  // the injector's pid, as the host sees it
  QueueOrigin origin = QueueOrigin::user;
  bool operator==(const QueueJob&) const = default;
};

struct QueueDone {
  std::uint64_t id = 0;
  std::uint8_t exit_code = 0;  // qmail-queue's exit code (queue_exit.h)
  bool operator==(const QueueDone&) const = default;
};

enum class QueueJobError : std::uint8_t {
  frame_too_large,    // more than queue_job_frame bytes
  bad_framing,        // not exactly one netstring
  bad_field_framing,  // its payload is not a sequence of netstrings
  wrong_kind,         // not the kind the receiver expects
  wrong_field_count,  // fields after the kind: 4 for queue-job, 2 for queue-done
  bad_number,         // not canonical decimal, too large, or a zero id
  bad_origin,         // not alias, network, bounce or user
  no_buffer_space,    // encoding: the buffer refused the frame
};

// A queue-job or queue-done frame is far below this.
inline constexpr std::size_t queue_job_frame = 256;

std::string_view describe(QueueJobError error) noexcept;
std::string_view queue_origin_name(QueueOrigin origin) noexcept;

Result<QueueJob, QueueJobError> decode_queue_job(std::span<const std::byte> frame) noexcept;
Status<QueueJobError> encode_queue_job(const QueueJob& job, ByteBuffer& out);
Result<QueueDone, QueueJobError> decode_queue_done(std::span<const std::byte> frame) noexcept;
Status<QueueJobError> encode_queue_done(const QueueDone& done, ByteBuffer& out);

}  // namespace qcell
