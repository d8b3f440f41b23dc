// zygote_protocol.h — the channel between the broker and a zygote: a cell
// of a per-connection kind that is fully confined and then forks one
// child per connection (docs/cells.md, "Connection cells are forked").
//
// broker -> zygote   handover: a connection id, the child's environment
//                    (NAME=value entries) and three descriptors: the
//                    connection, the child's log pipe, its broker channel.
// zygote -> broker   ready:   set up, takes handovers;
//                    forked:  id, with a pidfd of the child attached;
//                    exited:  id and the child's wait status;
//                    failed:  id and the errno of a fork that failed.
//
// Frames are netstrings of netstrings (as queue_job.h) over fd_passing.h.
// The broker decodes every report strictly: the zygote is a cell. The
// zygote trusts the broker, but decodes strictly all the same.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.h"
#include "core/limits.h"
#include "core/result.h"

namespace qcell {

// A frame fits in this (fd_passing.h's receive buffer); a handover's
// environment is a few short variables.
inline constexpr std::size_t zygote_frame = limits::broker_request;
// Entries of a handover's environment.
inline constexpr std::size_t zygote_max_environment = 16;
// Descriptors of a handover: connection, log, broker channel, in that order.
inline constexpr std::size_t zygote_handover_descriptors = 3;

struct ZygoteHandover {
  std::uint64_t id = 0;                  // the broker's cell id (non-zero)
  std::vector<std::string> environment;  // "NAME=value", NAME non-empty, no NUL anywhere
  bool operator==(const ZygoteHandover&) const = default;
};

enum class ZygoteReportKind : std::uint8_t { ready, forked, exited, failed };

struct ZygoteReport {
  ZygoteReportKind kind = ZygoteReportKind::ready;
  std::uint64_t id = 0;     // forked, exited, failed: non-zero; ready: 0
  std::uint32_t value = 0;  // exited: the wait status (0..65535); failed: the errno (1..4095)
  bool operator==(const ZygoteReport&) const = default;
};

enum class ZygoteFrameError : std::uint8_t {
  frame_too_large,    // more than zygote_frame bytes
  bad_framing,        // not exactly one netstring
  bad_field_framing,  // its payload is not a sequence of netstrings
  wrong_kind,         // not a kind the receiver expects
  wrong_field_count,  // too few or too many fields for the kind
  bad_number,         // not canonical decimal, out of range, or a zero id
  bad_variable,       // an environment entry without NAME=, or with a NUL
  no_buffer_space,    // encoding: the buffer refused the frame
};

std::string_view describe(ZygoteFrameError error) noexcept;
std::string_view zygote_report_name(ZygoteReportKind kind) noexcept;

Result<ZygoteHandover, ZygoteFrameError> decode_zygote_handover(std::span<const std::byte> frame);
Status<ZygoteFrameError> encode_zygote_handover(const ZygoteHandover& handover, ByteBuffer& out);
Result<ZygoteReport, ZygoteFrameError> decode_zygote_report(std::span<const std::byte> frame) noexcept;
Status<ZygoteFrameError> encode_zygote_report(const ZygoteReport& report, ByteBuffer& out);

}  // namespace qcell
