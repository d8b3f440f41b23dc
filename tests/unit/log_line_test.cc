// log_line_test.cc — structured log lines: hostile text cannot forge a
// field or a line, long values are cut, the shape is stable.
#include "core/log_line.h"

#include <gtest/gtest.h>

#include <string>

#include "core/limits.h"

namespace qcell {
namespace {

TEST(LogLine, HasTimeEventAndFieldsInOrder) {
  std::string line = LogLine("start").add("cell", "qmail-smtpd").add("pid", 412).finish();
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.rfind("time=", 0), 0u);
  EXPECT_EQ(line.size(), std::string("time=2026-11-23T12:00:00.123Z event=start cell=qmail-smtpd pid=412\n").size());
  EXPECT_NE(line.find("Z event=start cell=qmail-smtpd pid=412\n"), std::string::npos);
}

TEST(LogLine, QuotesAndEscapesWhatCouldForgeFields) {
  EXPECT_EQ(log_value("plain-value_1.2", 100), "plain-value_1.2");
  EXPECT_EQ(log_value("", 100), "\"\"");
  EXPECT_EQ(log_value("two words", 100), "\"two words\"");
  EXPECT_EQ(log_value("x event=fake", 100), "\"x event=fake\"");
  EXPECT_EQ(log_value("a\"b\\c", 100), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(log_value("line\nforged=1", 100), "\"line\\nforged=1\"");
  EXPECT_EQ(log_value("\x1b[31mred\r\t", 100), "\"\\x1b[31mred\\r\\t\"");
  EXPECT_EQ(log_value(std::string("nul\0x", 5), 100), "\"nul\\x00x\"");
  EXPECT_EQ(log_value("\xff\x80", 100), "\"\\xff\\x80\"");
}

TEST(LogLine, CutsLongValues) {
  EXPECT_EQ(log_value("abcdef", 3), "\"abc...\"");
  std::string huge(limits::log_line * 10, 'z');
  std::string line = LogLine("log").add("text", huge).finish();
  EXPECT_LT(line.size(), limits::log_line + 100);
}

TEST(LogLine, OneEventIsAlwaysOneLine) {
  std::string line = LogLine("log").add("text", "a\nb\rc\n\n").finish();
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

}  // namespace
}  // namespace qcell
