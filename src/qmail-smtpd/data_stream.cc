// data_stream.cc — the streaming DATA decoder. Hostile input; O(1) state, no
// allocation, no copy of the input: the sink is handed slices of it.
//
// The state machine, one phase per position in a line:
//
//   line_start  "."  -> dot        CR -> cr        LF, NUL -> failed
//                      other -> middle (the byte is decoded there)
//   dot         CR   -> dot_cr     LF, NUL -> failed
//                      other -> middle (the stuffing dot is dropped)
//   dot_cr      LF   -> ended      other -> failed (bare_cr)
//   middle      CR   -> cr         LF, NUL -> failed     other: output
//   cr          LF   -> line_start (LF output)           other -> failed (bare_cr)
//
// Output bytes are always a contiguous run of the input: the line's bytes,
// then its LF, then the next line's bytes. Only a CR, a stuffing dot and the
// end marker break a run, so a message costs about one sink call per line.
#include "qmail-smtpd/data_stream.h"

#include <cstring>
#include <iterator>

#include "core/size_math.h"

namespace qcell::smtpd {

namespace {

constexpr std::byte kCr{0x0d};
constexpr std::byte kLf{0x0a};
constexpr std::byte kNul{0x00};
constexpr std::byte kDot{0x2e};

constexpr DataReply replies[] = {
    // RFC 5321 4.5.3.1.10 / RFC 1870: 552 for a message over the size limit;
    // RFC 3463 X.3.4 "Message too big for system".
    {"5.3.4", "message too big: more than", 552, false},
    // No enhanced code is registered for bare line ends (the IANA registry
    // ends the X.6 class at X.6.10); X.6.0 "other or undefined media error"
    // is the content class, and 554 is RFC 5321's "transaction failed" reply
    // to the end of data. docs/smtpd-data.md says why it is permanent.
    {"5.6.0", "bare <LF> in message data: refused (SMTP smuggling protection; see docs/smtpd-data.md)", 554, true},
    {"5.6.0", "bare <CR> in message data: refused (SMTP smuggling protection; see docs/smtpd-data.md)", 554, true},
    {"5.6.0", "NUL byte in message data: refused (no BINARYMIME; see docs/smtpd-data.md)", 554, true},
};
static_assert(std::size(replies) == static_cast<std::size_t>(DataError::nul) + 1);

constexpr std::string_view names[] = {"too_big", "bare_lf", "bare_cr", "nul"};
static_assert(std::size(names) == std::size(replies));

// Length of the prefix of `in` that holds no CR, LF or NUL: the bytes that
// are copied to the output as they are. Looks at eight bytes at a time (the
// common case is long runs of text) and notes whether any has its top bit.
std::size_t ordinary_run(std::span<const std::byte> in, bool& eight_bit) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  constexpr std::uint64_t crs = ones * 0x0d;
  constexpr std::uint64_t lfs = ones * 0x0a;
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; in.size() - i >= 8; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, in.data() + i, sizeof word);
    // (v - 0x01..) & ~v & 0x80.. is non-zero exactly when v has a zero byte.
    std::uint64_t cr = word ^ crs;
    std::uint64_t lf = word ^ lfs;
    std::uint64_t special = ((word - ones) & ~word) | ((cr - ones) & ~cr) | ((lf - ones) & ~lf);
    if ((special & highs) != 0) break;
    seen |= word;
  }
  for (; i < in.size(); ++i) {
    std::byte b = in[i];
    if (b == kCr || b == kLf || b == kNul) break;
    seen |= static_cast<std::uint64_t>(b);
  }
  if ((seen & highs) != 0) eight_bit = true;
  return i;
}

}  // namespace

// Both tables are indexed by a DataError, whose every value has an entry
// (the static_asserts above).
std::string_view data_error_name(DataError error) noexcept {
  return names[static_cast<std::size_t>(error)];  // NOLINT(cppcoreguidelines-pro-bounds-constant-array-index)
}

const DataReply& reply_for(DataError error) noexcept {
  return replies[static_cast<std::size_t>(error)];  // NOLINT(cppcoreguidelines-pro-bounds-constant-array-index)
}

