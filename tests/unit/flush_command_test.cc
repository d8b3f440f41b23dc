// flush_command_test.cc — `qcell queue flush`'s reading of the status text.
#include "qcell/flush_command.h"

#include <gtest/gtest.h>

namespace qcell {
namespace {

TEST(Flush, FindsTheRunningQmailSend) {
  EXPECT_EQ(qmail_send_pid("broker pid=10 cells=3 requested_cells=1\n"
                           "cell=qmail-queue state=running pid=11 uptime_s=5 restarts=0\n"
                           "cell=qmail-send state=running pid=12 uptime_s=5 restarts=0\n"),
            12);
}

TEST(Flush, NothingWhenItDoesNotRun) {
  EXPECT_FALSE(qmail_send_pid("cell=qmail-send state=waiting next_start_ms=900 restarts=2\n"));
  EXPECT_FALSE(qmail_send_pid(""));
  EXPECT_FALSE(qmail_send_pid("cell=qmail-send state=running pid=1 uptime_s=5\n"));  // never init
  EXPECT_FALSE(qmail_send_pid("cell=qmail-send state=running pid=12x\n"));
  EXPECT_FALSE(qmail_send_pid("cell=qmail-sendmail state=running pid=12\n"));
}

}  // namespace
}  // namespace qcell
