// envelope_test.cc — the streaming envelope check: every error with its
// exit code, the byte-at-a-time and all-at-once feeds agreeing, the limits
// at and past their edge, and bytes after the final NUL left unread.
#include "core/envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "core/byte_buffer.h"

namespace qcell {
namespace {

using namespace std::string_literals;

struct Outcome {
  bool ok = false;
  EnvelopeError error = EnvelopeError::truncated;
  std::size_t used = 0;
};

// Feeds `text` in chunks of `chunk` bytes, then finishes.
Outcome scan(const std::string& text, std::size_t chunk, EnvelopeLimits limits = {}) {
  EnvelopeScanner scanner(limits);
  Outcome out;
  for (std::size_t at = 0; at < text.size() && !scanner.complete(); at += chunk) {
    auto used = scanner.feed(as_bytes(std::string_view(text).substr(at, chunk)));
    if (!used) {
      out.error = used.error();
      return out;
    }
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

void expect_error(const std::string& text, EnvelopeError error, EnvelopeLimits limits = {}) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, text.size() + 1}) {
    Outcome out = scan(text, chunk, limits);
    EXPECT_FALSE(out.ok) << "chunk " << chunk;
    EXPECT_EQ(out.error, error) << "chunk " << chunk << ": " << envelope_error_name(out.error);
  }
}

TEST(Envelope, WellFormedEnvelopeIsAcceptedInAnyChunking) {
  std::string text = "Fa@b\0Tc@d\0Te@f\0\0"s;
  for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
    Outcome out = scan(text, chunk);
    EXPECT_TRUE(out.ok) << chunk;
    EXPECT_EQ(out.used, text.size()) << chunk;
  }
}

TEST(Envelope, EmptySenderIsABounceAndAccepted) { EXPECT_TRUE(scan("F\0Tx@y\0\0"s, 1).ok); }

TEST(Envelope, BytesAfterTheFinalNulAreNotConsumed) {
  EnvelopeScanner scanner;
  std::string text = "Fa\0Tb\0\0trailing"s;
  auto used = scanner.feed(as_bytes(std::string_view(text)));
  ASSERT_TRUE(used);
  EXPECT_EQ(*used, 7u);
  EXPECT_TRUE(scanner.complete());
  EXPECT_EQ(scanner.recipients(), 1u);
}

TEST(Envelope, EachMalformationHasItsError) {
  expect_error("Tb\0\0"s, EnvelopeError::not_sender_first);
  expect_error(""s, EnvelopeError::truncated);
  expect_error("Fa\0Tb\0"s, EnvelopeError::truncated);  // missing the final NUL
  expect_error("Fa\0Tb"s, EnvelopeError::truncated);
  expect_error("Fa\0Xb\0\0"s, EnvelopeError::not_recipient);
  expect_error("Fa\0T\0\0"s, EnvelopeError::empty_recipient);
  expect_error("Fa\0\0"s, EnvelopeError::no_recipients);
  expect_error("Fa\nb\0Tc\0\0"s, EnvelopeError::control_byte);
  expect_error("Fa\0Tc\x7f\0\0"s, EnvelopeError::control_byte);
  expect_error("Fa\0Tc\r\n\0\0"s, EnvelopeError::control_byte);
}

TEST(Envelope, AddressLengthLimitIsExactAndHasExitEleven) {
  std::string ok(limits::envelope_address - 1, 'a');
  std::string long_one(limits::envelope_address, 'a');
  EXPECT_TRUE(scan("F" + ok + "\0T"s + ok + "\0\0"s, 64).ok);
  expect_error("F" + long_one + "\0Tb\0\0"s, EnvelopeError::address_too_long);
  expect_error("Fa\0T" + long_one + "\0\0"s, EnvelopeError::address_too_long);
  EXPECT_EQ(exit_for(EnvelopeError::address_too_long), queue::Exit::address_too_long);
  // Gigabytes of address end at the limit: the scanner stops at the 1000th byte.
  EnvelopeScanner scanner;
  std::string chunk(1 << 20, 'a');
  ASSERT_TRUE(scanner.feed(as_bytes(std::string_view("F"))));
  EXPECT_FALSE(scanner.feed(as_bytes(std::string_view(chunk))));
  EXPECT_FALSE(scanner.feed(as_bytes(std::string_view(chunk))));  // the error sticks
}

TEST(Envelope, RecipientLimitIsExact) {
  EnvelopeLimits limits;
  limits.recipients = 3;
  EXPECT_TRUE(scan("Fa\0Tb\0Tc\0Td\0\0"s, 2, limits).ok);
  expect_error("Fa\0Tb\0Tc\0Td\0Te\0\0"s, EnvelopeError::too_many_recipients, limits);
  EXPECT_EQ(exit_for(EnvelopeError::too_many_recipients), queue::Exit::too_many_recipients);
}

TEST(Envelope, ErrorsMapToQmailExitCodes) {
  EXPECT_EQ(exit_for(EnvelopeError::not_sender_first), queue::Exit::envelope_format);
  EXPECT_EQ(static_cast<int>(exit_for(EnvelopeError::not_recipient)), 91);
  EXPECT_EQ(static_cast<int>(exit_for(EnvelopeError::truncated)), 54);
  EXPECT_EQ(static_cast<int>(exit_for(EnvelopeError::no_recipients)), 14);
  EXPECT_EQ(describe(EnvelopeError::truncated), "the envelope ended before its final NUL");
}

}  // namespace
}  // namespace qcell
