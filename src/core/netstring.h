// netstring.h — netstrings ("<length>:<bytes>,"), the framing of QMTP, QMQP
// and qcell's own broker protocol.
//
// The input is hostile: the length field is checked digit by digit against
// the caller's maximum before any arithmetic can overflow, leading zeros and
// over-long length fields are refused, and a decode never reads past the
// span it was given.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/byte_buffer.h"
#include "core/result.h"

namespace qcell {

enum class NetstringError {
  incomplete,        // a valid prefix: more bytes are needed
  empty_length,      // no digits before ':'
  non_digit,         // a byte other than a digit or ':' in the length field
  leading_zero,      // "01:" (djb's specification forbids leading zeros)
  length_too_large,  // the declared length exceeds the caller's maximum
  missing_comma,     // the payload is not followed by ','
};

std::string_view describe(NetstringError error) noexcept;

struct Netstring {
  std::span<const std::byte> payload;
  std::size_t consumed = 0;  // bytes of the whole netstring, from first digit to ','
};

// Decodes the netstring at the start of `input`. A prefix of a valid
// netstring yields `incomplete`; a caller that has the whole input treats
// that as an error.
Result<Netstring, NetstringError> parse_netstring(std::span<const std::byte> input, std::size_t max_payload) noexcept;

// Appends the netstring encoding of `payload` to `out`.
Status<BufferError> append_netstring(ByteBuffer& out, std::span<const std::byte> payload);

// The encoding as a string (for small payloads: tests, protocol replies).
std::string encode_netstring(std::string_view payload);

// --- a frame that is one netstring of netstrings (the broker's channels) ---

enum class FieldsError {
  frame_too_large,    // more than the maximum
  bad_framing,        // not exactly one netstring
  bad_field_framing,  // its payload is not a sequence of netstrings
  too_many_fields,    // more fields than `fields` can hold
};

// Splits `frame` (at most `max_frame` bytes) into its fields, which view
// the frame's bytes; returns how many there are.
Result<std::size_t, FieldsError> split_netstring_fields(std::span<const std::byte> frame, std::size_t max_frame,
                                                        std::span<std::string_view> fields) noexcept;

// The frame holding `fields`, in order.
std::string encode_netstring_fields(std::span<const std::string_view> fields);

}  // namespace qcell
