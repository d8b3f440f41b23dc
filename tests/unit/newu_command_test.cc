// newu_command_test.cc — `qcell newu`: users/assign compiled into a
// users/cdb that qmail-lspawn's lookup reads; a users/assign that does not
// parse leaves users/cdb alone; users/cdb.tmp is a lock.
#include "qcell/newu_command.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/cdb.h"
#include "core/fd.h"
#include "core/users_assign.h"
#include "test_files.h"

namespace qcell {
namespace {

class NewuCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir((root_ + "/users").c_str(), 0755), 0);
  }
  void assign(const std::string& text) { std::ofstream(root_ + "/users/assign") << text; }
  // Runs `qcell newu --root ROOT`; the exit code, with stdout and stderr kept.
  int run() {
    std::string root_arg = root_;
    char* argv[] = {const_cast<char*>("qcell"), const_cast<char*>("newu"), const_cast<char*>("--root"),
                    root_arg.data(), nullptr};
    int out[2];
    int err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) return -1;
    const int code = run_newu_command(4, argv, out[1], err[1]);
    ::close(out[1]);
    ::close(err[1]);
    output_ = drain(out[0]);
    error_ = drain(err[0]);
    ::close(out[0]);
    ::close(err[0]);
    return code;
  }
  TempDir temp_{"qcell-newu"};
  const std::string root_ = temp_.path();
  std::string output_;
  std::string error_;
};

TEST_F(NewuCommand, CompilesAssignIntoACdbTheLookupReads) {
  assign("=joe:joe:1001:100:/home/joe:::\n+list-:lists:1002:100:/home/lists:-:l-:\n.\n");
  ASSERT_EQ(run(), 0) << error_;
  EXPECT_EQ(output_, "qcell newu: users/cdb holds 2 entries from " + root_ + "/users/assign\n");
  UniqueFd file(::open((root_ + "/users/cdb").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  auto reader = CdbReader::open(std::move(file));
  ASSERT_TRUE(reader);
  auto find = [&](std::string_view key) -> std::optional<std::string> {
    auto found = reader->find(key, 4096);
    return found ? *found : std::nullopt;
  };
  auto joe = lookup_users_cdb("Joe", find);
  ASSERT_TRUE(joe && joe->has_value());
  EXPECT_EQ((*joe)->home, "/home/joe");
  auto list = lookup_users_cdb("list-news", find);
  ASSERT_TRUE(list && list->has_value());
  EXPECT_EQ((*list)->ext, "l-news");
  struct stat st {};
  EXPECT_NE(::stat((root_ + "/users/cdb.tmp").c_str(), &st), 0) << "the temporary file is gone";
}

TEST_F(NewuCommand, ABadAssignLeavesTheOldCdb) {
  assign("=joe:joe:1001:100:/home/joe:::\n.\n");
  ASSERT_EQ(run(), 0) << error_;
  struct stat before {};
  ASSERT_EQ(::stat((root_ + "/users/cdb").c_str(), &before), 0);
  assign("=joe:joe:0:100:/home/joe:::\n.\n");
  EXPECT_EQ(run(), 100);
  EXPECT_EQ(error_,
            "qcell newu: users/assign line 1: the uid is not a decimal number from 1 to 4294967295 "
            "(users/cdb left as it was)\n");
  struct stat after {};
  ASSERT_EQ(::stat((root_ + "/users/cdb").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
}

TEST_F(NewuCommand, MissingAssignAndALeftoverTemporaryFileAreSystemErrors) {
  EXPECT_EQ(run(), 111);
  EXPECT_EQ(error_, "qcell newu: cannot open " + root_ + "/users/assign: No such file or directory\n");
  assign(".\n");
  std::ofstream(root_ + "/users/cdb.tmp") << "x";
  EXPECT_EQ(run(), 111);
  EXPECT_NE(error_.find("cdb.tmp: File exists (another qcell newu runs, or one was interrupted: remove it)"),
            std::string::npos)
      << error_;
}

TEST_F(NewuCommand, RefusesUnknownArguments) {
  char* argv[] = {const_cast<char*>("qcell"), const_cast<char*>("newu"), const_cast<char*>("--frobnicate"), nullptr};
  EXPECT_EQ(run_newu_command(3, argv, 1, ::open("/dev/null", O_WRONLY | O_CLOEXEC)), 100);
}

}  // namespace
}  // namespace qcell
