// control_test.cc — qmail's control-file rules (trimming, comments, integers),
// qcell's deliberate differences, the defaults table against docs/control.md,
// loading a control directory, and cdb lookups through tinycdb.
#include "core/control.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/byte_buffer.h"
#include "core/cdb.h"
#include "core/limits.h"

namespace qcell {
namespace {

std::span<const std::byte> b(std::string_view s) { return as_bytes(s); }

TEST(ControlValue, TakesTheFirstLineAndStripsTrailingBlanks) {
  EXPECT_EQ(parse_control_value(b("mail.example.org \t\nsecond\n")).value(), "mail.example.org");
  EXPECT_EQ(parse_control_value(b("no newline")).value(), "no newline");
  EXPECT_EQ(parse_control_value(b("")).value(), "");
  EXPECT_EQ(parse_control_value(b("\nsecond")).value(), "");
  EXPECT_EQ(parse_control_value(b("  leading kept")).value(), "  leading kept");
}

TEST(ControlValue, StripsATrailingCarriageReturn) {
  EXPECT_EQ(parse_control_value(b("host.example\r\n")).value(), "host.example");
}

TEST(ControlValue, RefusesNulBytes) {
  auto r = parse_control_value(b(std::string_view("ho\0st\n", 6)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ControlErrc::nul_byte);
  EXPECT_EQ(r.error().line, 1u);
}

TEST(ControlList, SkipsEmptyAndCommentLines) {
  auto r = parse_control_list(b("# local domains\nexample.org\n\n  \n.example.net \n#x\nlast"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"example.org", ".example.net", "last"}));
}

TEST(ControlList, ReportsTheLineOfAnError) {
  std::string text = "a\nb\n" + std::string(limits::control_line + 1, 'x') + "\n";
  auto r = parse_control_list(b(text));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ControlErrc::line_too_long);
  EXPECT_EQ(r.error().line, 3u);
  EXPECT_EQ(format_control_error("rcpthosts", r.error()), "control/rcpthosts line 3: line longer than 1024 bytes");
}

TEST(ControlList, LineOfExactlyTheLimitIsAccepted) {
  std::string text = std::string(limits::control_line, 'x') + "   \n";
  EXPECT_TRUE(parse_control_list(b(text)).ok());
}

TEST(ControlList, RefusesFilesOverTheSizeLimit) {
  std::string text(limits::control_file + 1, '\n');
  auto r = parse_control_list(b(text));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ControlErrc::file_too_large);
  std::string exactly(limits::control_file, '\n');
  EXPECT_TRUE(parse_control_list(b(exactly)).ok());
}

TEST(ControlNumber, ParsesDigitsWithinTheRange) {
  EXPECT_EQ(parse_control_number(b("1200\n"), 1, 86400).value(), std::optional<std::uint64_t>(1200));
  EXPECT_EQ(parse_control_number(b("0"), 0, 10).value(), std::optional<std::uint64_t>(0));
  EXPECT_EQ(parse_control_number(b("\n"), 0, 10).value(), std::nullopt);
  EXPECT_EQ(parse_control_number(b(""), 0, 10).value(), std::nullopt);
}

TEST(ControlNumber, RefusesWhatQmailWouldHaveGuessed) {
  // qmail read "10M" as 10 and "-5" as absent; both are refused here.
  for (std::string_view text : {"10M", "-5", " 5", "5 x", "0x10", "1e6"}) {
    auto r = parse_control_number(b(text), 0, UINT64_MAX);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, ControlErrc::not_a_number) << text;
  }
}

TEST(ControlNumber, RefusesOutOfRangeAndOverflow) {
  EXPECT_EQ(parse_control_number(b("121"), 1, 120).error().code, ControlErrc::out_of_range);
  EXPECT_EQ(parse_control_number(b("0"), 1, 120).error().code, ControlErrc::out_of_range);
  EXPECT_EQ(parse_control_number(b("18446744073709551615"), 0, UINT64_MAX).value(),
            std::optional<std::uint64_t>(UINT64_MAX));
  EXPECT_EQ(parse_control_number(b("18446744073709551616"), 0, UINT64_MAX).error().code, ControlErrc::out_of_range);
  EXPECT_EQ(parse_control_number(b("4294967296"), 0, limits::message_size_ceiling).error().code,
            ControlErrc::out_of_range);
}

