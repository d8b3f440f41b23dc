// broker_request.h — the typed messages a cell sends to the broker (requests)
// and the broker's answers (replies), and one pure encoder/decoder pair for
// each direction. docs/broker-protocol.md describes the wire format.
//
// Hostile input: a request frame is written by a cell, and a cell is assumed
// compromised (it parses mail all day); the broker runs as root. So the
// decoder is strict and small: one netstring per frame, the kind name first,
// then an exact number of fields, each checked for length and charset before
// it is copied; nothing may follow. A reply frame is written by the broker,
// but the cell decodes it with the same strictness. Pure functions: no I/O,
// no globals, memory bounded by limits::broker_request. Descriptors travel
// beside the frame (fd_passing.h), never inside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/byte_buffer.h"
#include "core/limits.h"
#include "core/policy.h"
#include "core/result.h"

namespace qcell {

// Bounds of the fields, beside limits::broker_request (the whole frame).
namespace broker_request_limits {
// An envelope address: qmail-queue's bound (limits::envelope_address).
inline constexpr std::size_t address = limits::envelope_address;
// A host for qmail-remote: a domain (RFC 5321 4.5.3.1.2) or an address literal.
inline constexpr std::size_t host = limits::domain;
// Recipients of one spawn-remote: RFC 5321's minimum for one transaction.
// The frame limit usually binds first (100 addresses of 40 bytes fit).
inline constexpr std::size_t recipients = 100;
// The human text of a refusal: one log line's worth, printable ASCII.
inline constexpr std::size_t refusal_text = 200;
// Highest signal number in "signal:N" (Linux SIGRTMAX).
inline constexpr unsigned max_signal = 64;
// Descriptors carried by any request (spawn-command's message, output
// pipe and command).
inline constexpr std::size_t descriptors = 3;
}  // namespace broker_request_limits

// --- requests (cell to broker) ------------------------------------------------

enum class RequestKind : std::uint8_t { spawn_queue, spawn_local, spawn_remote, spawn_clean, spawn_command };

// "Start a qmail-queue cell reading these pipes." No fields. Descriptors, in
// order: the message pipe's read end (the new cell's fd 0) and the envelope
// pipe's read end (its fd 1). The broker answers `started`, then `finished`
// with qmail-queue's exit code.
struct SpawnQueue {
  bool operator==(const SpawnQueue&) const = default;
};

// "Deliver this message locally to this recipient." The broker, not the
// sender, decides which user receives (users/cdb, then passwd: qmail-lspawn's
// lookup) from the recipient's local part. Two descriptors: the message, a
// regular file open read-only, and the report pipe's write end, on which
// the delivery cell writes its report for the sender.
struct SpawnLocal {
  std::string recipient;  // 1..1000 bytes: printable ASCII or UTF-8, no control characters
  std::string sender;     // 0..1000 bytes, same charset; empty for a bounce
  bool operator==(const SpawnLocal&) const = default;
};

// "Deliver this message to these recipients at this host." Two descriptors,
// as spawn-local's: the message and the report pipe's write end.
struct SpawnRemote {
  std::string host;                     // a domain, "[IPv4]" or "[IPv6:...]", <= 255 bytes
  std::string sender;                   // as SpawnLocal::sender
  std::vector<std::string> recipients;  // 1..100, each as SpawnLocal::recipient
  bool operator==(const SpawnRemote&) const = default;
};

// "Start a qmail-clean cell serving this channel." No fields. One
// descriptor: the sender's end of a Unix socket pair, which becomes the new
// cell's channel to the sender (qmail-send's to qmail-clean).
struct SpawnClean {
  bool operator==(const SpawnClean&) const = default;
};

// "Run this program delivery." No fields: the broker runs the new
// qmail-command cell as the uid, gid and home of the qmail-local cell that
// asks (it started that cell for a recipient), never as anything the
// sender says. Three descriptors: the message (a regular file open
// read-only, the program's stdin), the output pipe's write end (its stdout
// and stderr), and a sealed memory file holding the command and its
// environment (core/command_job.h). `finished` brings the program's end.
struct SpawnCommand {
  bool operator==(const SpawnCommand&) const = default;
};

using Request = std::variant<SpawnQueue, SpawnLocal, SpawnRemote, SpawnClean, SpawnCommand>;

// --- replies (broker to cell) -------------------------------------------------

enum class ReplyKind : std::uint8_t { started, refused, finished };

// The broker started the cell; its id appears again in `finished`.
struct Started {
  std::uint64_t cell_id = 0;
  bool operator==(const Started&) const = default;
};

// Why the broker refused a request. Each word says whether retrying can help
// (is_temporary), so the sender decides soft or hard failure once, here.
enum class RefusalReason : std::uint8_t {
  not_allowed,   // the sender's policy has no `request` line for the kind (permanent)
  bad_request,   // the frame or its descriptors were malformed (permanent)
  busy,          // a concurrency limit was reached (temporary)
  no_such_user,  // spawn-local for an address no user receives (permanent)
  internal,      // the broker could not start the cell (temporary)
};

struct Refused {
  RefusalReason reason = RefusalReason::internal;
  std::string text;  // 0..200 bytes of ' '..'~', for logs; never parsed
  bool operator==(const Refused&) const = default;
};

// How a cell ended: exited with a code, or was killed by a signal.
struct ExitStatus {
  bool signalled = false;
  std::uint8_t number = 0;  // exit code 0..255, or signal 1..64
  bool operator==(const ExitStatus&) const = default;
};

// A cell the broker started for this sender has ended.
struct Finished {
  std::uint64_t cell_id = 0;
  ExitStatus status;
  bool operator==(const Finished&) const = default;
};

using Reply = std::variant<Started, Refused, Finished>;

// --- errors ---------------------------------------------------------------------

// Every way a frame of this protocol (either direction) or its descriptors
// can be wrong. describe() gives one English sentence for each.
enum class RequestError : std::uint8_t {
  frame_too_large,           // more than limits::broker_request bytes
  bad_framing,               // the frame is not exactly one complete netstring
  trailing_bytes,            // bytes follow the frame's netstring
  bad_field_framing,         // the netstring's payload is not a sequence of complete netstrings
  missing_kind,              // the payload is empty: no kind name
  unknown_kind,              // the kind name is not a kind of this direction
  wrong_field_count,         // too few or too many fields for the kind
  bad_recipient,             // a recipient address
  bad_sender,                // the sender address
  bad_host,                  // spawn-remote host
  too_many_recipients,       // more than 100 recipients in a spawn-remote
  bad_cell_id,               // not a canonical decimal u64
  bad_reason,                // a refusal reason outside the vocabulary
  bad_text,                  // a refusal text too long or not printable ASCII
  bad_exit_status,           // not 0..255 or signal:1..64, canonical
  wrong_descriptor_count,    // the frame carried a different number of descriptors than its kind needs
  wrong_descriptor_type,     // a descriptor is not of its place's type (request_descriptor_table)
  wrong_descriptor_access,   // a descriptor is not open as its place needs, or is an O_PATH handle
  no_buffer_space,           // encoding: the output buffer refused the frame (its maximum, or memory)
};

std::string_view describe(RequestError error) noexcept;
// The error's identifier as written above ("bad_host"), for logs.
std::string_view request_error_name(RequestError error) noexcept;

struct RequestErrorEntry {
  RequestError error;
  std::string_view name;
  std::string_view text;
};
// Every error in enum order, for documentation and tests.
std::span<const RequestErrorEntry> request_error_table() noexcept;

// --- vocabularies -----------------------------------------------------------------

struct RequestKindEntry {
  RequestKind kind;
  std::string_view name;   // the word on the wire and in a policy's `request` line
  std::size_t min_fields;  // after the kind name
  std::size_t max_fields;
  std::size_t descriptors;  // exactly this many travel with the frame
  std::string_view meaning;
};
std::span<const RequestKindEntry> request_kind_table() noexcept;

// What each descriptor of a request must be, place by place.
// sealed_memory: a regular file (a memfd) sealed against writing, growing,
// shrinking and further seals (F_SEAL_WRITE|GROW|SHRINK|SEAL), so that its
// bytes cannot change once checked; memfds are open read-write.
enum class DescriptorType : std::uint8_t { pipe, regular_file, unix_socket, sealed_memory };
enum class DescriptorAccess : std::uint8_t { read_only, write_only, read_write };
struct RequestDescriptorEntry {
  RequestKind kind;
  std::size_t place;  // 0-based, in the order the descriptors travel
  DescriptorType type;
  DescriptorAccess access;
  FdName grant;  // where the started cell receives it: its policy's `fd N NAME`
  std::string_view meaning;
};
// Every kind's descriptors, by kind then place.
std::span<const RequestDescriptorEntry> request_descriptor_table() noexcept;

struct ReplyKindEntry {
  ReplyKind kind;
  std::string_view name;
  std::size_t fields;
  std::string_view meaning;
};
std::span<const ReplyKindEntry> reply_kind_table() noexcept;

struct RefusalReasonEntry {
  RefusalReason reason;
  bool temporary;  // retrying later can succeed (qmail's soft failure)
  std::string_view name;
  std::string_view meaning;
};
std::span<const RefusalReasonEntry> refusal_reason_table() noexcept;

std::string_view request_kind_name(RequestKind kind) noexcept;
std::optional<RequestKind> parse_request_kind(std::string_view name) noexcept;
std::string_view reply_kind_name(ReplyKind kind) noexcept;
std::optional<ReplyKind> parse_reply_kind(std::string_view name) noexcept;
std::string_view refusal_reason_name(RefusalReason reason) noexcept;
std::optional<RefusalReason> parse_refusal_reason(std::string_view name) noexcept;
bool is_temporary(RefusalReason reason) noexcept;

RequestKind kind_of(const Request& request) noexcept;
ReplyKind kind_of(const Reply& reply) noexcept;
// Descriptors that must travel with a request of this kind.
std::size_t descriptors_expected(RequestKind kind) noexcept;
std::size_t descriptors_expected(const Request& request) noexcept;

// The ExitStatus for a waitpid(2) status, or nullopt for a stopped or
// continued child (which has not finished).
std::optional<ExitStatus> exit_status_from_wait(int wait_status) noexcept;

// --- the codec -------------------------------------------------------------------

// Checks every field of a request or reply as the decoder does; the encoder
// calls these, so it never writes a frame that the decoder would refuse.
Status<RequestError> check_request(const Request& request);
Status<RequestError> check_reply(const Reply& reply);

// Decodes one whole frame. Decoding is canonical: a frame that decodes
// re-encodes to exactly the same bytes.
Result<Request, RequestError> decode_request(std::span<const std::byte> frame);
Result<Reply, RequestError> decode_reply(std::span<const std::byte> frame);

// Appends the frame of a valid request or reply to `out` (normally empty).
// Refuses an invalid one with the decoder's error, and one whose frame would
// pass limits::broker_request with frame_too_large; on error `out` is unchanged.
Status<RequestError> encode_request(const Request& request, ByteBuffer& out);
Status<RequestError> encode_reply(const Reply& reply, ByteBuffer& out);

}  // namespace qcell
