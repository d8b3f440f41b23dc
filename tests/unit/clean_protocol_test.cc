// clean_protocol_test.cc — qmail-send's requests to qmail-clean.
#include "core/clean_protocol.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>

namespace qcell {
namespace {

std::optional<CleanRequest> parse(std::string_view text) {
  return parse_clean_request(std::as_bytes(std::span(text.data(), text.size())));
}

TEST(CleanProtocol, TodoAndMessRequests) {
  EXPECT_EQ(parse("todo/1234"), (CleanRequest{CleanTarget::todo, 1234}));
  EXPECT_EQ(parse("mess/18446744073709551615"), (CleanRequest{CleanTarget::mess, 18446744073709551615u}));
  EXPECT_EQ(encode_clean_request({CleanTarget::todo, 7}), "todo/7");
  EXPECT_EQ(encode_clean_request({CleanTarget::mess, 12}), "mess/12");
}

TEST(CleanProtocol, RefusesAnythingElse) {
  for (std::string_view bad : {"", "todo/", "todo/0", "todo/012", "todo/-1", "todo/+1", "todo/1 ", "todo/1\n",
                               "todo/../1", "foop/12", "TODO/1", "mess/18446744073709551616", "info/5",
                               "mess/1/2", "todo/12a"}) {
    EXPECT_FALSE(parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse(std::string_view("todo/1\0", 7)).has_value());
  // Longer than any request: refused by its size.
  EXPECT_FALSE(parse("mess/" + std::string(1000, '1')).has_value());
}

}  // namespace
}  // namespace qcell