TEST(ControlTable, NamesAreUniqueAndNumbersHaveSaneRanges) {
  std::set<std::string_view> names;
  for (const ControlEntry& e : control_table()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_FALSE(e.meaning.empty()) << e.name;
    if (e.kind == ControlKind::number) {
      EXPECT_LE(e.minimum, e.maximum) << e.name;
      EXPECT_TRUE(e.default_number >= e.minimum && e.default_number <= e.maximum) << e.name;
    }
  }
  EXPECT_NE(find_control("rcpthosts"), nullptr);
  EXPECT_EQ(find_control("nonexistent"), nullptr);
}

TEST(ControlTable, DocsContainTheGeneratedTable) {
  std::ifstream doc(std::string(QCELL_SOURCE_DIR) + "/docs/control.md");
  ASSERT_TRUE(doc.good()) << "docs/control.md is missing";
  std::stringstream text;
  text << doc.rdbuf();
  EXPECT_NE(text.str().find(control_table_markdown()), std::string::npos)
      << "docs/control.md is out of date; regenerate the table with: qcell control-table\n"
      << control_table_markdown();
}

class ControlDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-control-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }
  void put(const std::string& name, std::string_view content) {
    std::ofstream out(root_ + "/" + name, std::ios::binary);
    out << content;
  }
  DirFd dir() {
    auto d = open_directory(root_.c_str());
    EXPECT_TRUE(d.ok());
    return std::move(d.value());
  }
  std::string root_;
};

TEST_F(ControlDirectory, AppliesDefaultsFromMe) {
  put("me", "mx.example.org\n");
  put("rcpthosts", "example.org\n");
  auto set = load_control_set(dir());
  ASSERT_TRUE(set.ok()) << format_control_error(set.ok() ? "" : set.error().first, set.error().second);
  EXPECT_EQ(set->value("me"), "mx.example.org");
  EXPECT_EQ(set->value("smtpgreeting"), "mx.example.org");
  EXPECT_EQ(set->value("bouncefrom"), "MAILER-DAEMON");
  EXPECT_EQ(set->value("doublebounceto"), "postmaster");
  EXPECT_EQ(set->list("locals"), std::vector<std::string>{"mx.example.org"});
  EXPECT_EQ(set->list("rcpthosts"), std::vector<std::string>{"example.org"});
  EXPECT_EQ(set->number("timeoutsmtpd"), 1200u);
  EXPECT_EQ(set->number("concurrencyremote"), 20u);
  EXPECT_EQ(set->number("queuelifetime"), 604800u);
  EXPECT_EQ(set->number("databytes"), limits::message_size_default);
  EXPECT_FALSE(set->is_set("badmailfrom"));
  EXPECT_FALSE(set->find("timeoutsmtpd")->from_file);
  EXPECT_TRUE(set->find("me")->from_file);
}

TEST_F(ControlDirectory, FileValuesOverrideDefaults) {
  put("me", "mx.example.org");
  put("rcpthosts", "example.org");
  put("databytes", "1000000\n");
  put("smtpgreeting", "hello there\n");
  put("badmailfrom", "@spam.example\nbad@example.net\n");
  auto set = load_control_set(dir());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->number("databytes"), 1000000u);
  EXPECT_EQ(set->value("smtpgreeting"), "hello there");
  EXPECT_EQ(set->list("badmailfrom").size(), 2u);
}

TEST_F(ControlDirectory, DatabytesZeroMeansTheSafeDefaultNotUnlimited) {
  put("me", "mx.example.org");
  put("rcpthosts", "example.org");
  put("databytes", "0");
  auto set = load_control_set(dir());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->number("databytes"), limits::message_size_default);
}

TEST_F(ControlDirectory, MissingMeOrRcpthostsIsAnError) {
  put("rcpthosts", "example.org");
  auto no_me = load_control_set(dir());
  ASSERT_FALSE(no_me.ok());
  EXPECT_EQ(no_me.error().first, "me");
  EXPECT_EQ(no_me.error().second.code, ControlErrc::missing);

  put("me", "mx.example.org");
  ::unlink((root_ + "/rcpthosts").c_str());
  auto no_rcpthosts = load_control_set(dir());
  ASSERT_FALSE(no_rcpthosts.ok());
  EXPECT_EQ(no_rcpthosts.error().first, "rcpthosts");
  EXPECT_EQ(format_control_error(no_rcpthosts.error().first, no_rcpthosts.error().second),
            "control/rcpthosts: required file is missing");
}

