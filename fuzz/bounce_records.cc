// bounce_records.cc (fuzz) — parses hostile bytes as bounce/N, and traps
// when the whole pairs it found do not re-encode to exactly the bytes they
// came from (reports without NUL round-trip).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/bounce_records.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = qcell::parse_bounce_records(std::as_bytes(std::span(data, size)));
  if (!parsed) return 0;
  require(parsed->complete_bytes <= size);
  std::string again;
  for (const auto& failed : parsed->failed) again += qcell::encode_bounce_record(failed.address, failed.report);
  require(again == std::string_view(reinterpret_cast<const char*>(data), parsed->complete_bytes));
  return 0;
}
