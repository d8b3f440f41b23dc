// smtp_data_test.cc — the DATA decoder: the only end is <CR><LF>.<CR><LF>;
// every SMTP smuggling variant is refused with its error at its byte; dot
// unstuffing; bytes after the end left for the session; every split of the
// input giving the same result and output; the size limit exact, discarding
// and never wrapping; 8-bit detection; the replies.
#include "qmail-smtpd/data_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_buffer.h"

namespace qcell::smtpd {
namespace {

using namespace std::string_literals;

class StringSink final : public DataSink {
 public:
  void write(std::span<const std::byte> bytes) noexcept override {
    text.append(as_text(bytes));
    ++calls;
  }
  std::string text;
  std::size_t calls = 0;
};

// Counts instead of storing, for the long streams.
class CountingSink final : public DataSink {
 public:
  void write(std::span<const std::byte> bytes) noexcept override { bytes_seen += bytes.size(); }
  std::uint64_t bytes_seen = 0;
};

struct Outcome {
  DataState state = DataState::more;
  std::optional<DataError> error;
  std::size_t consumed = 0;  // of the whole input, over every feed
  std::string output;
  std::uint64_t input_bytes = 0;
  std::uint64_t message_bytes = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t lines = 0;
  bool eight_bit = false;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  return out << "state=" << static_cast<int>(o.state) << " error=" << (o.error ? data_error_name(*o.error) : "none")
             << " consumed=" << o.consumed << " output=[" << o.output << "] input_bytes=" << o.input_bytes
             << " message_bytes=" << o.message_bytes << " lines=" << o.lines << " eight_bit=" << o.eight_bit;
}

// Feeds `input` cut at the given offsets (ascending), stopping at the first
// result that is not `more`.
Outcome decode_cut(std::string_view input, const std::vector<std::size_t>& cuts, DataLimits limits = {}) {
  DataDecoder decoder(limits);
  StringSink sink;
  Outcome out;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t to : ends) {
    auto piece = input.substr(from, to - from);
    FeedResult r = decoder.feed(as_bytes(piece), sink);
    EXPECT_EQ(r.consumed + r.unconsumed, piece.size());
    EXPECT_EQ(r.state, decoder.state());
    out.consumed += r.consumed;
    out.state = r.state;
    out.error = r.error;
    if (r.state != DataState::more) break;
    EXPECT_EQ(r.unconsumed, 0u);
    EXPECT_FALSE(r.error.has_value());
    from = to;
  }
  out.output = sink.text;
  out.input_bytes = decoder.input_bytes();
  out.message_bytes = decoder.message_bytes();
  out.bytes_written = decoder.bytes_written();
  out.lines = decoder.lines();
  out.eight_bit = decoder.eight_bit();
  return out;
}

Outcome decode(std::string_view input, DataLimits limits = {}) { return decode_cut(input, {}, limits); }

// Decodes whole, cut at every single position, cut at every pair of
// positions (short inputs) and one byte at a time; all must agree.
Outcome decode_every_way(std::string_view input, DataLimits limits = {}) {
  Outcome whole = decode(input, limits);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    EXPECT_EQ(decode_cut(input, {cut}, limits), whole) << "cut at " << cut;
  }
  if (input.size() <= 96) {
    for (std::size_t first = 0; first <= input.size(); ++first) {
      for (std::size_t second = first; second <= input.size(); ++second) {
        EXPECT_EQ(decode_cut(input, {first, second}, limits), whole) << "cuts at " << first << ", " << second;
      }
    }
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  EXPECT_EQ(decode_cut(input, every, limits), whole) << "one byte at a time";
  return whole;
}

void expect_message(std::string_view input, std::string_view message, std::uint64_t lines) {
  Outcome out = decode_every_way(input);
  EXPECT_EQ(out.state, DataState::ended) << out;
  EXPECT_FALSE(out.error.has_value()) << out;
  EXPECT_EQ(out.output, message);
  EXPECT_EQ(out.consumed, input.size());
  EXPECT_EQ(out.lines, lines);
  EXPECT_EQ(out.message_bytes, message.size());
  EXPECT_EQ(out.bytes_written, message.size());
}

// `input` must fail with `error`, the offending byte at `offset`, having
// output exactly `before`.
void expect_refused(std::string_view input, DataError error, std::size_t offset, std::string_view before) {
  Outcome out = decode_every_way(input);
  EXPECT_EQ(out.state, DataState::failed) << out;
  ASSERT_TRUE(out.error.has_value()) << out;
  EXPECT_EQ(*out.error, error) << data_error_name(*out.error);
  EXPECT_EQ(out.consumed, offset + 1) << "the offending byte is the last one consumed";
  EXPECT_EQ(out.input_bytes, offset + 1);
  EXPECT_EQ(out.output, before);
  EXPECT_TRUE(reply_for(error).closes_connection);
}

TEST(SmtpData, OnlyCrLfDotCrLfEndsTheData) {
  expect_message("Subject: hi\r\n\r\nbody\r\n.\r\n", "Subject: hi\n\nbody\n", 3);
  expect_message("one line\r\n.\r\n", "one line\n", 1);
  // Empty lines and lines of spaces are text, not ends.
  expect_message("\r\n\r\n \r\n.\r\n", "\n\n \n", 3);
}

TEST(SmtpData, FirstLineDotIsAnEmptyMessage) {
  expect_message(".\r\n", "", 0);
  Outcome out = decode(".\r\n");
  EXPECT_EQ(out.consumed, 3u);
  EXPECT_EQ(out.input_bytes, 3u);
}

TEST(SmtpData, IncompleteEndsWantMore) {
  for (std::string_view input : {"", "a", "a\r", "a\r\n", "a\r\n.", "a\r\n.\r", ".", ".\r", "..", "a\r\n..\r\n"}) {
    Outcome out = decode_every_way(input);
    EXPECT_EQ(out.state, DataState::more) << input;
    EXPECT_EQ(out.consumed, input.size()) << input;
  }
}

TEST(SmtpData, BytesAfterTheEndAreLeftForTheSession) {
  std::string input = "a\r\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\n";
  DataDecoder decoder;
  StringSink sink;
  FeedResult r = decoder.feed(as_bytes(input), sink);
  EXPECT_EQ(r.state, DataState::ended);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_EQ(r.unconsumed, input.size() - 6);
  EXPECT_EQ(input.substr(r.consumed), "MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\n");
  EXPECT_EQ(sink.text, "a\n");
  // Once ended, the decoder takes nothing more and repeats its outcome.
  FeedResult again = decoder.feed(as_bytes(input), sink);
  EXPECT_EQ(again.state, DataState::ended);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(again.unconsumed, input.size());
  EXPECT_EQ(sink.text, "a\n");
  EXPECT_EQ(decoder.input_bytes(), 6u);
  // Split anywhere, the same bytes are left.
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    EXPECT_EQ(decode_cut(input, {cut}).consumed, 6u) << cut;
  }
  // A second message right behind the first is not read into it.
  EXPECT_EQ(decode("x\r\n.\r\ny\r\n.\r\n").output, "x\n");
}

