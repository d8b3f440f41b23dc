// zygote_protocol.cc (fuzz) — decodes hostile frames as a zygote's reports
// (the broker decodes them; a zygote is a cell) and as handovers, and traps
// when a decoded frame does not re-encode to exactly the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/zygote_protocol.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto frame = std::as_bytes(std::span(data, size));
  if (auto report = qcell::decode_zygote_report(frame)) {
    qcell::ByteBuffer out(qcell::zygote_frame);
    require(qcell::encode_zygote_report(*report, out).ok());
    require(qcell_fuzz::same_bytes(out, frame));
  }
  if (auto handover = qcell::decode_zygote_handover(frame)) {
    require(handover->id != 0 && handover->environment.size() <= qcell::zygote_max_environment);
    qcell::ByteBuffer out(qcell::zygote_frame);
    require(qcell::encode_zygote_handover(*handover, out).ok());
    require(qcell_fuzz::same_bytes(out, frame));
  }
  return 0;
}
