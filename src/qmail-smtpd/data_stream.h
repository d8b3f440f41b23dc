// data_stream.h — qmail-smtpd's decoder for the bytes that follow the 354
// reply to DATA (RFC 5321 sections 4.1.1.4 and 4.5.2). Every byte is hostile:
// it comes straight from the network client.
//
// Only <CR><LF>.<CR><LF> ends the data, and a bare <LF>, a bare <CR> or a NUL
// anywhere stops the decoder with an error after which the session replies
// and closes the connection. That is what makes SMTP smuggling (2023: one
// server ending the data at "<LF>.<LF>" where the next one does not)
// impossible through qcell: no byte sequence ends the message here that a
// strict peer would read as message content, and none that a lax peer would
// read as an end is taken as content. docs/smtpd-data.md describes every
// outcome and its reply.
//
// DataDecoder is pure: no I/O, no allocation, no globals, O(1) state. It
// never buffers input: the sink is handed slices of the caller's buffer
// during the feed() call that holds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/limits.h"

namespace qcell::smtpd {

// What can go wrong in DATA. too_big leaves the session in step with the
// client (the end marker was read); the others do not, and close it.
enum class DataError : std::uint8_t {
  too_big,  // the decoded message is longer than DataLimits::max_bytes
  bare_lf,  // an <LF> not preceded by <CR>
  bare_cr,  // a <CR> not followed by <LF> (found at the byte after the <CR>)
  nul,      // a NUL byte (qcell offers no BINARYMIME)
};

// The reply to send for an error: "<code> <enhanced> <text>".
struct DataReply {
  std::string_view enhanced;  // enhanced status code (RFC 3463, RFC 5248 registry)
  std::string_view text;      // human text; for too_big, followed by the limit (see format_reply)
  std::uint16_t code;         // SMTP reply code (RFC 5321 4.2)
  bool closes_connection;     // the session must close after replying
};

std::string_view data_error_name(DataError error) noexcept;
const DataReply& reply_for(DataError error) noexcept;
// The whole reply line without its CRLF, e.g.
// "552 5.3.4 message too big: more than 1048576 bytes".
std::string format_reply(DataError error, std::uint64_t max_bytes);

struct DataLimits {
  // Largest decoded message (LF line ends, dots unstuffed, the final "."
  // line excluded) that is accepted: qmail's databytes, which the session
  // has already resolved from control/databytes. A message of exactly this
  // many bytes is accepted.
  std::uint64_t max_bytes = limits::message_size_default;
};

// Receives the decoded message. write() must not fail: a sink that cannot
// store (queue error) remembers that itself and drops later bytes, so that
// the decoder still reads up to the end marker and the session stays in step
// with the client (qmail-smtpd does the same and then replies 451).
class DataSink {
 public:
  virtual ~DataSink() = default;
  // `bytes` is valid only during the call (it points into feed()'s input).
  virtual void write(std::span<const std::byte> bytes) noexcept = 0;
};

enum class DataState : std::uint8_t {
  more,    // every byte given was consumed; the end marker is still to come
  ended,   // the end marker was consumed; accepted unless FeedResult::error is too_big
  failed,  // bare_lf, bare_cr or nul: decoding stopped at the offending byte
};

struct [[nodiscard]] FeedResult {
  DataState state = DataState::more;
  // Bytes of this call's input that belong to the data: with `ended`, up to
  // and including the <LF> of the end marker; with `failed`, up to and
  // including the byte that revealed the error.
  std::size_t consumed = 0;
  // in.size() - consumed. With `ended` these bytes are the client's next
  // (pipelined) commands and belong to the session; with `failed` they are
  // discarded with the connection.
  std::size_t unconsumed = 0;
  // Set with `failed` (bare_lf, bare_cr, nul) and with an `ended` message
  // that was over the limit (too_big); empty for an accepted message.
  std::optional<DataError> error;
};

class DataDecoder {
 public:
  explicit DataDecoder(DataLimits limits = {}) noexcept : limits_(limits) {}

  // Decodes the next bytes of the stream, split anywhere: the result and the
  // bytes handed to `sink` do not depend on how the stream is cut. Once
  // ended or failed, later calls consume nothing and repeat the outcome.
  FeedResult feed(std::span<const std::byte> in, DataSink& sink) noexcept;

  DataState state() const noexcept;
  // Input bytes consumed so far, the end marker included (saturating). After
  // a failure, the offending byte is at offset input_bytes() - 1.
  std::uint64_t input_bytes() const noexcept { return input_bytes_; }
  // Size of the decoded message, including any part discarded past the limit
  // (saturating at UINT64_MAX, so it never wraps below the limit).
  std::uint64_t message_bytes() const noexcept { return message_bytes_; }
  // Bytes handed to the sink: message_bytes(), but never more than max_bytes.
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }
  // Lines of the decoded message (each ends with LF; an empty message has 0).
  std::uint64_t lines() const noexcept { return lines_; }
  // Whether the message holds a byte >= 0x80 (it is not 7BIT).
  bool eight_bit() const noexcept { return eight_bit_; }
  bool too_big() const noexcept { return message_bytes_ > limits_.max_bytes; }

 private:
  enum class Phase : std::uint8_t {
    line_start,  // after <CR><LF>, or before the first byte
    dot,         // a "." at the start of a line: stuffing, or the end marker
    dot_cr,      // ".<CR>" at the start of a line: only <LF> may follow
    middle,      // inside a line
    cr,          // after a <CR> that is not the end marker's
    ended,
    failed,
  };

  FeedResult finish(DataState state, std::size_t consumed, std::size_t size) noexcept;
  void emit(std::span<const std::byte> run, DataSink& sink) noexcept;

  DataLimits limits_;
  Phase phase_ = Phase::line_start;
  std::optional<DataError> error_;
  std::uint64_t input_bytes_ = 0;
  std::uint64_t message_bytes_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t lines_ = 0;
  bool eight_bit_ = false;
};

// The limit arithmetic, pure so that tests can drive it at 2^32, 2^64 and
// beyond without feeding that much: how many of `more` further bytes may
// still be written when `written` bytes already were, under `max_bytes`.
// Never more than `more`, never past `max_bytes`, whatever the values.
constexpr std::size_t writable_bytes(std::uint64_t written, std::uint64_t max_bytes, std::size_t more) noexcept {
  if (written >= max_bytes) return 0;
  std::uint64_t room = max_bytes - written;
  return room < more ? static_cast<std::size_t>(room) : more;
}

}  // namespace qcell::smtpd
