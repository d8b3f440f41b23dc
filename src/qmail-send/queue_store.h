// queue_store.h — qmail-send's files in the queue (docs/delivery.md,
// "qmail-send"): todo/N made into info/N, local/N and remote/N; recipients
// marked done in place; bounce/N collecting permanent failures; a
// finished message's files removed. Every path is opened beneath the
// queue directory descriptor (no symlink, no '..').
//
// Trusts: the queue directory (its files are written by qmail-queue and
// qmail-send, both cells); every file is still read with the bounded,
// fuzzed record parsers (core/queue_records.h), as a crash or a full disk
// may have cut one short.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bounce.h"
#include "core/bounce_records.h"
#include "core/fd.h"
#include "core/recipient_rewrite.h"
#include "core/result.h"

namespace qcell::send {

enum class Channel : std::uint8_t { local, remote };
std::string_view channel_name(Channel channel) noexcept;

struct StoredRecipient {
  std::string address;
  std::uint64_t offset = 0;  // of its record's letter in local/N or remote/N
  bool done = false;
};

struct StoredMessage {
  std::uint64_t id = 0;
  std::int64_t birth = 0;  // info/N's mtime
  std::string sender;
  std::vector<StoredRecipient> recipients[2];  // by Channel
  std::int64_t next_try[2] = {0, 0};           // local/N's and remote/N's mtime (qmail's saved schedule)
  bool has_bounce = false;                     // bounce/N exists
  std::uint64_t bytes = 0;                     // mess/N's size (for the log)
};

class QueueStore {
 public:
  explicit QueueStore(DirFd queue) noexcept : queue_(std::move(queue)) {}

  [[nodiscard]] const DirFd& queue() const noexcept { return queue_; }

  // Message ids in todo/ and in info/ (errors as text).
  Result<std::vector<std::uint64_t>, std::string> todo_ids() const;
  Result<std::vector<std::uint64_t>, std::string> info_ids() const;

  // todo/N into info/N (mtime: now, the birth), local/N and remote/N, each
  // created or truncated (a crash may have left an earlier try). Not yet
  // durable: sync() before todo/N is removed. `uid` and `pid` of the
  // injection are returned for the log.
  struct Preprocessed {
    StoredMessage message;
    std::uint32_t uid = 0;
    std::uint32_t pid = 0;
  };
  Result<Preprocessed, std::string> preprocess(std::uint64_t id, const RewriteRules& rules) const;

  // Makes everything written so far durable: one syncfs(2) of the queue's
  // filesystem for a whole batch of preprocessed messages.
  Status<std::string> sync() const;

  // A message already preprocessed (info/N, local/N, remote/N, bounce/N).
  Result<StoredMessage, std::string> load(std::uint64_t id) const;

  // mess/N, open read-only (for the delivery cells).
  Result<UniqueFd, std::string> open_message(std::uint64_t id) const;

  // Overwrites the recipient's T with D (qmail's one-byte write; not
  // fsynced, docs/delivery.md says when that allows a duplicate).
  Status<std::string> mark_done(std::uint64_t id, Channel channel, std::uint64_t offset) const;

  // Appends one failed recipient to bounce/N and fsyncs it: the failure is
  // durable before its recipient is marked done.
  Status<std::string> add_bounce(std::uint64_t id, std::string_view recipient, std::string_view report) const;
  Result<std::vector<FailedRecipient>, std::string> read_bounces(std::uint64_t id) const;
  Status<std::string> remove_bounce(std::uint64_t id) const;

  // Saves a channel's next try as its file's mtime (qmail does this at
  // exit; qcell at each retry, so that a killed qmail-send keeps it too).
  Status<std::string> save_next_try(std::uint64_t id, Channel channel, std::int64_t when) const;

  // Removes local/N, remote/N and info/N (the last: without it the message
  // is gone for qmail-send). mess/N is qmail-clean's.
  Status<std::string> finish(std::uint64_t id) const;

 private:
  DirFd queue_;
};

}  // namespace qcell::send
