// envelope.cc — the streaming envelope check. Hostile input; bounded state.
#include "core/envelope.h"

namespace qcell {

namespace {

struct ErrorEntry {
  EnvelopeError error;
  std::string_view name;
  std::string_view text;
  queue::Exit exit;
};

constexpr ErrorEntry errors[] = {
    {EnvelopeError::not_sender_first, "not_sender_first", "the envelope does not start with an F record",
     queue::Exit::envelope_format},
    {EnvelopeError::not_recipient, "not_recipient", "a record after the sender is neither T nor the final NUL",
     queue::Exit::envelope_format},
    {EnvelopeError::empty_recipient, "empty_recipient", "a T record has an empty address",
     queue::Exit::envelope_format},
    {EnvelopeError::control_byte, "control_byte", "an address holds a control byte", queue::Exit::envelope_format},
    {EnvelopeError::address_too_long, "address_too_long", "an address is 1000 bytes or longer",
     queue::Exit::address_too_long},
    {EnvelopeError::too_many_recipients, "too_many_recipients", "the envelope has too many recipients",
     queue::Exit::too_many_recipients},
    {EnvelopeError::no_recipients, "no_recipients", "the envelope names no recipient", queue::Exit::no_recipients},
    {EnvelopeError::truncated, "truncated", "the envelope ended before its final NUL", queue::Exit::read_error},
};
static_assert(std::size(errors) == static_cast<std::size_t>(EnvelopeError::truncated) + 1);

const ErrorEntry& entry(EnvelopeError error) noexcept { return errors[static_cast<std::size_t>(error)]; }

}  // namespace

std::string_view envelope_error_name(EnvelopeError error) noexcept { return entry(error).name; }
std::string_view describe(EnvelopeError error) noexcept { return entry(error).text; }
queue::Exit exit_for(EnvelopeError error) noexcept { return entry(error).exit; }

Result<std::size_t, EnvelopeError> EnvelopeScanner::refuse(EnvelopeError error) noexcept {
  state_ = State::failed;
  error_ = error;
  return fail(error);
}

Result<std::size_t, EnvelopeError> EnvelopeScanner::feed(std::span<const std::byte> bytes) noexcept {
  if (state_ == State::failed) return fail(error_);
  std::size_t used = 0;
  while (used < bytes.size() && state_ != State::done) {
    auto c = static_cast<unsigned char>(bytes[used++]);
    switch (state_) {
      case State::start:
        if (c != 'F') return refuse(EnvelopeError::not_sender_first);
        state_ = State::sender;
        address_length_ = 0;
        break;
      case State::record:
        if (c == 0) {
          if (recipients_ == 0) return refuse(EnvelopeError::no_recipients);
          state_ = State::done;
        } else if (c == 'T') {
          if (recipients_ >= limits_.recipients) return refuse(EnvelopeError::too_many_recipients);
          ++recipients_;
          state_ = State::recipient;
          address_length_ = 0;
        } else {
          return refuse(EnvelopeError::not_recipient);
        }
        break;
      case State::sender:
      case State::recipient:
        if (c == 0) {
          if (state_ == State::recipient && address_length_ == 0) return refuse(EnvelopeError::empty_recipient);
          state_ = State::record;
        } else if (c < 0x20 || c == 0x7f) {
          return refuse(EnvelopeError::control_byte);
        } else if (++address_length_ >= limits_.address) {
          return refuse(EnvelopeError::address_too_long);
        }
        break;
      case State::done:
      case State::failed:
        break;
    }
  }
  return used;
}

Status<EnvelopeError> EnvelopeScanner::finish() noexcept {
  if (state_ == State::failed) return fail(error_);
  if (state_ != State::done) {
    state_ = State::failed;
    error_ = EnvelopeError::truncated;
    return fail(error_);
  }
  return {};
}

}  // namespace qcell
