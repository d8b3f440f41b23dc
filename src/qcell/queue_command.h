// queue_command.h — `qcell queue init|list|show|count|fsck`: the
// administrator's view of the queue (docs/queue-tools.md). Runs as root
// outside any cell; reads the queue through a descriptor without following
// symlinks, and treats every name and byte in the queue as hostile.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

// The accounts that own the queue (qmail's qmailq, qmails, qmailr and group qmail).
struct QueueAccounts {
  uid_t qmailq = 0;
  uid_t qmails = 0;
  uid_t qmailr = 0;
  gid_t qmail = 0;
};

// Looks the accounts up in the password and group databases; the error
// names the missing account.
Result<QueueAccounts, std::string> lookup_queue_accounts();

struct InitReport {
  std::vector<std::string> changes;  // one line per directory or file created or fixed
  std::string error;                 // empty on success
  int exit_code = 0;                 // 0, 100 (a symlink or a file in the way), 111 (a system call failed)
};

// Creates or repairs root/queue: every directory of queue::dir_table() with
// its 23 split subdirectories, lock/sendmutex, lock/tcpto and lock/trigger,
// with their owners and modes. Idempotent: what is right is left alone.
// Refuses (exit 100) when queue, or anything in it that it manages, is a
// symlink or has the wrong type; it never removes anything.
InitReport init_queue(const DirFd& root, const QueueAccounts& accounts);

// `qcell queue ...`: argv[1] is "queue". Returns the process exit code.
// `policy_text` is policy/qcell.policy as compiled into bin/qcell: every
// subcommand but init confines itself with it once the queue is open.
int run_queue_command(int argc, char** argv, std::string_view policy_text);

}  // namespace qcell
