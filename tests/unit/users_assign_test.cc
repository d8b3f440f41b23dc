// users_assign_test.cc — users/assign, its users/cdb records, qmail-lspawn's
// lookup in them (through a real cdb file), and qmail-getpw's rules.
#include "core/users_assign.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/cdb.h"
#include "core/fd.h"

namespace qcell {
namespace {

Result<std::vector<AssignEntry>, UsersAssignError> parse(const std::string& text) {
  return parse_users_assign(std::as_bytes(std::span(text)));
}

const char* const sample =
    "=joe:joe:1001:100:/home/joe:::\n"
    "=Postmaster:alias:7790:2108:/var/qmail/alias:-:postmaster:\n"
    "+list-:lists:1002:100:/home/lists:-:l-:\n"
    "+:alias:7790:2108:/var/qmail/alias:-::\n"
    "=joe:someone:1003:100:/home/else:::\n"
    ".\n";

TEST(UsersAssign, ParsesSimpleAndWildcardLines) {
  auto entries = parse(sample);
  ASSERT_TRUE(entries) << describe(entries.error());
  ASSERT_EQ(entries->size(), 5U);
  EXPECT_EQ((*entries)[0], (AssignEntry{false, "joe", {"joe", 1001, 100, "/home/joe", "", ""}, 1}));
  EXPECT_EQ((*entries)[1].local, "postmaster");  // lowercased
  EXPECT_EQ((*entries)[2], (AssignEntry{true, "list-", {"lists", 1002, 100, "/home/lists", "-", "l-"}, 3}));
  EXPECT_EQ((*entries)[3].local, "");
  EXPECT_TRUE((*entries)[3].wildcard);
  // Lines after the dot are not read, as qmail-newu does not read them.
  EXPECT_TRUE(parse("=a:a:1:1:/h:::\n.\ngarbage\n"));
  EXPECT_TRUE(parse("."));
}

TEST(UsersAssign, RefusesMalformedFiles) {
  struct Case {
    std::string text;
    UsersAssignError error;
  };
  const Case cases[] = {
      {"=joe:joe:1001:100:/home/joe:::\n", {UsersAssignErrc::missing_end, 0}},
      {"", {UsersAssignErrc::missing_end, 0}},
      {"=joe:joe:1001:100:/home/joe:::", {UsersAssignErrc::unterminated_line, 1}},
      {"joe:joe:1001:100:/home/joe:::\n.\n", {UsersAssignErrc::bad_kind, 1}},
      {"\n.\n", {UsersAssignErrc::bad_kind, 1}},
      {"=:joe:1001:100:/home/joe:::\n.\n", {UsersAssignErrc::empty_local, 1}},
      {"=joe:joe:1001:100:/home/joe::\n.\n", {UsersAssignErrc::wrong_field_count, 1}},
      {"=joe:joe:1001:100:/home/joe::::\n.\n", {UsersAssignErrc::wrong_field_count, 1}},
      {"=joe\n.\n", {UsersAssignErrc::wrong_field_count, 1}},
      {"=joe:joe:0:100:/root:::\n.\n", {UsersAssignErrc::bad_uid, 1}},
      {"=joe:joe:01:100:/h:::\n.\n", {UsersAssignErrc::bad_uid, 1}},
      {"=joe:joe:4294967296:100:/h:::\n.\n", {UsersAssignErrc::bad_uid, 1}},
      {"=joe:joe:1:x:/h:::\n.\n", {UsersAssignErrc::bad_gid, 1}},
      {"=joe:joe:1:1:home/joe:::\n.\n", {UsersAssignErrc::home_not_absolute, 1}},
      {"=joe:joe:1:1:/h::../x:\n.\n", {UsersAssignErrc::bad_name, 1}},
      {"=joe::1:1:/h:::\n.\n", {UsersAssignErrc::bad_name, 1}},
      {std::string("=jo\0e:joe:1:1:/h:::\n.\n", 22), {UsersAssignErrc::nul_byte, 1}},
  };
  for (const Case& c : cases) {
    auto parsed = parse(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error(), c.error) << c.text << ": " << describe(parsed.error());
  }
  EXPECT_EQ(describe({UsersAssignErrc::bad_uid, 4}),
            "users/assign line 4: the uid is not a decimal number from 1 to 4294967295");
}

TEST(UsersAssign, RecordsAreQmailNewusKeysAndValues) {
  auto records = users_cdb_records(*parse(sample));
  std::map<std::string, std::string> by_key;
  for (const auto& [key, value] : records) by_key.emplace(key, value);
  EXPECT_EQ(by_key.at(std::string("!joe\0", 5)), std::string("joe\0" "1001\0" "100\0/home/joe\0\0\0", 25));
  EXPECT_EQ(by_key.at("!list-").substr(0, 6), std::string("lists\0", 6));
  EXPECT_EQ(by_key.count("!"), 1U);
  EXPECT_EQ(by_key.at(""), "-");  // the last characters of non-empty prefixes
  // The first of two entries for one key wins.
  EXPECT_EQ(records.size(), 5U);
}

// users/cdb written and read back with tinycdb, as qmail-send will.
class UsersCdb : public ::testing::Test {
 protected:
  void SetUp() override {
    UniqueFd file(::memfd_create("users-cdb", MFD_CLOEXEC));
    ASSERT_TRUE(file.valid());
    auto writer = CdbWriter::start(file.get());
    ASSERT_TRUE(writer);
    for (const auto& [key, value] : users_cdb_records(*parse(sample))) ASSERT_TRUE(writer->add(key, value));
    ASSERT_TRUE(writer->finish());
    ASSERT_EQ(::lseek(file.get(), 0, SEEK_SET), 0);
    auto reader = CdbReader::open(std::move(file));
    ASSERT_TRUE(reader);
    reader_.emplace(std::move(reader.value()));
  }
  Result<std::optional<Assignment>, UsersLookupErrc> lookup(std::string_view local) {
    return lookup_users_cdb(local, [this](std::string_view key) -> std::optional<std::string> {
      auto found = reader_->find(key, 4096);
      return found ? *found : std::nullopt;
    });
  }
  std::optional<CdbReader> reader_;
};

TEST_F(UsersCdb, ExactEntriesComeFirstWhateverTheCase) {
  auto joe = lookup("JOE");
  ASSERT_TRUE(joe && joe->has_value());
  EXPECT_EQ(**joe, (Assignment{"joe", 1001, 100, "/home/joe", "", ""}));
  auto postmaster = lookup("postmaster");
  ASSERT_TRUE(postmaster && postmaster->has_value());
  EXPECT_EQ((*postmaster)->ext, "postmaster");
}

TEST_F(UsersCdb, TheLongestWildcardPrefixGetsTheRestAsExt) {
  auto list = lookup("list-Announce");
  ASSERT_TRUE(list && list->has_value());
  EXPECT_EQ(**list, (Assignment{"lists", 1002, 100, "/home/lists", "-", "l-Announce"}));
  // "+:" catches every other local part, the whole of it as ext.
  auto other = lookup("nobody-here");
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ((*other)->user, "alias");
  EXPECT_EQ((*other)->ext, "nobody-here");
}

TEST(UsersCdbLookup, NoMatchAndCorruptValues) {
  std::map<std::string, std::string> table = {{"", ""}, {std::string("!bad\0", 5), "only\0two\0"}};
  auto find = [&](std::string_view key) -> std::optional<std::string> {
    auto it = table.find(std::string(key));
    return it == table.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto none = lookup_users_cdb("stranger", find);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto corrupt = lookup_users_cdb("bad", find);
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error(), UsersLookupErrc::corrupt);
}

TEST(UsersPasswd, QmailGetpwRules) {
  const std::map<std::string, Account> accounts = {
      {"joe", {1001, 100, "/home/joe", true}},
      {"joe-list", {1004, 100, "/home/joe-list", true}},
      {"root", {0, 0, "/root", true}},
      {"stray", {1005, 100, "/home/stray", false}},
      {"alias", {7790, 2108, "/var/qmail/alias", true}},
  };
  auto find = [&](std::string_view name) -> std::optional<Account> {
    auto it = accounts.find(std::string(name));
    return it == accounts.end() ? std::nullopt : std::optional<Account>(it->second);
  };
  EXPECT_EQ(assignment_from_passwd("Joe", find), (Assignment{"joe", 1001, 100, "/home/joe", "", ""}));
  EXPECT_EQ(assignment_from_passwd("joe-Ext-More", find),
            (Assignment{"joe", 1001, 100, "/home/joe", "-", "Ext-More"}));
  // The longest account name wins.
  EXPECT_EQ(assignment_from_passwd("joe-list-x", find)->user, "joe-list");
  // Root and an account whose home it does not own receive nothing: alias does.
  for (const char* local : {"root", "stray", "nobody", "stray-x"}) {
    auto alias = assignment_from_passwd(local, find);
    ASSERT_TRUE(alias) << local;
    EXPECT_EQ(*alias, (Assignment{"alias", 7790, 2108, "/var/qmail/alias", "-", local})) << local;
  }
  // Names of 32 bytes or more are never looked up.
  EXPECT_EQ(assignment_from_passwd(std::string(40, 'a'), find)->user, "alias");
  auto nothing = [](std::string_view) -> std::optional<Account> { return std::nullopt; };
  EXPECT_FALSE(assignment_from_passwd("joe", nothing));
}

}  // namespace
}  // namespace qcell
