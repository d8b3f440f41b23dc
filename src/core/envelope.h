// envelope.h — qmail-queue's envelope: `F<sender>\0`, then `T<recipient>\0`
// for each recipient, then one more `\0`. The bytes come from whoever
// injects (any local user, or a network-facing cell): hostile input.
//
// EnvelopeScanner checks the envelope as it streams in, so the queue can
// copy the checked bytes to disk without holding the whole envelope in
// memory. Pure: no I/O, no allocation, bounded state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/limits.h"
#include "core/queue_exit.h"
#include "core/result.h"

namespace qcell {

enum class EnvelopeError : std::uint8_t {
  not_sender_first,     // the first byte is not F
  not_recipient,        // a record after the sender starts with neither T nor the final NUL
  empty_recipient,      // `T\0`: a recipient with no address
  control_byte,         // an address holds a control byte (C0 other than the NUL ending it, or DEL)
  address_too_long,     // an address of limits::envelope_address bytes or more
  too_many_recipients,  // more than limits::queue_recipients
  no_recipients,        // `F...\0` then the final `\0`
  truncated,            // the input ended before the final `\0`
};

std::string_view envelope_error_name(EnvelopeError error) noexcept;
std::string_view describe(EnvelopeError error) noexcept;
// The qmail-queue exit code for an envelope error.
queue::Exit exit_for(EnvelopeError error) noexcept;

struct EnvelopeLimits {
  std::size_t address = limits::envelope_address;  // an address must be shorter than this
  std::size_t recipients = limits::queue_recipients;
};

class EnvelopeScanner {
 public:
  explicit EnvelopeScanner(EnvelopeLimits limits = {}) noexcept : limits_(limits) {}

  // Checks the next bytes. Returns how many of them belong to the envelope:
  // all of them, or fewer when the final NUL is among them (the bytes after
  // it are not the envelope's; qmail-queue stops reading there too). After
  // an error, every later call returns the same error.
  Result<std::size_t, EnvelopeError> feed(std::span<const std::byte> bytes) noexcept;

  // The input ended: an error unless the final NUL was seen.
  Status<EnvelopeError> finish() noexcept;

  bool complete() const noexcept { return state_ == State::done; }
  std::size_t recipients() const noexcept { return recipients_; }

 private:
  enum class State : std::uint8_t { start, sender, record, recipient, done, failed };
  Result<std::size_t, EnvelopeError> refuse(EnvelopeError error) noexcept;

  EnvelopeLimits limits_;
  State state_ = State::start;
  EnvelopeError error_ = EnvelopeError::truncated;
  std::size_t address_length_ = 0;
  std::size_t recipients_ = 0;
};

}  // namespace qcell
