// queue_exit.cc — the exit code table of qmail-queue.
#include "core/queue_exit.h"

namespace qcell::queue {

namespace {

constexpr ExitEntry table[] = {
    {Exit::ok, false, false, "the message is queued: on disk, fsynced, and linked into todo/", ""},
    {Exit::address_too_long, true, false, "an envelope address is 1000 bytes or longer",
     "qq permanent problem: address too long (#5.1.3)"},
    {Exit::message_too_big, true, true, "the message is larger than the queue accepts (databytes plus headroom)",
     "qq permanent problem: message too big (#5.3.4)"},
    {Exit::too_many_recipients, true, true, "the envelope names more recipients than the queue accepts",
     "qq permanent problem: too many recipients (#5.5.3)"},
    {Exit::no_recipients, true, true, "the envelope names no recipient", "qq permanent problem: no recipients (#5.5.0)"},
    {Exit::refused_permanently, true, false, "the mail server permanently refuses the message (compatible programs)",
     "mail server permanently rejected message (#5.3.0)"},
    {Exit::out_of_memory, false, false, "out of memory", "qq out of memory (#4.3.0)"},
    {Exit::timeout, false, false, "the injection did not finish in time", "qq timeout (#4.3.0)"},
    {Exit::write_error, false, false, "writing or syncing the queue failed, e.g. the disk is full",
     "qq write error or disk full (#4.3.0)"},
    {Exit::read_error, false, false, "the message or the envelope could not be read, or ended before its terminator",
     "qq read error (#4.3.0)"},
    {Exit::config_error, false, false, "a configuration file could not be read", "qq unable to read configuration (#4.3.0)"},
    {Exit::connection_error, false, true, "the qmail-queue front end could not reach the qcell broker",
     "qq trouble making network connection (#4.3.0)"},
    {Exit::home_error, false, false, "problem with the qmail home directory", "qq trouble in home directory (#4.3.0)"},
    {Exit::queue_dir_error, false, false, "problem with the queue directory",
     "qq trouble in queue directory (#4.3.0)"},
    {Exit::pid_error, false, false, "problem with queue/pid", "qq trouble creating files in queue (#4.3.0)"},
    {Exit::mess_error, false, false, "problem with queue/mess", "qq trouble creating files in queue (#4.3.0)"},
    {Exit::intd_error, false, false, "problem with queue/intd", "qq trouble creating files in queue (#4.3.0)"},
    {Exit::todo_error, false, false, "problem with queue/todo", "qq trouble creating files in queue (#4.3.0)"},
    {Exit::refused_temporarily, false, false, "the server (in qcell: the broker) refuses for now, e.g. too busy",
     "mail server temporarily rejected message (#4.3.0)"},
    {Exit::internal_bug, false, false, "internal error, or the queue cell ended while it held the message",
     "qq internal bug (#4.3.0)"},
    {Exit::envelope_format, false, false,
     "the envelope is malformed: not F, then T records, then a final NUL; an empty recipient; a control byte in an "
     "address",
     "qq internal bug (#4.3.0)"},
};

}  // namespace

std::span<const ExitEntry> exit_table() noexcept { return table; }

ExitMeaning describe_exit(int code) noexcept {
  for (const ExitEntry& entry : table) {
    if (static_cast<int>(entry.code) == code) return {code == 0, entry.permanent, entry.reply};
  }
  // qmail_close(): 115 is treated like 11, 120 is "unable to exec qq".
  if (code == 115) return {false, true, "qq permanent problem: address too long (#5.1.3)"};
  if (code == 120) return {false, false, "unable to exec qq (#4.3.0)"};
  if (code >= 11 && code <= 40) return {false, true, "qq permanent problem (#5.3.0)"};
  return {false, false, "qq temporary problem (#4.3.0)"};
}

}  // namespace qcell::queue