TEST(SmtpData, DotStuffingIsRemoved) {
  expect_message("..\r\n.\r\n", ".\n", 1);    // a line that is only ".."
  expect_message("...\r\n.\r\n", "..\n", 1);  // only the first dot goes
  expect_message(". \r\n.\r\n", " \n", 1);    // ". " is not an end
  expect_message(".x\r\n.\r\n", "x\n", 1);    // RFC 5321 4.5.2: the first dot is always removed
  expect_message("..x\r\n.\r\n", ".x\n", 1);
  expect_message("a.\r\n.b\r\n.\r\n", "a.\nb\n", 2);  // a dot inside a line stays
  expect_message("a\r\n..\r\n.\r\n", "a\n.\n", 2);
  expect_message(".\t\r\n.\r\n", "\t\n", 1);
  expect_message(". .\r\n.\r\n", " .\n", 1);
}

// The SMTP smuggling variants (Longin, SEC Consult, 2023): each is an end of
// data for some server, none is one here, and each is refused at a precise
// byte. The smuggled second message behind it is never reached.
TEST(SmtpData, SmugglingVariantsAreRefusedAtTheirByte) {
  const std::string smuggled = "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@x>\r\nDATA\r\nevil\r\n.\r\n";
  struct Case {
    std::string input;  // before `smuggled`
    DataError error;
    std::size_t offset;
    std::string before;  // output before the refusal
  };
  const Case cases[] = {
      {"hi\n.\n", DataError::bare_lf, 2, "hi"},          // <LF>.<LF>: the first LF
      {"hi\n.\r\n", DataError::bare_lf, 2, "hi"},        // <LF>.<CR><LF>: the first LF
      {"hi\r\n.\n", DataError::bare_lf, 5, "hi\n"},      // <CR><LF>.<LF>: the LF after the dot
      {"hi\r.\r", DataError::bare_cr, 3, "hi"},          // <CR>.<CR>: the dot after the first CR
      {"hi\r\n.\r", DataError::bare_cr, 6, "hi\n"},      // <CR><LF>.<CR>: the byte after the last CR
      {"hi\r\n.\0\r\n"s, DataError::nul, 5, "hi\n"},     // <CR><LF>.<NUL><CR><LF>: the NUL
      {"hi\r\n.\r\r\n", DataError::bare_cr, 6, "hi\n"},  // <CR><LF>.<CR><CR><LF>: the second CR
      {"hi\n\r\n.\r\n", DataError::bare_lf, 2, "hi"},    // <LF><CR><LF>.<CR><LF>
      {"hi\r\r\n.\r\n", DataError::bare_cr, 3, "hi"},    // <CR><CR><LF>.<CR><LF>
      {".\n", DataError::bare_lf, 1, ""},                // at the very start
      {"\n.\r\n", DataError::bare_lf, 0, ""},
      {".\r.\r\n", DataError::bare_cr, 2, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    expect_refused(c.input + smuggled, c.error, c.offset, c.before);
  }
  // "<CR><LF>.<CR>" at the end of what was sent is not yet an error: only the
  // next byte tells whether it is the end marker.
  EXPECT_EQ(decode("hi\r\n.\r").state, DataState::more);
}

TEST(SmtpData, EveryBareByteIsRefusedWhereverItIs) {
  // A CR, LF or NUL at each offset of a line long enough to cross the
  // decoder's 8-byte steps.
  const std::string line = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (std::size_t at = 0; at < line.size(); ++at) {
    const std::string prefix = "x\r\n" + line.substr(0, at);
    const std::string before = "x\n" + line.substr(0, at);
    auto with = [&](char bad) {
      std::string input = prefix;
      input += bad;
      input += line.substr(at);
      input += "\r\n.\r\n";
      return input;
    };
    expect_refused(with('\n'), DataError::bare_lf, prefix.size(), before);
    expect_refused(with('\0'), DataError::nul, prefix.size(), before);
    expect_refused(with('\r'), DataError::bare_cr, prefix.size() + 1, before);
  }
}

TEST(SmtpData, AfterAFailureNothingMoreIsRead) {
  DataDecoder decoder;
  StringSink sink;
  std::string input = "a\nb\r\n.\r\n";
  FeedResult r = decoder.feed(as_bytes(input), sink);
  EXPECT_EQ(r.state, DataState::failed);
  EXPECT_EQ(r.error, DataError::bare_lf);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(r.unconsumed, input.size() - 2);
  FeedResult again = decoder.feed(as_bytes(".\r\n"), sink);
  EXPECT_EQ(again.state, DataState::failed);
  EXPECT_EQ(again.error, DataError::bare_lf);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(sink.text, "a");
}

TEST(SmtpData, SizeLimitIsExactAndCountsTheDecodedMessage) {
  DataLimits limits;
  limits.max_bytes = 6;
  // Counted as stored: LF line ends, stuffing dots removed.
  Outcome fits = decode_every_way("..abcd\r\n.\r\n", limits);  // ".abcd\n": 6 bytes
  EXPECT_EQ(fits.state, DataState::ended);
  EXPECT_FALSE(fits.error.has_value());
  EXPECT_EQ(fits.output, ".abcd\n");

  Outcome over = decode_every_way("..abcde\r\nmore\r\n.\r\nNOOP\r\n", limits);
  EXPECT_EQ(over.state, DataState::ended);
  EXPECT_EQ(over.error, DataError::too_big);
  EXPECT_EQ(over.consumed, 18u) << "read up to the end marker, not beyond";
  EXPECT_EQ(over.output, ".abcde") << "never more than the limit is handed on";
  EXPECT_EQ(over.bytes_written, 6u);
  EXPECT_EQ(over.message_bytes, 12u);
  EXPECT_EQ(over.lines, 2u);
  EXPECT_FALSE(reply_for(DataError::too_big).closes_connection);

  limits.max_bytes = 0;  // only the empty message fits
  EXPECT_FALSE(decode(".\r\n", limits).error.has_value());
  EXPECT_EQ(decode("\r\n.\r\n", limits).error, DataError::too_big);
}

TEST(SmtpData, ABareLineEndPastTheLimitIsStillAFailure) {
  DataLimits limits;
  limits.max_bytes = 2;
  Outcome out = decode_every_way("abcdef\r\nx\n.\n", limits);
  EXPECT_EQ(out.state, DataState::failed);
  EXPECT_EQ(out.error, DataError::bare_lf);
  EXPECT_EQ(out.output, "ab");
}

TEST(SmtpData, LimitArithmeticNeverWraps) {
  constexpr std::uint64_t four_gib = 1ULL << 32;
  static_assert(writable_bytes(0, 10, 4) == 4);
  static_assert(writable_bytes(8, 10, 4) == 2);
  static_assert(writable_bytes(10, 10, 4) == 0);
  static_assert(writable_bytes(11, 10, 4) == 0);
  static_assert(writable_bytes(0, 0, 4) == 0);
  static_assert(writable_bytes(four_gib - 1, four_gib, SIZE_MAX) == 1);
  static_assert(writable_bytes(four_gib + 5, four_gib, 1 << 20) == 0);
  static_assert(writable_bytes(UINT64_MAX - 1, UINT64_MAX, SIZE_MAX) == 1);
  static_assert(writable_bytes(UINT64_MAX, UINT64_MAX, SIZE_MAX) == 0);
  static_assert(writable_bytes(0, UINT64_MAX, SIZE_MAX) == SIZE_MAX);
  // Written counts that a 32-bit counter would have wrapped to small values
  // (qmail's CVE-2005-1513 class) are still over the limit.
  for (std::uint64_t written : {four_gib, four_gib + 1, 5 * four_gib, UINT64_MAX}) {
    EXPECT_EQ(writable_bytes(written, limits::message_size_ceiling, 1 << 20), 0u) << written;
  }
}

TEST(SmtpData, GigabytesOverTheLimitAreDiscardedWithBoundedMemory) {
  // One reused 1 MiB buffer of 1 KiB lines, fed 5120 times: 5 GiB, past any
  // 32-bit counter, over a 1 MiB limit. Nothing is stored but a count.
  std::string chunk;
  std::string line(1022, 'x');
  while (chunk.size() < (1u << 20)) chunk += line + "\r\n";
  ASSERT_EQ(chunk.size(), 1u << 20);
  DataLimits limits;
  limits.max_bytes = 1u << 20;
  DataDecoder decoder(limits);
  CountingSink sink;
  constexpr std::uint64_t feeds = 5120;
  auto started = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < feeds; ++i) {
    FeedResult r = decoder.feed(as_bytes(chunk), sink);
    ASSERT_EQ(r.state, DataState::more);
    ASSERT_EQ(r.consumed, chunk.size());
  }
  FeedResult end = decoder.feed(as_bytes(".\r\nQUIT\r\n"), sink);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(end.state, DataState::ended);
  EXPECT_EQ(end.error, DataError::too_big);
  EXPECT_EQ(end.consumed, 3u);
  EXPECT_EQ(end.unconsumed, 6u);
  EXPECT_EQ(sink.bytes_seen, 1u << 20);
  EXPECT_EQ(decoder.bytes_written(), 1u << 20);
  EXPECT_EQ(decoder.input_bytes(), feeds * chunk.size() + 3);
  EXPECT_EQ(decoder.message_bytes(), feeds * (chunk.size() - 1024));  // one CR fewer per line
  EXPECT_EQ(decoder.lines(), feeds * 1024);
  EXPECT_GT(decoder.message_bytes(), 1ULL << 32);
  RecordProperty("seconds", std::to_string(seconds));
}

