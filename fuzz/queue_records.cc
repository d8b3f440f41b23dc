// queue_records.cc (fuzz) — drives the queue record parsers (envelope, info,
// local/remote) with hostile bytes and traps when a result breaks an
// invariant: limits kept, no NUL inside a kept address, error offsets inside
// the input, a parsed file re-encoding to the same value, a tighter limit
// never accepting what a looser one refuses, and a successful file failing
// as "unterminated" once its last NUL is cut.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/queue_records.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using qcell::queue::Envelope;
using qcell::queue::RecipientRecords;
using qcell::queue::RecordError;
using qcell::queue::RecordLimits;
using qcell::queue::RecordParseError;


std::span<const std::byte> bytes_of(std::string_view text) { return std::as_bytes(std::span(text)); }

void check_error(const RecordParseError& error, std::size_t size, const RecordLimits& limits) {
  require(!qcell::queue::describe(error.error).empty());
  if (error.error == RecordError::file_too_large) {
    require(size > limits.max_file && error.offset == limits.max_file);
  } else {
    require(error.offset <= size);
  }
}

void check_address(const std::string& address, const RecordLimits& limits) {
  require(address.size() < limits.max_address);
  require(address.find('\0') == std::string::npos);
}

std::string record(char letter, std::string_view text) {
  std::string out(1, letter);
  out += text;
  out += '\0';
  return out;
}

std::string encode(const Envelope& e) {
  std::string out = record('u', std::to_string(e.uid)) + record('p', std::to_string(e.pid)) + record('F', e.sender);
  for (const std::string& r : e.recipients) out += record('T', r);
  return out;
}

std::string encode(const RecipientRecords& records) {
  std::string out;
  for (const auto& r : records) out += record(r.done ? 'D' : 'T', r.address);
  return out;
}

void cut_fails(std::string_view input) {
  auto cut = qcell::queue::parse_recipients(bytes_of(input.substr(0, input.size() - 1)));
  require(!cut.ok() && cut.error().error == RecordError::unterminated_record);
}

void run(std::string_view input, const RecordLimits& limits, const RecordLimits& tight) {
  auto envelope = qcell::queue::parse_envelope(bytes_of(input), limits);
  auto tight_envelope = qcell::queue::parse_envelope(bytes_of(input), tight);
  if (envelope.ok()) {
    require(envelope->recipients.size() <= limits.max_records);
    check_address(envelope->sender, limits);
    for (const std::string& r : envelope->recipients) check_address(r, limits);
    auto again = qcell::queue::parse_envelope(bytes_of(encode(*envelope)), limits);
    require(again.ok() && *again == *envelope);
    require(!input.empty() && input.back() == '\0');
  } else {
    check_error(envelope.error(), input.size(), limits);
    require(!tight_envelope.ok());
  }
  if (tight_envelope.ok()) require(envelope.ok() && *tight_envelope == *envelope);

  auto info = qcell::queue::parse_info(bytes_of(input), limits);
  if (info.ok()) {
    check_address(info->sender, limits);
    require(record('F', info->sender) == input);  // exactly one record: nothing else fits
  } else {
    check_error(info.error(), input.size(), limits);
  }

  auto recipients = qcell::queue::parse_recipients(bytes_of(input), limits);
  auto tight_recipients = qcell::queue::parse_recipients(bytes_of(input), tight);
  if (recipients.ok()) {
    require(recipients->size() <= limits.max_records);
    for (const auto& r : *recipients) check_address(r.address, limits);
    require(encode(*recipients) == input);  // T/D records re-encode byte for byte
    if (!input.empty()) cut_fails(input);
  } else {
    check_error(recipients.error(), input.size(), limits);
    require(!tight_recipients.ok());
  }
  if (tight_recipients.ok()) require(recipients.ok() && *tight_recipients == *recipients);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The real limits, and small ones the fuzzer can reach, each with a tighter twin.
  RecordLimits real;
  RecordLimits tight_real = real;
  tight_real.max_address = 16;
  tight_real.max_records = 3;
  run(input, real, tight_real);

  RecordLimits small;
  small.max_file = 256;
  small.max_records = 8;
  small.max_address = 32;
  RecordLimits tighter = small;
  tighter.max_file = 64;
  tighter.max_records = 2;
  tighter.max_address = 8;
  run(input, small, tighter);
  return 0;
}
