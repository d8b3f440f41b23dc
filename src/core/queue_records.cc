// queue_records.cc — the record file parsers. Input is hostile: sizes are
// checked before anything is kept, and every record is bounded.
#include "core/queue_records.h"

namespace qcell::queue {

namespace {

// One record: its letter, its text, and where it starts.
struct Record {
  char letter;
  std::string_view text;
  std::size_t offset;
};

// Walks the NUL-terminated records of a file.
class RecordReader {
 public:
  explicit RecordReader(std::span<const std::byte> bytes) noexcept
      : text_(reinterpret_cast<const char*>(bytes.data()), bytes.size()) {}

  [[nodiscard]] bool at_end() const noexcept { return at_ >= text_.size(); }

  Result<Record, RecordParseError> next() noexcept {
    const std::size_t start = at_;
    const std::size_t nul = text_.find('\0', start);
    if (nul == std::string_view::npos) return fail(RecordParseError{RecordError::unterminated_record, start});
    at_ = nul + 1;
    if (nul == start) return fail(RecordParseError{RecordError::empty_record, start});
    return Record{text_[start], text_.substr(start + 1, nul - start - 1), start};
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

Status<RecordParseError> check_address(const Record& record, const RecordLimits& limits) {
  if (record.text.size() >= limits.max_address) {
    return fail(RecordParseError{RecordError::address_too_long, record.offset});
  }
  return {};
}

// u and p: decimal digits only, below 2^32 (uid_t and pid_t are 32 bits).
Result<std::uint32_t, RecordParseError> parse_number(const Record& record) {
  if (record.text.empty() || record.text.size() > 10) {
    return fail(RecordParseError{RecordError::bad_number, record.offset});
  }
  std::uint64_t value = 0;
  for (char c : record.text) {
    if (c < '0' || c > '9') return fail(RecordParseError{RecordError::bad_number, record.offset});
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > UINT32_MAX) return fail(RecordParseError{RecordError::bad_number, record.offset});
  return static_cast<std::uint32_t>(value);
}

Status<RecordParseError> check_size(std::span<const std::byte> bytes, const RecordLimits& limits) {
  if (bytes.size() > limits.max_file) return fail(RecordParseError{RecordError::file_too_large, limits.max_file});
  return {};
}

}  // namespace

std::string_view describe(RecordError error) noexcept {
  switch (error) {
    case RecordError::file_too_large: return "file too large";
    case RecordError::unterminated_record: return "unterminated record";
    case RecordError::empty_record: return "empty record";
    case RecordError::unknown_record_letter: return "unknown record letter";
    case RecordError::record_out_of_order: return "record out of order";
    case RecordError::duplicate_record: return "duplicate record";
    case RecordError::missing_record: return "missing record";
    case RecordError::bad_number: return "bad number";
    case RecordError::address_too_long: return "address too long";
    case RecordError::too_many_records: return "too many records";
  }
  return "unknown error";
}

std::string format_record_error(const RecordParseError& error) {
  return std::string(describe(error.error)) + " at byte " + std::to_string(error.offset);
}

Result<Envelope, RecordParseError> parse_envelope(std::span<const std::byte> bytes, const RecordLimits& limits) {
  if (auto size = check_size(bytes, limits); !size) return fail(size.error());
  // Which record comes next: 0 u, 1 p, 2 F, 3 T.
  int stage = 0;
  Envelope envelope;
  RecordReader reader(bytes);
  while (!reader.at_end()) {
    auto record = reader.next();
    if (!record) return fail(record.error());
    const Record& r = *record;
    auto misplaced = [&](int expected) {
      // Before its place: out of order; after it: a second one.
      return fail(RecordParseError{stage < expected ? RecordError::record_out_of_order : RecordError::duplicate_record,
                                   r.offset});
    };
    switch (r.letter) {
      case 'u': {
        if (stage != 0) return misplaced(0);
        auto uid = parse_number(r);
        if (!uid) return fail(uid.error());
        envelope.uid = *uid;
        stage = 1;
        break;
      }
      case 'p': {
        if (stage != 1) return misplaced(1);
        auto pid = parse_number(r);
        if (!pid) return fail(pid.error());
        envelope.pid = *pid;
        stage = 2;
        break;
      }
      case 'F':
        if (stage != 2) return misplaced(2);
        if (auto ok = check_address(r, limits); !ok) return fail(ok.error());
        envelope.sender.assign(r.text);
        stage = 3;
        break;
      case 'T':
        if (stage != 3) return fail(RecordParseError{RecordError::record_out_of_order, r.offset});
        if (auto ok = check_address(r, limits); !ok) return fail(ok.error());
        if (envelope.recipients.size() >= limits.max_records) {
          return fail(RecordParseError{RecordError::too_many_records, r.offset});
        }
        envelope.recipients.emplace_back(r.text);
        break;
      default: return fail(RecordParseError{RecordError::unknown_record_letter, r.offset});
    }
  }
  if (stage < 3) return fail(RecordParseError{RecordError::missing_record, bytes.size()});
  return envelope;
}

Result<Info, RecordParseError> parse_info(std::span<const std::byte> bytes, const RecordLimits& limits) {
  if (auto size = check_size(bytes, limits); !size) return fail(size.error());
  bool seen = false;
  Info info;
  RecordReader reader(bytes);
  while (!reader.at_end()) {
    auto record = reader.next();
    if (!record) return fail(record.error());
    const Record& r = *record;
    if (r.letter != 'F') return fail(RecordParseError{RecordError::unknown_record_letter, r.offset});
    if (seen) return fail(RecordParseError{RecordError::duplicate_record, r.offset});
    if (auto ok = check_address(r, limits); !ok) return fail(ok.error());
    info.sender.assign(r.text);
    seen = true;
  }
  if (!seen) return fail(RecordParseError{RecordError::missing_record, bytes.size()});
  return info;
}

Result<RecipientRecords, RecordParseError> parse_recipients(std::span<const std::byte> bytes,
                                                            const RecordLimits& limits) {
  if (auto size = check_size(bytes, limits); !size) return fail(size.error());
  RecipientRecords records;
  RecordReader reader(bytes);
  while (!reader.at_end()) {
    auto record = reader.next();
    if (!record) return fail(record.error());
    const Record& r = *record;
    if (r.letter != 'T' && r.letter != 'D') {
      return fail(RecordParseError{RecordError::unknown_record_letter, r.offset});
    }
    if (auto ok = check_address(r, limits); !ok) return fail(ok.error());
    if (records.size() >= limits.max_records) return fail(RecordParseError{RecordError::too_many_records, r.offset});
    records.push_back(RecipientRecord{std::string(r.text), r.letter == 'D'});
  }
  return records;
}

}  // namespace qcell::queue