TEST(SmtpData, LongLinesAreAccepted) {
  // No line length limit: RFC 5321's 1000 octets are broken by real mail,
  // and the decoder holds no line in memory. 4 MiB in one line is fine.
  std::string line(4u << 20, 'y');
  Outcome out = decode(line + "\r\n.\r\n");
  EXPECT_EQ(out.state, DataState::ended);
  EXPECT_FALSE(out.error.has_value());
  EXPECT_EQ(out.output.size(), line.size() + 1);
  EXPECT_EQ(out.lines, 1u);
}

TEST(SmtpData, EightBitBytesAreNoticedWhereverTheyAre) {
  EXPECT_FALSE(decode_every_way("plain ascii\x7f\r\n.\r\n").eight_bit);
  EXPECT_TRUE(decode_every_way("caf\xc3\xa9\r\n.\r\n").eight_bit);
  EXPECT_TRUE(decode_every_way(".\xff\r\n.\r\n").eight_bit);  // right after a stuffing dot
  const std::string line = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (std::size_t at = 0; at < line.size(); ++at) {
    std::string text = line;
    text[at] = '\x80';
    Outcome out = decode_every_way(text + "\r\n.\r\n");
    EXPECT_TRUE(out.eight_bit) << at;
    EXPECT_EQ(out.output, text + "\n");
  }
}

