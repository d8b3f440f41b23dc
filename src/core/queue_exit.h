// queue_exit.h — qmail-queue's exit codes: what each means, whether it is
// permanent, and the reply text an injector reports for it (qmail's
// qmail_close() mapping, with qcell's additions marked). One table; the
// documentation (docs/queue.md) is checked against it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace qcell::queue {

enum class Exit : std::uint8_t {
  ok = 0,
  address_too_long = 11,   // an envelope address of limits::envelope_address bytes or more
  message_too_big = 12,    // qcell: the message exceeds the queue's size limit
  too_many_recipients = 13,  // qcell: more than limits::queue_recipients recipients
  no_recipients = 14,      // qcell: the envelope names no recipient
  refused_permanently = 31,  // a compatible program refuses the message for good
  out_of_memory = 51,
  timeout = 52,            // the injection took longer than its time limit
  write_error = 53,        // e.g. disk full, or fsync failed
  read_error = 54,         // unable to read the message or the envelope, or it ended early
  config_error = 55,       // unable to read a configuration file
  connection_error = 56,   // qcell: the qmail-queue front end cannot reach the broker
  home_error = 61,         // problem with the qmail home directory
  queue_dir_error = 62,    // problem with the queue directory
  pid_error = 63,          // problem with queue/pid
  mess_error = 64,         // problem with queue/mess
  intd_error = 65,         // problem with queue/intd
  todo_error = 66,         // problem with queue/todo
  refused_temporarily = 71,  // the server (qcell: the broker) refuses for now, e.g. too many injections
  internal_bug = 81,       // internal error; qcell: also the queue cell ended while holding the message
  envelope_format = 91,    // the envelope is not F..\0 (T..\0)* \0, or an address holds a control byte
};

struct ExitEntry {
  Exit code;
  bool permanent;
  bool qcell_only;           // not a code qmail's qmail-queue itself uses
  std::string_view meaning;  // for docs/queue.md
  std::string_view reply;    // qmail_close()'s text with its enhanced status code
};

std::span<const ExitEntry> exit_table() noexcept;

// What an injector tells its client for any exit code 0..255, as qmail's
// qmail_close() does: an entry of the table, or for other codes "permanent
// problem" (11..40) or "temporary problem" (all else).
struct ExitMeaning {
  bool ok;
  bool permanent;
  std::string_view reply;  // without the leading D/Z; empty when ok
};
ExitMeaning describe_exit(int code) noexcept;

}  // namespace qcell::queue