std::string format_reply(DataError error, std::uint64_t max_bytes) {
  const DataReply& reply = reply_for(error);
  std::string line = std::to_string(reply.code);
  line += ' ';
  line += reply.enhanced;
  line += ' ';
  line += reply.text;
  if (error == DataError::too_big) {
    line += ' ';
    line += std::to_string(max_bytes);
    line += " bytes";
  }
  return line;
}

DataState DataDecoder::state() const noexcept {
  switch (phase_) {
    case Phase::ended: return DataState::ended;
    case Phase::failed: return DataState::failed;
    default: return DataState::more;
  }
}

void DataDecoder::emit(std::span<const std::byte> run, DataSink& sink) noexcept {
  if (run.empty()) return;
  message_bytes_ = count_add_saturating(message_bytes_, run.size());
  std::size_t room = writable_bytes(bytes_written_, limits_.max_bytes, run.size());
  if (room == 0) return;
  sink.write(run.first(room));
  bytes_written_ += room;  // cannot wrap: bytes_written_ + room <= max_bytes
}

FeedResult DataDecoder::finish(DataState state, std::size_t consumed, std::size_t size) noexcept {
  input_bytes_ = count_add_saturating(input_bytes_, consumed);
  FeedResult result;
  result.state = state;
  result.consumed = consumed;
  result.unconsumed = size - consumed;
  result.error = error_;
  return result;
}

FeedResult DataDecoder::feed(std::span<const std::byte> in, DataSink& sink) noexcept {
  if (phase_ == Phase::ended || phase_ == Phase::failed) {
    FeedResult result;
    result.state = state();
    result.unconsumed = in.size();
    result.error = error_;
    return result;
  }
  // Bytes [run, at) are output as they stand; `at` is the next byte to read.
  std::size_t run = 0;
  std::size_t at = 0;
  // Stops at the offending byte `at`: what came before it is output (so the
  // output never depends on where the stream was cut), the byte is consumed.
  auto refuse = [&](DataError error) noexcept {
    emit(in.subspan(run, at - run), sink);
    phase_ = Phase::failed;
    error_ = error;
    return finish(DataState::failed, at + 1, in.size());
  };
  auto fail_on = [&](std::byte b) noexcept { return refuse(b == kLf ? DataError::bare_lf : DataError::nul); };

  while (at < in.size()) {
    std::byte b = in[at];
    switch (phase_) {
      case Phase::middle:
        at += ordinary_run(in.subspan(at), eight_bit_);
        if (at == in.size()) break;
        b = in[at];
        if (b != kCr) return fail_on(b);
        emit(in.subspan(run, at - run), sink);
        phase_ = Phase::cr;
        run = ++at;
        break;
      case Phase::line_start:
        if (b == kDot || b == kCr) {
          emit(in.subspan(run, at - run), sink);
          phase_ = b == kDot ? Phase::dot : Phase::cr;
          run = ++at;
        } else if (b == kLf || b == kNul) {
          return fail_on(b);
        } else {
          phase_ = Phase::middle;  // decoded there
        }
        break;
      case Phase::dot:
        if (b == kCr) {
          phase_ = Phase::dot_cr;
          run = ++at;
        } else if (b == kLf || b == kNul) {
          return fail_on(b);
        } else {
          phase_ = Phase::middle;  // the stuffing dot is dropped; this byte is text
        }
        break;
      case Phase::dot_cr:
        if (b != kLf) return refuse(DataError::bare_cr);
        phase_ = Phase::ended;
        if (too_big()) error_ = DataError::too_big;
        return finish(DataState::ended, at + 1, in.size());
      case Phase::cr:
        if (b != kLf) return refuse(DataError::bare_cr);
        // The LF starts the next output run: "text<CR>" then "<LF>next line".
        lines_ = count_add_saturating(lines_, 1);
        phase_ = Phase::line_start;
        ++at;
        break;
      case Phase::ended:
      case Phase::failed: break;  // not reached: handled before the loop
    }
  }
  emit(in.subspan(run, at - run), sink);
  return finish(DataState::more, at, in.size());
}

}  // namespace qcell::smtpd
