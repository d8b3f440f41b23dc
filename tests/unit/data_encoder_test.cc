// data_encoder_test.cc — the DATA body encoder: CRLF normalisation, dot
// stuffing after it, and no early end of DATA whatever the message holds.
#include "qmail-remote/data_encoder.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace qcell::remote {
namespace {

using namespace std::literals;

std::string encode(std::string_view body) {
  DataEncoder encoder;
  std::string out;
  encoder.feed(body, out);
  encoder.finish(out);
  return out;
}

// The same body fed one byte at a time.
std::string encode_bytewise(std::string_view body) {
  DataEncoder encoder;
  std::string out;
  for (char c : body) encoder.feed(std::string_view(&c, 1), out);
  encoder.finish(out);
  return out;
}

TEST(DataEncoder, LineEndsBecomeCrlf) {
  EXPECT_EQ(encode("a\r\nb\r\n"), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(encode("a\nb\n"), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(encode("a\rb\r"), "a\r\nb\r\n.\r\n");
  // CR CR LF is a bare CR, then CRLF: two line ends. LF CR is two as well.
  EXPECT_EQ(encode("a\r\r\nb\n\rc\n"), "a\r\n\r\nb\r\n\r\nc\r\n.\r\n");
}

TEST(DataEncoder, UnterminatedLastLineGetsCrlf) {
  EXPECT_EQ(encode("Subject: x\n\nbody"), "Subject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(encode(""), ".\r\n");
  EXPECT_EQ(encode("\r"), "\r\n.\r\n");
}

TEST(DataEncoder, LeadingDotsAreDoubled) {
  EXPECT_EQ(encode(".\n"), "..\r\n.\r\n");
  EXPECT_EQ(encode("..x\na.b\n.\r\n"), "...x\r\na.b\r\n..\r\n.\r\n");
  EXPECT_EQ(encode("."), "..\r\n.\r\n");
}

TEST(DataEncoder, NoSmugglingThroughBareLineEnds) {
  // Each of these would end DATA early at a receiver that accepts a bare
  // LF or bare CR as a line end; after normalising, the dot is stuffed.
  for (std::string_view body : {"a\n.\nMAIL FROM:<x>\n"sv, "a\r.\rMAIL FROM:<x>\r"sv, "a\r\n.\nRSET\n"sv,
                                "a\n.\r\nRSET\r\n"sv, "a\r.\r\nRSET\r\n"sv}) {
    std::string out = encode(body);
    std::size_t end = out.find("\r\n.\r\n");
    EXPECT_EQ(end, out.size() - 5) << body;
    EXPECT_EQ(out.find("\n.\n"), std::string::npos) << body;
    EXPECT_EQ(out.find("\r.\r"), std::string::npos) << body;
  }
  EXPECT_EQ(encode("a\r.\r\nRSET\r\n"), "a\r\n..\r\nRSET\r\n.\r\n");
}

TEST(DataEncoder, ChunkBoundariesDoNotMatter) {
  for (std::string_view body : {"a\r\nb"sv, "a\r"sv, "\r\n.\r\n"sv, ".\r.\n.."sv, "x\r\r\r\n\n.y"sv}) {
    std::string whole = encode(body);
    EXPECT_EQ(encode_bytewise(body), whole) << body;
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
      DataEncoder encoder;
      std::string out;
      encoder.feed(body.substr(0, cut), out);
      encoder.feed(body.substr(cut), out);
      encoder.finish(out);
      EXPECT_EQ(out, whole) << body << " cut " << cut;
    }
  }
}

TEST(DataEncoder, CrAtChunkEndWaits) {
  DataEncoder encoder;
  std::string out;
  encoder.feed("a\r", out);
  EXPECT_EQ(out, "a");
  encoder.feed("\n.b", out);
  EXPECT_EQ(out, "a\r\n..b");
}

TEST(DataEncoder, ReadyForAnotherMessageAfterFinish) {
  DataEncoder encoder;
  std::string out;
  encoder.feed("a\r", out);
  encoder.finish(out);
  encoder.feed(".b\n", out);
  encoder.finish(out);
  EXPECT_EQ(out, "a\r\n.\r\n..b\r\n.\r\n");
}

TEST(DataEncoder, OtherBytesPassUnchanged) {
  std::string body;
  for (int c = 0; c < 256; ++c) {
    if (c != '\r' && c != '\n') body += static_cast<char>(c);
  }
  EXPECT_EQ(encode(body), body + "\r\n.\r\n");
}

TEST(DataEncoder, EightBit) {
  EXPECT_FALSE(has_eight_bit(""));
  EXPECT_FALSE(has_eight_bit("plain \x7f text\r\n"));
  EXPECT_TRUE(has_eight_bit("caf\xc3\xa9"));
  EXPECT_TRUE(has_eight_bit("\x80"));
  EXPECT_TRUE(has_eight_bit("\xff"));
}

}  // namespace
}  // namespace qcell::remote
