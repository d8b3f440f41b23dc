// smtp_data.cc (fuzz) — drives the DATA decoder with hostile bytes, fed whole
// and in chunks whose sizes come from the input's first bytes, and traps when
// the two disagree; when the result differs from a naive line-by-line
// reference decoder; when the output holds a CR or a NUL or goes past the
// limit; or when, for an accepted message, re-stuffing the output (LF ->
// CRLF, leading dot doubled) and appending ".\r\n" does not give back the
// consumed input (exactly, where the input stuffed only dots).
//
// Input layout: byte 0 picks the limit (255: the default, else 0..254
// bytes), bytes 1..4 are a cycle of chunk sizes (1..32), the rest is the
// stream that follows the 354 reply.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "qmail-smtpd/data_stream.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using qcell::smtpd::DataDecoder;
using qcell::smtpd::DataError;
using qcell::smtpd::DataLimits;
using qcell::smtpd::DataSink;
using qcell::smtpd::DataState;
using qcell::smtpd::FeedResult;


class StringSink final : public DataSink {
 public:
  void write(std::span<const std::byte> bytes) noexcept override {
    require(!bytes.empty());
    text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  std::string text;
};

struct Outcome {
  DataState state = DataState::more;
  std::optional<DataError> error;
  std::size_t consumed = 0;
  std::string output;  // as handed to the sink (clipped at the limit)
  std::uint64_t message_bytes = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t lines = 0;
  std::uint64_t input_bytes = 0;
  bool eight_bit = false;
  bool operator==(const Outcome&) const = default;
};

Outcome decode(std::string_view input, std::span<const std::size_t> chunks, DataLimits limits) {
  DataDecoder decoder(limits);
  StringSink sink;
  Outcome out;
  std::size_t at = 0;
  for (std::size_t turn = 0;; ++turn) {
    std::size_t length = chunks.empty() ? input.size() - at : chunks[turn % chunks.size()];
    auto piece = input.substr(at, length);
    FeedResult r = decoder.feed(std::as_bytes(std::span(piece.data(), piece.size())), sink);
    require(r.consumed + r.unconsumed == piece.size());
    require(r.state == decoder.state());
    out.consumed += r.consumed;
    out.state = r.state;
    out.error = r.error;
    if (r.state == DataState::more) {
      require(r.unconsumed == 0 && !r.error);
    } else if (r.state == DataState::ended) {
      require(!r.error || *r.error == DataError::too_big);
      require(r.error.has_value() == decoder.too_big());
    } else {
      require(r.error && *r.error != DataError::too_big);
    }
    at += r.consumed;
    if (r.state != DataState::more || at == input.size()) break;
  }
  // A finished decoder takes nothing more.
  if (out.state != DataState::more) {
    FeedResult again = decoder.feed(std::as_bytes(std::span(input.data(), input.size())), sink);
    require(again.state == out.state && again.consumed == 0 && again.error == out.error);
  }
  out.output = sink.text;
  out.message_bytes = decoder.message_bytes();
  out.bytes_written = decoder.bytes_written();
  out.lines = decoder.lines();
  out.input_bytes = decoder.input_bytes();
  out.eight_bit = decoder.eight_bit();
  return out;
}

// The reference: RFC 5321 4.5.2 read line by line, as plainly as possible.
// Returns the whole decoded message (not clipped at any limit).
struct Reference {
  DataState state = DataState::more;
  std::optional<DataError> error;
  std::size_t consumed = 0;
  std::string message;
};

std::string_view unstuffed(std::string_view line) { return !line.empty() && line[0] == '.' ? line.substr(1) : line; }

Reference reference(std::string_view input) {
  Reference ref;
  std::size_t pos = 0;
  for (;;) {
    std::size_t stop = input.find_first_of(std::string_view("\r\n\0", 3), pos);
    if (stop == std::string_view::npos) {
      ref.message += unstuffed(input.substr(pos));
      ref.consumed = input.size();
      return ref;
    }
    std::string_view line = input.substr(pos, stop - pos);
    if (input[stop] != '\r' || stop + 1 == input.size()) {
      ref.message += unstuffed(line);
      if (input[stop] == '\r') {  // a CR at the very end: wait for the next byte
        ref.consumed = input.size();
        return ref;
      }
      ref.state = DataState::failed;
      ref.error = input[stop] == '\n' ? DataError::bare_lf : DataError::nul;
      ref.consumed = stop + 1;
      return ref;
    }
    if (input[stop + 1] != '\n') {
      ref.message += unstuffed(line);
      ref.state = DataState::failed;
      ref.error = DataError::bare_cr;
      ref.consumed = stop + 2;
      return ref;
    }
    if (line == ".") {
      ref.state = DataState::ended;
      ref.consumed = stop + 2;
      return ref;
    }
    ref.message += unstuffed(line);
    ref.message += '\n';
    pos = stop + 2;
  }
}

// What an SMTP client sends for `message` (LF line ends, complete lines).
std::string stuffed(std::string_view message) {
  std::string out;
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out += '.';
    if (c == '\n') out += '\r';
    out += c;
    line_start = c == '\n';
  }
  return out + ".\r\n";
}

