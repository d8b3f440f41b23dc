// command_job_test.cc — the program delivery's frame (core/command_job.h):
// round trips, every refusal, the bounds at and past their limits.
#include "core/command_job.h"

#include <gtest/gtest.h>

#include <string>

#include "core/byte_buffer.h"
#include "core/netstring.h"

namespace qcell {
namespace {

Result<CommandJob, CommandJobError> parse(std::string_view frame) { return parse_command_job(as_bytes(frame)); }

std::string frame_of(std::initializer_list<std::string_view> fields) {
  std::vector<std::string_view> list(fields);
  return encode_netstring_fields(list);
}

CommandJobError error_of(std::string_view frame) {
  auto parsed = parse(frame);
  EXPECT_FALSE(parsed.ok()) << frame;
  return parsed.ok() ? CommandJobError::frame_too_large : parsed.error();
}

TEST(CommandJob, RoundTrips) {
  CommandJob job{"cat > \"$HOME/got\"; echo $SENDER", {"SENDER=bob@example.org", "HOME=/home/alice",
                                                      "DTLINE=Delivered-To: alice@example.org\n", "EXT="}};
  auto frame = encode_command_job(job);
  ASSERT_TRUE(frame.ok());
  auto parsed = parse(*frame);
  ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
  EXPECT_EQ(*parsed, job);
  EXPECT_EQ(*encode_command_job(*parsed), *frame);
}

TEST(CommandJob, TheFormatIsANetstringOfNetstrings) {
  auto frame = encode_command_job(CommandJob{"echo hi", {"SENDER=a@b.c"}});
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(*frame, "26:7:echo hi,12:SENDER=a@b.c,,");
  // No variables at all is a valid job.
  EXPECT_TRUE(parse("10:7:echo hi,,").ok());
}

TEST(CommandJob, FramingErrors) {
  EXPECT_EQ(error_of(""), CommandJobError::bad_framing);
  EXPECT_EQ(error_of("10:7:echo hi,"), CommandJobError::bad_framing);     // cut short
  EXPECT_EQ(error_of("10:7:echo hi,,x"), CommandJobError::bad_framing);   // trailing bytes
  EXPECT_EQ(error_of("9:7:echo hi,"), CommandJobError::bad_framing);      // inner netstring cut
  EXPECT_EQ(error_of("010:7:echo hi,,"), CommandJobError::bad_framing);   // leading zero
  EXPECT_EQ(error_of("0:,"), CommandJobError::missing_command);
}

TEST(CommandJob, Commands) {
  EXPECT_EQ(error_of(frame_of({""})), CommandJobError::bad_command);
  EXPECT_EQ(error_of(frame_of({"echo\nhi"})), CommandJobError::bad_command);
  EXPECT_EQ(error_of(frame_of({std::string_view("echo\0hi", 7)})), CommandJobError::bad_command);
  const std::string longest(command_job_limits::command, 'x');
  EXPECT_TRUE(parse(frame_of({longest})).ok());
  EXPECT_EQ(error_of(frame_of({longest + "x"})), CommandJobError::bad_command);
}

TEST(CommandJob, Variables) {
  for (std::string_view good : {"A=", "A_1=x", "_X=y", "DTLINE=Delivered-To: a@b\n", "X==="}) {
    EXPECT_TRUE(parse(frame_of({"true", good})).ok()) << good;
  }
  for (std::string_view bad : {"=x", "A", "a=x", "1A=x", "A-B=x", "A B=x"}) {
    EXPECT_EQ(error_of(frame_of({"true", bad})), CommandJobError::bad_variable) << bad;
  }
  EXPECT_EQ(error_of(frame_of({"true", std::string_view("A=x\0y", 5)})), CommandJobError::bad_variable);
  const std::string name(command_job_limits::name, 'N');
  EXPECT_TRUE(parse(frame_of({"true", name + "=x"})).ok());
  EXPECT_EQ(error_of(frame_of({"true", name + "N=x"})), CommandJobError::bad_variable);
  const std::string value(command_job_limits::value, 'v');
  EXPECT_TRUE(parse(frame_of({"true", "V=" + value})).ok());
  EXPECT_EQ(error_of(frame_of({"true", "V=" + value + "v"})), CommandJobError::bad_variable);
  EXPECT_EQ(error_of(frame_of({"true", "A=1", "B=2", "A=3"})), CommandJobError::repeated_variable);
}

TEST(CommandJob, AtMost32Variables) {
  CommandJob job{"true", {}};
  for (int i = 0; i < 32; ++i) job.environment.push_back("V" + std::to_string(i) + "=x");
  auto frame = encode_command_job(job);
  ASSERT_TRUE(frame.ok());
  EXPECT_TRUE(parse(*frame).ok());
  job.environment.push_back("V32=x");
  EXPECT_EQ(encode_command_job(job).error(), CommandJobError::too_many_variables);
  std::string payload = encode_netstring("true");
  for (int i = 0; i < 40; ++i) payload += encode_netstring("V" + std::to_string(i) + "=x");
  EXPECT_EQ(error_of(encode_netstring(payload)), CommandJobError::too_many_variables);
}

TEST(CommandJob, TheFrameIsBoundedBeforeItIsRead) {
  std::string huge(limits::command_job + 1, '9');
  EXPECT_EQ(error_of(huge), CommandJobError::frame_too_large);
}

TEST(CommandJob, TheEncoderRefusesWhatTheParserWould) {
  EXPECT_EQ(encode_command_job(CommandJob{"", {}}).error(), CommandJobError::bad_command);
  EXPECT_EQ(encode_command_job(CommandJob{"true", {"bad"}}).error(), CommandJobError::bad_variable);
  EXPECT_EQ(encode_command_job(CommandJob{"true", {"A=1", "A=2"}}).error(), CommandJobError::repeated_variable);
}

TEST(CommandJob, ErrorsDescribeThemselves) {
  for (auto error : {CommandJobError::frame_too_large, CommandJobError::bad_framing, CommandJobError::missing_command,
                     CommandJobError::bad_command, CommandJobError::too_many_variables, CommandJobError::bad_variable,
                     CommandJobError::repeated_variable}) {
    EXPECT_NE(describe(error), "unknown command frame error");
  }
}

}  // namespace
}  // namespace qcell
