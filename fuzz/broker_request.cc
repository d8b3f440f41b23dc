// broker_request.cc (fuzz) — decodes hostile bytes as a broker request frame
// and as a reply frame, and traps when an invariant breaks:
//   - nothing decodes from a frame over limits::broker_request, and such a
//     frame is refused as frame_too_large whatever it holds;
//   - every decoded field is within its limit and charset;
//   - decoding is canonical: encode(decode(frame)) == frame, and
//     decode(encode(x)) == x;
//   - a decoded frame grown past the limit (one more field) is refused;
//   - the encoder and the decoder agree: the input is also split on '\n'
//     into a kind and fields, framed without checks, and the struct built
//     from the same fields must encode exactly when the frame decodes, to
//     the same bytes, or fail with the same error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker_request.h"
#include "core/byte_buffer.h"
#include "core/limits.h"
#include "core/netstring.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using namespace qcell;
namespace bounds = broker_request_limits;


bool no_control_bytes(std::string_view text) {
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return false;
  }
  return true;
}

void check_fields(const Request& request) {
  if (const auto* local = std::get_if<SpawnLocal>(&request)) {
    require(!local->recipient.empty() && local->recipient.size() <= bounds::address);
    require(local->sender.size() <= bounds::address);
    require(no_control_bytes(local->recipient) && no_control_bytes(local->sender));
  } else if (const auto* remote = std::get_if<SpawnRemote>(&request)) {
    require(!remote->host.empty() && remote->host.size() <= bounds::host && no_control_bytes(remote->host));
    require(remote->host.find_first_of(" /\\@") == std::string::npos && remote->host.front() != '-');
    require(remote->sender.size() <= bounds::address && no_control_bytes(remote->sender));
    require(!remote->recipients.empty() && remote->recipients.size() <= bounds::recipients);
    for (const auto& recipient : remote->recipients) {
      require(!recipient.empty() && recipient.size() <= bounds::address && no_control_bytes(recipient));
    }
  }
  require(descriptors_expected(request) <= bounds::descriptors);
}

void check_fields(const Reply& reply) {
  if (const auto* refused = std::get_if<Refused>(&reply)) {
    require(refused->text.size() <= bounds::refusal_text && no_control_bytes(refused->text));
    require(parse_refusal_reason(refusal_reason_name(refused->reason)) == refused->reason);
  } else if (const auto* finished = std::get_if<Finished>(&reply)) {
    require(!finished->status.signalled ||
            (finished->status.number >= 1 && finished->status.number <= bounds::max_signal));
  }
}

// The frame grown by one field of padding so that it passes the limit.
std::string grown_past_limit(std::span<const std::byte> frame) {
  auto outer = parse_netstring(frame, limits::broker_request);
  require(outer.ok());
  std::string payload(as_text(outer->payload));
  payload += encode_netstring(std::string(limits::broker_request, 'x'));
  return encode_netstring(payload);
}

template <class Message, class Decode, class Encode>
void check_decoded(std::span<const std::byte> frame, Decode decode, Encode encode) {
  auto decoded = decode(frame);
  if (frame.size() > limits::broker_request) {
    require(!decoded.ok() && decoded.error() == RequestError::frame_too_large);
    return;
  }
  if (!decoded.ok()) {
    require(!describe(decoded.error()).empty());
    return;
  }
  const Message& message = decoded.value();
  check_fields(message);
  ByteBuffer out(limits::broker_request);
  require(encode(message, out).ok());
  require(out.view() == as_text(frame));
  auto again = decode(out.bytes());
  require(again.ok() && again.value() == message);
  auto grown = grown_past_limit(frame);
  auto refused = decode(as_bytes(grown));
  require(!refused.ok() && refused.error() == RequestError::frame_too_large);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; parts.size() < 2000;) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      break;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// The same fields as a struct, when the count fits the kind; nullopt otherwise.
std::optional<Request> request_from(const std::vector<std::string_view>& parts) {
  auto kind = parse_request_kind(parts[0]);
  if (!kind) return std::nullopt;
  switch (*kind) {
    case RequestKind::spawn_queue:
      if (parts.size() != 1) return std::nullopt;
      return Request{SpawnQueue{}};
    case RequestKind::spawn_local:
      if (parts.size() != 3) return std::nullopt;
      return Request{SpawnLocal{std::string(parts[1]), std::string(parts[2])}};
    case RequestKind::spawn_remote: {
      if (parts.size() < 3) return std::nullopt;
      SpawnRemote remote{std::string(parts[1]), std::string(parts[2]), {}};
      for (std::size_t i = 3; i < parts.size(); ++i) remote.recipients.emplace_back(parts[i]);
      return Request{std::move(remote)};
    }
    case RequestKind::spawn_clean:
      if (parts.size() != 1) return std::nullopt;
      return Request{SpawnClean{}};
    case RequestKind::spawn_command:
      if (parts.size() != 1) return std::nullopt;
      return Request{SpawnCommand{}};
  }
  return std::nullopt;
}

void check_encoder_agrees(std::string_view text) {
  auto parts = split_lines(text);
  std::string payload;
  for (auto part : parts) payload += encode_netstring(part);
  std::string frame = encode_netstring(payload);
  auto decoded = decode_request(as_bytes(frame));
  auto request = request_from(parts);
  if (!request) {
    require(!decoded.ok());
    return;
  }
  ByteBuffer out(limits::broker_request);
  auto encoded = encode_request(*request, out);
  if (decoded.ok()) {
    require(decoded.value() == *request);
    require(encoded.ok() && out.view() == frame);
    return;
  }
  require(!encoded.ok() && out.empty());
  // The decoder checks the frame size first, the encoder last; otherwise
  // both report the first bad thing in the same order.
  if (frame.size() <= limits::broker_request) {
    require(encoded.error() == decoded.error());
  } else {
    require(decoded.error() == RequestError::frame_too_large);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  check_decoded<Request>(input, decode_request, encode_request);
  check_decoded<Reply>(input, decode_reply, encode_reply);
  if (size <= 4 * limits::broker_request) check_encoder_agrees(as_text(input));
  // The name parsers accept exactly the names they render.
  if (size <= 64) {
    std::string_view word = as_text(input);
    if (auto k = qcell::parse_request_kind(word)) require(qcell::request_kind_name(*k) == word);
    if (auto k = qcell::parse_reply_kind(word)) require(qcell::reply_kind_name(*k) == word);
    if (auto r = qcell::parse_refusal_reason(word)) require(qcell::refusal_reason_name(*r) == word);
  }
  return 0;
}
