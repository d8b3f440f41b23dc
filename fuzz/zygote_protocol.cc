// zygote_protocol.cc (fuzz) — decodes hostile frames as a zygote's reports
// (the broker decodes them; a zygote is a cell) and as handovers, and traps
// when a decoded frame does not re-encode to exactly the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/zygote_protocol.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool same(const qcell::ByteBuffer& out, std::span<const std::byte> frame) {
  auto bytes = out.bytes();
  return bytes.size() == frame.size() && std::equal(bytes.begin(), bytes.end(), frame.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto frame = std::as_bytes(std::span(data, size));
  if (auto report = qcell::decode_zygote_report(frame)) {
    qcell::ByteBuffer out(qcell::zygote_frame);
    require(qcell::encode_zygote_report(*report, out).ok());
    require(same(out, frame));
  }
  if (auto handover = qcell::decode_zygote_handover(frame)) {
    require(handover->id != 0 && handover->environment.size() <= qcell::zygote_max_environment);
    qcell::ByteBuffer out(qcell::zygote_frame);
    require(qcell::encode_zygote_handover(*handover, out).ok());
    require(same(out, frame));
  }
  return 0;
}
