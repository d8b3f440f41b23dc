// data_encoder.cc (fuzz) — encodes a hostile message body as qmail-remote
// does after DATA, fed whole and in two pieces cut where the input's first
// bytes say, and traps when the two outputs differ; when the output has a
// CR or LF outside a CRLF or does not end in CRLF; when a line other than
// the last is exactly "." (DATA would end early at the receiver: SMTP
// smuggling) or the last is not; when a line starting with '.' was not
// stuffed; or when un-stuffing and joining the lines does not give back the
// input with CRLF, bare CR and bare LF all turned into one line end (and a
// line end added to an unterminated last line).
//
// Input layout: bytes 0..1 pick the cut point, the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qmail-remote/data_encoder.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

// The reference normalisation: every CRLF, bare CR and bare LF becomes LF,
// and a body that does not end in one gets one.
std::string normalised(std::string_view body) {
  std::string text;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      text += '\n';
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else {
      text += body[i];
    }
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t pick = static_cast<std::size_t>(data[0]) << 8 | data[1];
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::string whole;
  qcell::remote::DataEncoder one;
  one.feed(body, whole);
  one.finish(whole);

  const std::size_t cut = pick % (body.size() + 1);
  std::string split;
  qcell::remote::DataEncoder two;
  two.feed(body.substr(0, cut), split);
  two.feed(body.substr(cut), split);
  two.finish(split);
  require(split == whole);

  // Line ends: only CRLF, and the output ends with one.
  require(whole.size() >= 3 && whole.compare(whole.size() - 2, 2, "\r\n") == 0);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (whole[i] == '\r') require(i + 1 < whole.size() && whole[i + 1] == '\n');
    if (whole[i] == '\n') require(i > 0 && whole[i - 1] == '\r');
  }

  // Lines: the last is ".", no other is; un-stuffed and joined they are the
  // normalised body.
  std::string joined;
  std::string_view rest = whole;
  for (;;) {
    const std::size_t end = rest.find("\r\n");
    require(end != std::string_view::npos);
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 2);
    if (rest.empty()) {
      require(line == ".");
      break;
    }
    require(line != ".");
    if (!line.empty() && line.front() == '.') {
      require(line.size() >= 2 && line[1] == '.');
      joined += line.substr(1);
    } else {
      joined += line;
    }
    joined += '\n';
  }
  require(joined == normalised(body));

  require(qcell::remote::has_eight_bit(body) == qcell::remote::has_eight_bit(whole));
  return 0;
}