TEST_F(ControlDirectory, EmptyMeIsAnError) {
  put("me", "\n");
  put("rcpthosts", "example.org");
  auto set = load_control_set(dir());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().second.code, ControlErrc::empty_value);
}

TEST_F(ControlDirectory, MalformedNumberNamesFileAndLine) {
  put("me", "mx.example.org");
  put("rcpthosts", "example.org");
  put("timeoutsmtpd", "20m\n");
  auto set = load_control_set(dir());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(format_control_error(set.error().first, set.error().second),
            "control/timeoutsmtpd line 1: not a decimal number");
  put("timeoutsmtpd", "0\n");
  auto zero = load_control_set(dir());
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(format_control_error(zero.error().first, zero.error().second),
            "control/timeoutsmtpd line 1: number out of the allowed range (1..86400)");
}

TEST_F(ControlDirectory, RefusesSymlinkedControlFiles) {
  put("me", "mx.example.org");
  put("rcpthosts", "example.org");
  ASSERT_EQ(::symlink("/etc/hostname", (root_ + "/smtpgreeting").c_str()), 0);
  auto set = load_control_set(dir());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().first, "smtpgreeting");
  EXPECT_EQ(set.error().second.code, ControlErrc::unreadable);
}

TEST_F(ControlDirectory, RefusesOversizedFilesWhileReading) {
  put("me", "mx.example.org");
  put("rcpthosts", std::string(limits::control_file + 10, '#'));
  auto set = load_control_set(dir());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().second.code, ControlErrc::file_too_large);
}

TEST_F(ControlDirectory, RefusesNonRegularFiles) {
  put("me", "mx.example.org");
  put("rcpthosts", "example.org");
  ASSERT_EQ(::mkfifo((root_ + "/smtpgreeting").c_str(), 0600), 0);
  auto set = load_control_set(dir());  // must not block on the FIFO
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().first, "smtpgreeting");
}

TEST_F(ControlDirectory, CdbRoundTripThroughTinycdb) {
  {
    UniqueFd out(::open((root_ + "/morercpthosts.cdb").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(out.valid());
    auto writer = CdbWriter::start(out.get());
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->add("example.net", "").ok());
    ASSERT_TRUE(writer->add("big.example", std::string(5000, 'v')).ok());
    EXPECT_EQ(writer->add(std::string(cdb_key_max + 1, 'k'), "").error().code, CdbErrc::key_too_large);
    ASSERT_TRUE(writer->finish().ok());
  }
  auto fd = open_beneath(dir(), "morercpthosts.cdb", O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto reader = CdbReader::open(std::move(fd.value()));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->find("example.net", 100).value(), std::optional<std::string>(""));
  EXPECT_EQ(reader->find("example.com", 100).value(), std::nullopt);
  EXPECT_EQ(reader->find("big.example", 4999).error().code, CdbErrc::value_too_large);
  EXPECT_EQ(reader->find("big.example", 5000).value()->size(), 5000u);
  EXPECT_EQ(reader->find(std::string(cdb_key_max + 1, 'k'), 10).error().code, CdbErrc::key_too_large);

  put("me", "mx.example.org");
  put("rcpthosts", "example.org");
  auto set = load_control_set(dir());
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->is_set("morercpthosts"));
}

TEST_F(ControlDirectory, TruncatedCdbIsRefused) {
  put("bad.cdb", "short");
  auto fd = open_beneath(dir(), "bad.cdb", O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto reader = CdbReader::open(std::move(fd.value()));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code, CdbErrc::not_a_cdb);
}

TEST(ControlErrors, EveryCodeIsDescribedDistinctly) {
  std::set<std::string_view> seen;
  for (auto c : {ControlErrc::file_too_large, ControlErrc::nul_byte, ControlErrc::line_too_long,
                 ControlErrc::not_a_number, ControlErrc::out_of_range, ControlErrc::empty_value, ControlErrc::missing,
                 ControlErrc::unreadable, ControlErrc::unknown_name}) {
    EXPECT_TRUE(seen.insert(describe(c)).second);
  }
}

}  // namespace
}  // namespace qcell
