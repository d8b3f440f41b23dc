// zygote_protocol_test.cc — the broker <-> zygote codec: round trips with
// exact bytes, and strict refusal of every malformed frame.
#include "core/zygote_protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "core/byte_buffer.h"
#include "broker_frames.h"
#include "core/netstring.h"

namespace qcell {
namespace {

using testing::frame_of;

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text)); }

TEST(ZygoteProtocol, HandoverRoundTripsWithExactBytes) {
  ByteBuffer out(zygote_frame);
  ZygoteHandover handover{7, {"PROTO=TCP", "TCPREMOTEIP=127.0.0.1", "RELAYCLIENT="}};
  ASSERT_TRUE(encode_zygote_handover(handover, out));
  EXPECT_EQ(std::string(out.view()), frame_of({"handover", "7", "PROTO=TCP", "TCPREMOTEIP=127.0.0.1", "RELAYCLIENT="}));
  auto back = decode_zygote_handover(out.bytes());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, handover);
}

TEST(ZygoteProtocol, EveryReportRoundTrips) {
  for (const ZygoteReport& report :
       {ZygoteReport{ZygoteReportKind::ready, 0, 0}, ZygoteReport{ZygoteReportKind::forked, 3, 0},
        ZygoteReport{ZygoteReportKind::exited, 3, 0}, ZygoteReport{ZygoteReportKind::exited, 4, 0xffff},
        ZygoteReport{ZygoteReportKind::failed, 5, 11}}) {
    ByteBuffer out(zygote_frame);
    ASSERT_TRUE(encode_zygote_report(report, out)) << zygote_report_name(report.kind);
    auto back = decode_zygote_report(out.bytes());
    ASSERT_TRUE(back) << out.view();
    EXPECT_EQ(*back, report);
  }
  ByteBuffer exited(zygote_frame);
  ASSERT_TRUE(encode_zygote_report({ZygoteReportKind::exited, 12, 256}, exited));
  EXPECT_EQ(std::string(exited.view()), "20:6:exited,2:12,3:256,,");
}

TEST(ZygoteProtocol, ReportsAreRefusedStrictly) {
  struct Case {
    std::string frame;
    ZygoteFrameError error;
  };
  const Case cases[] = {
      {"", ZygoteFrameError::bad_framing},
      {frame_of({"ready"}) + "x", ZygoteFrameError::bad_framing},
      {"9:5:ready,x,", ZygoteFrameError::bad_field_framing},
      {frame_of({"handover", "1"}), ZygoteFrameError::wrong_kind},
      {frame_of({"Ready"}), ZygoteFrameError::wrong_kind},
      {frame_of({}), ZygoteFrameError::wrong_kind},
      {frame_of({"ready", "1"}), ZygoteFrameError::wrong_field_count},
      {frame_of({"forked"}), ZygoteFrameError::wrong_field_count},
      {frame_of({"forked", "1", "2"}), ZygoteFrameError::wrong_field_count},
      {frame_of({"exited", "1"}), ZygoteFrameError::wrong_field_count},
      {frame_of({"forked", "0"}), ZygoteFrameError::bad_number},
      {frame_of({"forked", "01"}), ZygoteFrameError::bad_number},
      {frame_of({"forked", "-1"}), ZygoteFrameError::bad_number},
      {frame_of({"forked", "18446744073709551616"}), ZygoteFrameError::bad_number},
      {frame_of({"exited", "1", "65536"}), ZygoteFrameError::bad_number},
      {frame_of({"failed", "1", "0"}), ZygoteFrameError::bad_number},
      {frame_of({"failed", "1", "4096"}), ZygoteFrameError::bad_number},
      {std::string(zygote_frame + 1, '9'), ZygoteFrameError::frame_too_large},
  };
  for (const Case& c : cases) {
    auto report = decode_zygote_report(bytes_of(c.frame));
    ASSERT_FALSE(report) << c.frame;
    EXPECT_EQ(report.error(), c.error) << c.frame << ": " << describe(report.error());
  }
}

TEST(ZygoteProtocol, HandoversAreRefusedStrictly) {
  EXPECT_EQ(decode_zygote_handover(bytes_of(frame_of({"handover"}))).error(), ZygoteFrameError::wrong_field_count);
  EXPECT_EQ(decode_zygote_handover(bytes_of(frame_of({"handover", "0"}))).error(), ZygoteFrameError::bad_number);
  EXPECT_EQ(decode_zygote_handover(bytes_of(frame_of({"ready"}))).error(), ZygoteFrameError::wrong_kind);
  for (const char* entry : {"=x", "NOEQUALS", ""}) {
    EXPECT_EQ(decode_zygote_handover(bytes_of(frame_of({"handover", "1", entry}))).error(),
              ZygoteFrameError::bad_variable)
        << entry;
  }
  EXPECT_EQ(decode_zygote_handover(bytes_of(frame_of({"handover", "1", std::string("A=b\0c", 5)}))).error(),
            ZygoteFrameError::bad_variable);
  // At most zygote_max_environment entries.
  std::string payload = encode_netstring("handover") + encode_netstring("1");
  for (std::size_t i = 0; i <= zygote_max_environment; ++i) payload += encode_netstring("V" + std::to_string(i) + "=1");
  EXPECT_EQ(decode_zygote_handover(bytes_of(encode_netstring(payload))).error(), ZygoteFrameError::wrong_field_count);
}

TEST(ZygoteProtocol, EncodingRefusesWhatCannotBeDecoded) {
  ByteBuffer out(zygote_frame);
  EXPECT_EQ(encode_zygote_handover({0, {}}, out).error(), ZygoteFrameError::bad_number);
  EXPECT_EQ(encode_zygote_handover({1, {"=x"}}, out).error(), ZygoteFrameError::bad_variable);
  EXPECT_EQ(encode_zygote_handover({1, std::vector<std::string>(zygote_max_environment + 1, "A=1")}, out).error(),
            ZygoteFrameError::wrong_field_count);
  EXPECT_EQ(encode_zygote_handover({1, {"A=" + std::string(zygote_frame, 'x')}}, out).error(),
            ZygoteFrameError::frame_too_large);
  EXPECT_EQ(encode_zygote_report({ZygoteReportKind::forked, 0, 0}, out).error(), ZygoteFrameError::bad_number);
  EXPECT_EQ(encode_zygote_report({ZygoteReportKind::failed, 1, 0}, out).error(), ZygoteFrameError::bad_number);
  EXPECT_EQ(encode_zygote_report({ZygoteReportKind::exited, 1, 0x10000}, out).error(), ZygoteFrameError::bad_number);
  EXPECT_TRUE(out.view().empty());
}

}  // namespace
}  // namespace qcell
