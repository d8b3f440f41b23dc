// envelope.cc (fuzz) — drives EnvelopeScanner with hostile bytes, fed whole
// and in chunks whose sizes come from the input, and traps when the two
// disagree, when it consumes more than it was given or anything after the
// final NUL, or when an accepted envelope breaks the limits (recipients,
// address length, control bytes).
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/envelope.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


struct Outcome {
  bool ok = false;
  qcell::EnvelopeError error{};
  std::size_t used = 0;
};

Outcome scan(std::span<const std::byte> input, std::size_t chunk, qcell::EnvelopeLimits limits) {
  qcell::EnvelopeScanner scanner(limits);
  Outcome out;
  for (std::size_t at = 0; at < input.size() && !scanner.complete(); at += chunk) {
    auto piece = input.subspan(at, std::min(chunk, input.size() - at));
    auto used = scanner.feed(piece);
    if (!used) {
      out.error = used.error();
      return out;
    }
    require(*used <= piece.size());
    require(*used == piece.size() || scanner.complete());
    out.used += *used;
  }
  auto finished = scanner.finish();
  if (!finished) {
    out.error = finished.error();
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t chunk = 1 + data[0] % 17;
  auto input = std::as_bytes(std::span(data + 1, size - 1));
  qcell::EnvelopeLimits small{16, 4};
  for (qcell::EnvelopeLimits limits : {qcell::EnvelopeLimits{}, small}) {
    Outcome whole = scan(input, input.size() + 1, limits);
    Outcome pieces = scan(input, chunk, limits);
    require(whole.ok == pieces.ok);
    if (!whole.ok) {
      require(whole.error == pieces.error);
      continue;
    }
    require(whole.used == pieces.used);
    // Accepted: F, then T records, then NUL; check it independently.
    auto bytes = input.first(whole.used);
    require(bytes[0] == std::byte{'F'} && bytes.back() == std::byte{0});
    std::size_t recipients = 0, length = 0;
    bool start = true;
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      auto c = static_cast<unsigned char>(bytes[i]);
      if (start) {
        require(c == 'F' || c == 'T');
        recipients += c == 'T';
        start = false;
        length = 0;
      } else if (c == 0) {
        start = true;
      } else {
        require(c >= 0x20 && c != 0x7f);
        require(++length < limits.address);
      }
    }
    require(recipients >= 1 && recipients <= limits.recipients);
  }
  return 0;
}