// Whether a line of `data` starts with a dot followed by something other
// than a dot or CR: a stuffing dot that a client need not have sent, which
// re-stuffing cannot reproduce.
bool has_needless_stuffing(std::string_view data) {
  bool line_start = true;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (line_start && data[i] == '.' && i + 1 < data.size() && data[i + 1] != '.' && data[i + 1] != '\r') return true;
    line_start = data[i] == '\n';
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  DataLimits limits;
  if (data[0] != 255) limits.max_bytes = data[0];
  const std::size_t chunks[] = {1u + data[1] % 32u, 1u + data[2] % 32u, 1u + data[3] % 32u, 1u + data[4] % 32u};
  std::string_view input(reinterpret_cast<const char*>(data + 5), size - 5);

  Outcome whole = decode(input, {}, limits);
  Outcome pieces = decode(input, chunks, limits);
  std::size_t one = 1;
  Outcome bytewise = decode(input, std::span(&one, 1), limits);
  require(whole == pieces);
  require(whole == bytewise);

  // Against the reference.
  Reference ref = reference(input);
  require(whole.state == ref.state);
  require(whole.consumed == ref.consumed && whole.input_bytes == ref.consumed);
  require(whole.message_bytes == ref.message.size());
  require(whole.lines == static_cast<std::uint64_t>(std::count(ref.message.begin(), ref.message.end(), '\n')));
  bool eight_bit = false;
  for (char c : ref.message) eight_bit = eight_bit || static_cast<unsigned char>(c) >= 0x80;
  require(whole.eight_bit == eight_bit);
  bool over = ref.message.size() > limits.max_bytes;
  if (ref.state == DataState::ended) {
    require(whole.error.has_value() == over);
  } else {
    require(whole.error == ref.error);
  }
  // The output: the message up to the limit, never a CR or a NUL.
  require(whole.bytes_written == whole.output.size() && whole.output.size() <= limits.max_bytes);
  require(whole.output == std::string_view(ref.message).substr(0, whole.output.size()));
  require(over || whole.output == ref.message);
  require(whole.output.find('\r') == std::string::npos);
  require(whole.output.find('\0') == std::string::npos);

  // An accepted message round-trips through re-stuffing.
  if (whole.state == DataState::ended && !whole.error) {
    std::string again = stuffed(whole.output);
    std::string_view consumed = input.substr(0, whole.consumed);
    if (!has_needless_stuffing(consumed)) require(again == consumed);
    Outcome redecoded = decode(again, {}, limits);
    require(redecoded.state == DataState::ended && !redecoded.error);
    require(redecoded.output == whole.output && redecoded.consumed == again.size());
  }
  return 0;
}
