// limits_test.cc — keeps src/core/limits.h, its table and docs/limits.md in
// step: every table entry has its exact row in the documentation, in order;
// names are unique and values non-zero; and every limit declared in the
// header is in the table, so a limit added without documentation fails here.
// Reads the source tree as text (QCELL_SOURCE_DIR); trusts nothing else.
#include "core/limits.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace qcell {
namespace {

std::string read_source_file(const std::string& relative) {
  std::ifstream file(std::string(QCELL_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!file.good()) return {};
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// The documentation row of one entry: "| `NAME` | VALUE | UNIT | REASON |".
std::string doc_row(const limits::LimitEntry& entry) {
  std::string row = "| `";
  row += entry.name;
  row += "` | ";
  row += std::to_string(entry.value);
  row += " | ";
  row += entry.unit;
  row += " | ";
  row += entry.reason;
  row += " |";
  return row;
}

// The table as a span: iterating the C array directly decays it to a pointer.
std::span<const limits::LimitEntry> entries() { return limits::table; }

bool in_table(std::string_view name) {
  for (const auto& entry : entries()) {
    if (entry.name == name) return true;
  }
  return false;
}

TEST(LimitsTable, NamesAreUniqueAndValuesNonZero) {
  std::set<std::string_view> seen;
  for (const auto& entry : entries()) {
    EXPECT_TRUE(seen.insert(entry.name).second) << "duplicate limit name: " << entry.name;
    EXPECT_NE(entry.value, 0U) << entry.name << " is zero";
    EXPECT_FALSE(entry.name.empty());
    EXPECT_FALSE(entry.unit.empty()) << entry.name << " has no unit";
    EXPECT_FALSE(entry.reason.empty()) << entry.name << " has no reason";
    // A '|' or a line break would split the Markdown row.
    for (std::string_view text : {entry.name, entry.unit, entry.reason}) {
      EXPECT_EQ(text.find_first_of("|\n\r`"), std::string_view::npos) << entry.name << ": " << text;
    }
  }
}

TEST(LimitsDoc, HasTheExactRowOfEveryEntryInTableOrder) {
  const std::string doc = read_source_file("docs/limits.md");
  ASSERT_FALSE(doc.empty()) << "docs/limits.md is missing or empty";
  const std::vector<std::string> lines = split_lines(doc);

  std::size_t previous_line = 0;
  bool first = true;
  for (const auto& entry : entries()) {
    const std::string row = doc_row(entry);
    std::size_t found = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] == row) {
        found = i;
        break;
      }
    }
    if (found == lines.size()) {
      ADD_FAILURE() << "docs/limits.md lacks the row for " << entry.name << ":\n" << row;
      continue;
    }
    EXPECT_TRUE(first || found > previous_line) << entry.name << " is out of the header's order in docs/limits.md";
    previous_line = found;
    first = false;
  }
}

TEST(LimitsDoc, HasOneRowPerEntryAndNoOthers) {
  const std::string doc = read_source_file("docs/limits.md");
  ASSERT_FALSE(doc.empty()) << "docs/limits.md is missing or empty";
  std::size_t rows = 0;
  for (const std::string& line : split_lines(doc)) {
    if (line.rfind("| `", 0) != 0) continue;
    ++rows;
    const std::size_t end = line.find('`', 3);
    ASSERT_NE(end, std::string::npos) << line;
    EXPECT_TRUE(in_table(std::string_view(line).substr(3, end - 3))) << "docs/limits.md documents an unknown limit:\n"
                                                                     << line;
  }
  EXPECT_EQ(rows, entries().size()) << "docs/limits.md must have exactly one row per limit";
}

TEST(LimitsHeader, EveryDeclaredLimitIsInTheTable) {
  const std::string header = read_source_file("src/core/limits.h");
  ASSERT_FALSE(header.empty()) << "src/core/limits.h is missing or empty";
  // "inline constexpr <type> <name> =", e.g. "inline constexpr std::size_t path = 256;".
  const std::regex declaration(
      R"(^\s*inline\s+constexpr\s+[A-Za-z_][A-Za-z0-9_:<>, ]*?\s+([A-Za-z_][A-Za-z0-9_]*)\s*=)");
  const std::regex any_declaration(R"(^\s*inline\s+constexpr\b)");
  const std::regex the_table(R"(^\s*inline\s+constexpr\s+LimitEntry\s+table\s*\[\s*\]\s*=)");

  std::vector<std::string> declared;
  for (const std::string& line : split_lines(header)) {
    std::smatch match;
    if (std::regex_search(line, match, declaration)) {
      declared.push_back(match[1].str());
    } else if (std::regex_search(line, any_declaration) && !std::regex_search(line, the_table)) {
      // A declaration this test cannot read (split over lines, say) would
      // otherwise escape the check.
      ADD_FAILURE() << "cannot read this declaration in src/core/limits.h; keep it on one line:\n" << line;
    }
  }
  // Guards the pattern itself: the header declares well over a handful.
  EXPECT_GE(declared.size(), std::size_t{10}) << "the declaration pattern no longer matches src/core/limits.h";
  for (const std::string& name : declared) {
    EXPECT_TRUE(in_table(name)) << "limit " << name
                                << " is declared in src/core/limits.h but missing from limits::table"
                                   " (and so from docs/limits.md)";
  }
  EXPECT_EQ(declared.size(), entries().size())
      << "limits::table has entries that src/core/limits.h does not declare as inline constexpr";
}

}  // namespace
}  // namespace qcell
