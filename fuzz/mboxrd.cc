// mboxrd.cc (fuzz) — mboxrd quoting of a hostile message: taking one '>'
// off every line matching ^>+From  must give the message back, with a
// final newline where it had none; and no line of the result may start
// with "From " (the one thing an mbox reader splits on).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/mbox.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


std::string unquote(std::string_view quoted) {
  std::string out;
  while (!quoted.empty()) {
    const std::size_t end = quoted.find('\n');
    std::string_view line = quoted.substr(0, end == std::string_view::npos ? quoted.size() : end + 1);
    quoted.remove_prefix(line.size());
    require(line.substr(0, 5) != "From ");  // a reader would split here
    std::size_t quotes = 0;
    while (quotes < line.size() && line[quotes] == '>') ++quotes;
    if (quotes > 0 && line.substr(quotes, 5) == "From ") line.remove_prefix(1);
    out += line;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const std::string quoted = qcell::mboxrd_quote(message);
  std::string expected(message);
  if (!expected.empty() && expected.back() != '\n') expected.push_back('\n');
  require(unquote(quoted) == expected);
  return 0;
}
