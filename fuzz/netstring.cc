// netstring.cc (fuzz) — decodes hostile bytes as a sequence of netstrings
// (as QMTP and QMQP read them) and traps when a decoded netstring breaks an
// invariant: payload within the maximum and the input, consumed bytes equal
// to digits + ':' + payload + ',', re-encoding giving back the same bytes,
// and a strict prefix of a valid netstring never decoding.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/byte_buffer.h"
#include "core/netstring.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  // The first byte picks the maximum, so small and large limits are both explored.
  std::size_t max_payload = size == 0 ? 0 : static_cast<std::size_t>(data[0]) * 4;
  if (size > 0) input = input.subspan(1);

  for (int round = 0; round < 64 && !input.empty(); ++round) {
    auto decoded = qcell::parse_netstring(input, max_payload);
    if (!decoded) {
      require(!qcell::describe(decoded.error()).empty());
      break;
    }
    const auto& n = decoded.value();
    require(n.payload.size() <= max_payload);
    require(n.consumed <= input.size());
    require(n.payload.data() >= input.data() && n.payload.data() + n.payload.size() <= input.data() + input.size());
    std::string encoded = qcell::encode_netstring(qcell::as_text(n.payload));
    require(encoded.size() == n.consumed);
    require(qcell::as_text(input.first(n.consumed)) == encoded);
    // Every strict prefix is incomplete, never a different netstring.
    auto prefix = qcell::parse_netstring(input.first(n.consumed - 1), max_payload);
    require(!prefix.ok() && prefix.error() == qcell::NetstringError::incomplete);
    // The buffer encoder agrees with the string encoder.
    qcell::ByteBuffer buffer(n.consumed);
    require(qcell::append_netstring(buffer, n.payload).ok());
    require(buffer.view() == encoded);
    input = input.subspan(n.consumed);
  }
  return 0;
}
