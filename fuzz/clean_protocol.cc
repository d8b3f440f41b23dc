// clean_protocol.cc (fuzz) — decodes hostile frames as qmail-clean does
// (qmail-send, which parses mail, writes them) and traps when a request
// that decodes does not re-encode to exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/clean_protocol.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto frame = std::as_bytes(std::span(data, size));
  if (auto request = qcell::parse_clean_request(frame)) {
    require(request->id != 0);
    std::string text = qcell::encode_clean_request(*request);
    require(text == std::string_view(reinterpret_cast<const char*>(data), size));
  }
  return 0;
}
