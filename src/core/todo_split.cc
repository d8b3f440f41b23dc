// todo_split.cc — todo/N into info/N, local/N and remote/N (todo_split.h).
#include "core/todo_split.h"

namespace qcell::queue {

std::string encode_record(char letter, std::string_view text) {
  std::string record(1, letter);
  record.append(text);
  record.push_back('\0');
  return record;
}

TodoSplit split_todo(const Envelope& envelope, const RewriteRules& rules) {
  TodoSplit split;
  split.info = encode_record('F', envelope.sender);
  for (const std::string& recipient : envelope.recipients) {
    const Rewritten rewritten = rewrite_recipient(recipient, rules);
    if (rewritten.destination == Destination::local) {
      split.local += encode_record('T', rewritten.address);
      ++split.local_count;
    } else {
      split.remote += encode_record('T', rewritten.address);
      ++split.remote_count;
    }
  }
  return split;
}

}  // namespace qcell::queue
