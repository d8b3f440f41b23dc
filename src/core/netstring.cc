// netstring.cc — netstring decoding with the length checked before it is
// used, and encoding through the buffer's bounded append.
#include "core/netstring.h"

#include <charconv>

#include "core/limits.h"
#include "core/size_math.h"

namespace qcell {

std::string_view describe(NetstringError error) noexcept {
  switch (error) {
    case NetstringError::incomplete: return "netstring is incomplete";
    case NetstringError::empty_length: return "netstring has no length digits";
    case NetstringError::non_digit: return "netstring length contains a non-digit";
    case NetstringError::leading_zero: return "netstring length has a leading zero";
    case NetstringError::length_too_large: return "netstring length exceeds the maximum";
    case NetstringError::missing_comma: return "netstring payload is not followed by a comma";
  }
  return "unknown netstring error";
}

Result<Netstring, NetstringError> parse_netstring(std::span<const std::byte> input, std::size_t max_payload) noexcept {
  std::size_t length = 0;
  std::size_t digits = 0;
  std::size_t pos = 0;
  for (;; ++pos) {
    if (pos == input.size()) return fail(NetstringError::incomplete);
    auto c = static_cast<unsigned char>(input[pos]);
    if (c == ':') break;
    if (c < '0' || c > '9') return fail(NetstringError::non_digit);
    if (digits == 1 && length == 0) return fail(NetstringError::leading_zero);
    if (++digits > limits::netstring_length_digits) return fail(NetstringError::length_too_large);
    // length * 10 + digit, refused as soon as it passes the maximum: with at
    // most ten digits and a size_t of 64 bits this cannot wrap, and the
    // checked helpers make that true on any platform.
    auto scaled = size_mul(length, 10);
    auto next = scaled ? size_add(*scaled, static_cast<std::size_t>(c - '0')) : std::nullopt;
    if (!next || *next > max_payload) return fail(NetstringError::length_too_large);
    length = *next;
  }
  if (digits == 0) return fail(NetstringError::empty_length);

  std::size_t payload_start = pos + 1;
  std::size_t available = input.size() - payload_start;
  if (available < length) return fail(NetstringError::incomplete);
  if (available == length) return fail(NetstringError::incomplete);  // the comma has not arrived
  if (static_cast<unsigned char>(input[payload_start + length]) != ',') return fail(NetstringError::missing_comma);
  return Netstring{input.subspan(payload_start, length), payload_start + length + 1};
}

Status<BufferError> append_netstring(ByteBuffer& out, std::span<const std::byte> payload) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, payload.size());
  if (ec != std::errc{}) return fail(BufferError::size_overflow);  // cannot happen with 24 bytes
  auto header = static_cast<std::size_t>(end - digits);
  auto total = size_sum({header, 1, payload.size(), 1});
  if (!total) return fail(BufferError::size_overflow);
  if (auto room = out.reserve_more(*total); !room) return room;
  // reserve_more succeeded, so these appends cannot fail.
  (void)out.append(std::string_view(digits, header));
  (void)out.append(std::string_view(":"));
  (void)out.append(payload);
  (void)out.append(std::string_view(","));
  return {};
}

std::string encode_netstring(std::string_view payload) {
  std::string out = std::to_string(payload.size());
  out += ':';
  out += payload;
  out += ',';
  return out;
}

Result<std::size_t, FieldsError> split_netstring_fields(std::span<const std::byte> frame, std::size_t max_frame,
                                                        std::span<std::string_view> fields) noexcept {
  if (frame.size() > max_frame) return fail(FieldsError::frame_too_large);
  auto outer = parse_netstring(frame, max_frame);
  if (!outer || outer->consumed != frame.size()) return fail(FieldsError::bad_framing);
  std::span<const std::byte> rest = outer->payload;
  std::size_t count = 0;
  while (!rest.empty()) {
    if (count == fields.size()) return fail(FieldsError::too_many_fields);
    auto field = parse_netstring(rest, max_frame);
    if (!field) return fail(FieldsError::bad_field_framing);
    fields[count++] = std::string_view(reinterpret_cast<const char*>(field->payload.data()), field->payload.size());
    rest = rest.subspan(field->consumed);
  }
  return count;
}

std::string encode_netstring_fields(std::span<const std::string_view> fields) {
  std::string payload;
  for (std::string_view field : fields) payload += encode_netstring(field);
  return encode_netstring(payload);
}

}  // namespace qcell
