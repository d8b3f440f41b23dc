// todo_split_test.cc — an envelope into info, local and remote records,
// read back by the queue's own record parsers.
#include "core/todo_split.h"

#include <gtest/gtest.h>

namespace qcell::queue {
namespace {

std::span<const std::byte> bytes(const std::string& text) { return std::as_bytes(std::span(text)); }

TEST(TodoSplit, RecipientsGoWhereRewritingSends) {
  RewriteRules rules;
  rules.envnoathost = "mx.example";
  rules.locals = {"mx.example"};
  rules.virtualdomains = {{"virt.example", "joe"}};
  const Envelope envelope{1000, 42, "alice@example.org", {"bob", "carol@far.example", "x@virt.example", "d@MX.example"}};
  const TodoSplit split = split_todo(envelope, rules);
  EXPECT_EQ(split.info, std::string("Falice@example.org\0", 19));
  EXPECT_EQ(split.local_count, 3U);
  EXPECT_EQ(split.remote_count, 1U);
  auto info = parse_info(bytes(split.info));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sender, "alice@example.org");
  auto local = parse_recipients(bytes(split.local));
  ASSERT_TRUE(local);
  EXPECT_EQ(*local, (RecipientRecords{{"bob@mx.example", false}, {"joe-x@virt.example", false}, {"d@MX.example", false}}));
  auto remote = parse_recipients(bytes(split.remote));
  ASSERT_TRUE(remote);
  EXPECT_EQ(*remote, (RecipientRecords{{"carol@far.example", false}}));
}

TEST(TodoSplit, ABounceHasAnEmptySenderAndNoRecipientsMakeNoFiles) {
  const TodoSplit split = split_todo(Envelope{0, 0, "", {}}, RewriteRules{});
  EXPECT_EQ(split.info, std::string("F\0", 2));
  EXPECT_TRUE(split.local.empty());
  EXPECT_TRUE(split.remote.empty());
}

}  // namespace
}  // namespace qcell::queue