TEST(SmtpData, OneSinkCallPerLineAndNoCopies) {
  DataDecoder decoder;
  StringSink sink;
  std::string input = "a\r\nbb\r\nccc\r\n.\r\n";
  FeedResult r = decoder.feed(as_bytes(input), sink);
  EXPECT_EQ(r.state, DataState::ended);
  EXPECT_EQ(sink.text, "a\nbb\nccc\n");
  EXPECT_LE(sink.calls, decoder.lines() + 1);
}

TEST(SmtpData, RepliesAreTheDocumentedOnes) {
  EXPECT_EQ(format_reply(DataError::too_big, 1048576), "552 5.3.4 message too big: more than 1048576 bytes");
  EXPECT_EQ(format_reply(DataError::bare_lf, 0),
            "554 5.6.0 bare <LF> in message data: refused (SMTP smuggling protection; see docs/smtpd-data.md)");
  EXPECT_EQ(format_reply(DataError::bare_cr, 0),
            "554 5.6.0 bare <CR> in message data: refused (SMTP smuggling protection; see docs/smtpd-data.md)");
  EXPECT_EQ(format_reply(DataError::nul, 0),
            "554 5.6.0 NUL byte in message data: refused (no BINARYMIME; see docs/smtpd-data.md)");
  EXPECT_EQ(data_error_name(DataError::bare_cr), "bare_cr");
  EXPECT_FALSE(reply_for(DataError::too_big).closes_connection);
  EXPECT_TRUE(reply_for(DataError::nul).closes_connection);
}

}  // namespace
}  // namespace qcell::smtpd
