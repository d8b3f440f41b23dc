// bounce.cc (fuzz) — a bounce composed from hostile parts: the input's
// first line is the original sender, the second a failed recipient, the
// rest its delivery report (a remote server's reply text can end up
// there). The bounce's header must stay its six fields (no field can be
// added through an address), its body must start as QSBMF says, and every
// Status must be a class-5 code.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bounce.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t first = input.find('\n');
  const std::string_view sender = input.substr(0, first);
  input = first == std::string_view::npos ? std::string_view() : input.substr(first + 1);
  const std::size_t second = input.find('\n');
  const std::string_view address = input.substr(0, second);
  const std::string_view report = second == std::string_view::npos ? std::string_view() : input.substr(second + 1);
  qcell::BounceSettings settings;
  settings.bouncehost = "mx.example";
  settings.doublebouncehost = "mx.example";
  const qcell::BounceRoute route = qcell::route_bounce(sender, settings);
  if (route.kind == qcell::BounceKind::dropped) return 0;
  const qcell::BounceText text =
      qcell::compose_bounce(route, {{std::string(address), std::string(report)}}, sender, settings, 0, "B0123456789abcdef");
  const std::size_t header_end = text.before.find("\n\n");
  require(header_end != std::string::npos);
  std::size_t fields = 0;
  for (std::size_t i = 0; i <= header_end; ++i) {
    if (text.before[i] == '\n' && text.before[i + 1] != '\t') ++fields;
  }
  require(fields == 6);
  require(text.before.compare(header_end + 2, 15, "Hi. This is the") == 0);
  const std::string status = qcell::dsn_status(report);
  require(status.size() >= 5 && status[0] == '5' && status[1] == '.');
  return 0;
}
