// queue_records.h — pure parsers for the queue's record files: the envelope
// in todo/ and intd/ (u, p, F, then T records), info/ (one F record) and
// local/ and remote/ (T for a recipient still to do, D for one done). Every
// record is a letter, its text, and a NUL byte.
//
// The bytes are treated as hostile: a file may have been cut short by a
// crash or a full disk, or written by something that is not qmail. The
// parsers read at most limits.max_file bytes, keep at most limits.max_records
// recipients of fewer than limits.max_address bytes each, and answer with a
// value or one specific error and the offset where it was found. No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/result.h"

namespace qcell::queue {

enum class RecordError {
  file_too_large,         // more than limits.max_file bytes
  unterminated_record,    // the file ends inside a record (no NUL): cut short
  empty_record,           // a NUL where a record letter belongs
  unknown_record_letter,  // a letter this kind of file does not have
  record_out_of_order,    // envelope records not in the order u, p, F, T...
  duplicate_record,       // a second u, p or F record
  missing_record,         // u, p or F absent from an envelope; F absent from info
  bad_number,             // a u or p record that is not a decimal number below 2^32
  address_too_long,       // an address of limits.max_address bytes or more
  too_many_records,       // more than limits.max_records recipients
};

// A specific English phrase for each error ("record out of order").
std::string_view describe(RecordError error) noexcept;

struct RecordParseError {
  RecordError error = RecordError::unterminated_record;
  std::size_t offset = 0;  // byte offset of the record (or of the first byte past the limit)
  bool operator==(const RecordParseError&) const = default;
};

// "unterminated record at byte 12".
std::string format_record_error(const RecordParseError& error);

struct RecordLimits {
  std::size_t max_file = limits::queue_record_file;
  std::size_t max_records = limits::queue_recipients;
  std::size_t max_address = limits::envelope_address;  // an address must be shorter than this
};

// todo/N and intd/N as qcell's qmail-queue writes them.
struct Envelope {
  std::uint32_t uid = 0;                // u: the injecting user
  std::uint32_t pid = 0;                // p: the injecting process
  std::string sender;                   // F: empty for the null sender (a bounce)
  std::vector<std::string> recipients;  // T records, in order
  bool operator==(const Envelope&) const = default;
};

// info/N.
struct Info {
  std::string sender;
  bool operator==(const Info&) const = default;
};

// One record of local/N or remote/N.
struct RecipientRecord {
  std::string address;
  bool done = false;  // D (delivered or bounced) rather than T (to do)
  bool operator==(const RecipientRecord&) const = default;
};

using RecipientRecords = std::vector<RecipientRecord>;

// An envelope: exactly one u, one p, one F in that order, then any number of
// T records (none is valid: qmail-send then finishes the message at once).
Result<Envelope, RecordParseError> parse_envelope(std::span<const std::byte> bytes, const RecordLimits& limits = {});

// An info file: exactly one F record.
Result<Info, RecordParseError> parse_info(std::span<const std::byte> bytes, const RecordLimits& limits = {});

// A local or remote file: T and D records in any order (possibly none).
Result<RecipientRecords, RecordParseError> parse_recipients(std::span<const std::byte> bytes,
                                                            const RecordLimits& limits = {});

}  // namespace qcell::queue
