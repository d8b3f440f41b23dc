// todo_split.h — qmail-send's first step with a new message
// (docs/delivery.md, "From todo to local and remote"): the envelope in
// todo/N becomes info/N (the sender), local/N and remote/N (a T record per
// recipient, rewritten by recipient_rewrite.h), as qmail-send's todo_do
// writes them: every record a letter, its text and a NUL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/queue_records.h"
#include "core/recipient_rewrite.h"

namespace qcell::queue {

struct TodoSplit {
  std::string info;    // "F" sender NUL
  std::string local;   // "T" address NUL per local recipient ("" when none: no local/N)
  std::string remote;  // the same for remote recipients
  std::size_t local_count = 0;
  std::size_t remote_count = 0;
};

TodoSplit split_todo(const Envelope& envelope, const RewriteRules& rules);

// One record: letter, text, NUL. The text holds no NUL (the parsers refuse
// one, and envelopes cannot carry one).
std::string encode_record(char letter, std::string_view text);

}  // namespace qcell::queue
