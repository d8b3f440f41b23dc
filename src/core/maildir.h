// maildir.h — delivery into a Maildir, as qmail-local does it and as the
// Maildir specification (cr.yp.to/proto/maildir.html) asks
// (docs/delivery.md, "Delivering to a Maildir"):
//
//   1. a unique name: SECONDS.M<usec>P<pid>Q<n>.HOST, HOST with '/' written
//      "\057" and ':' written "\072" (qmail 1.03's SECONDS.PID.HOST relied
//      on one delivery per process per second);
//   2. tmp/NAME created exclusively (a name taken: the next n, three times);
//   3. the lines to prepend (Return-Path, Delivered-To) and the message
//      written, fsync, close (checked);
//   4. link to new/NAME, tmp/NAME removed, new/ fsynced: only a durable
//      link makes the delivery (qmail skipped the directory's fsync, and a
//      crash could lose a message qmail-send had already forgotten); any
//      failure removes what was made and is temporary.
//
// Works on descriptors: the Maildir is a DirFd (the cell holds the user's
// home or the Maildir itself), the message a readable descriptor (read
// with pread from offset 0, as qmail-local re-reads it per instruction).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

struct MaildirUnique {
  std::int64_t seconds = 0;
  std::int64_t microseconds = 0;
  pid_t pid = 0;
  std::uint64_t sequence = 0;  // deliveries made by this process so far
  std::string host;
};

// SECONDS.M<usec>P<pid>Q<sequence>.HOST, HOST made safe for a file name.
std::string maildir_unique_name(const MaildirUnique& unique);

enum class MaildirErrc {
  no_maildir,      // tmp/ or new/ cannot be opened (qmail: "Unable to chdir to maildir. (#4.2.1)")
  name_taken,      // tmp/NAME existed three times
  create_failed,   // tmp/NAME could not be created
  read_failed,     // the message could not be read ("Unable to read message. (#4.3.0)")
  write_failed,    // write, fsync or close of tmp/NAME failed (a full disk: ENOSPC, EDQUOT)
  link_failed,     // new/NAME could not be made
};

struct MaildirError {
  MaildirErrc code = MaildirErrc::write_failed;
  int sys_errno = 0;
};

// The temporary-failure text: qmail-local's, with the system's reason.
std::string describe(const MaildirError& error);

// Delivers `prefix` followed by the message into the Maildir; returns the
// name it has in new/.
Result<std::string, MaildirError> deliver_to_maildir(const DirFd& maildir, std::string_view prefix, int message_fd,
                                                     MaildirUnique unique);

}  // namespace qcell
