// delivery_rules.h — small rules of qmail's delivery, as pure functions
// (docs/delivery.md):
//
// - qmail-send's retry schedule: with `birth` the time the message was
//   queued and c = 10 (local) or 20 (remote), the next try after a
//   temporary failure at `now` is birth + n*n with n = floor(sqrt(now -
//   birth)) + c: local deliveries are retried at about 100, 400, 900 s...
//   after queueing, remote ones at 400, 1600, 3600 s...;
// - queuelifetime: a message older than it gets one more try, and then a
//   temporary failure becomes permanent;
// - VERP (qmail-send's senderadd): a sender "prefix-@host-@[]" becomes
//   "prefix-box=domain@host" for the recipient box@domain;
// - the .qmail files qmail-local tries for an address extension, in order,
//   and what $DEFAULT is for each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qcell {

enum class DeliveryChannel { local, remote };

// Seconds since the epoch. A clock that went back (now < birth) counts as
// no age; the result saturates instead of overflowing.
std::int64_t next_retry(std::int64_t birth, std::int64_t now, DeliveryChannel channel) noexcept;

// True once the message is older than `lifetime` seconds.
bool past_queuelifetime(std::int64_t birth, std::int64_t now, std::int64_t lifetime) noexcept;

// The envelope sender of one delivery of a message from `sender` to
// `recipient`: the VERP form when `sender` ends in "-@[]" and has another
// '@' and the recipient has one; otherwise `sender` unchanged.
std::string verp_sender(std::string_view sender, std::string_view recipient);

struct DotQmailCandidate {
  std::string name;       // e.g. ".qmail-list-default"
  bool has_default = false;
  std::string default_part;  // $DEFAULT: the part of ext the "default" stands for
  bool operator==(const DotQmailCandidate&) const = default;
};

// qmail-local's "safe" extension: lowercased, every '.' turned into ':'
// (so that no candidate name holds ".." or a dot file's name).
std::string safe_extension(std::string_view ext);

// The files to try, first existing wins: with an empty dash only ".qmail";
// else ".qmail" + dash + safeext, then at the end of ext and at each '-'
// from the right, ".qmail" + dash + prefix + "default", down to
// ".qmail" + dash + "default". For ext "a-b-c": .qmail-a-b-c,
// .qmail-a-b-default, .qmail-a-default, .qmail-default.
std::vector<DotQmailCandidate> dot_qmail_candidates(std::string_view dash, std::string_view ext);

}  // namespace qcell
