// command_launch_test.cc — qmail-command's launch plan (src/qmail-command/
// launch.h): /bin/sh -c COMMAND in HOME, the job's environment and PATH.
#include "qmail-command/launch.h"

#include <gtest/gtest.h>

namespace qcell::command {
namespace {

TEST(CommandLaunch, ShellInTheHomeWithTheJobsEnvironmentAndPath) {
  CommandJob job{"cat >got", {"SENDER=bob@example.org", "HOME=/home/alice", "EXT=list"}};
  auto launch = plan_launch(job);
  ASSERT_TRUE(launch.ok()) << launch.error();
  EXPECT_EQ(launch->home, "/home/alice");
  EXPECT_EQ(launch->argv, (std::vector<std::string>{"sh", "-c", "cat >got"}));
  EXPECT_EQ(launch->environment, (std::vector<std::string>{"SENDER=bob@example.org", "HOME=/home/alice", "EXT=list",
                                                           "PATH=/usr/local/bin:/bin:/usr/bin"}));
}

TEST(CommandLaunch, RefusesAJobWithoutAnAbsoluteHomeOrWithItsOwnPath) {
  EXPECT_FALSE(plan_launch(CommandJob{"true", {"SENDER="}}).ok());
  EXPECT_FALSE(plan_launch(CommandJob{"true", {"HOME="}}).ok());
  EXPECT_FALSE(plan_launch(CommandJob{"true", {"HOME=home/alice"}}).ok());
  EXPECT_FALSE(plan_launch(CommandJob{"true", {"HOME=/home/alice", "PATH=/tmp"}}).ok());
}

}  // namespace
}  // namespace qcell::command
