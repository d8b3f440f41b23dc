// bounce_records.h — qmail-send's bounce/N file: for each recipient that
// failed permanently, "T" address NUL then "D" report NUL, appended and
// fsynced one pair at a time (docs/delivery.md, "qmail-send").
//
// The reports are hostile text (a user's program may write them): a NUL in
// one becomes a space when encoded. The parser is pure, bounded by
// limits::queue_record_file and fuzzed (fuzz/bounce_records.cc).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bounce.h"
#include "core/result.h"

namespace qcell {

std::string encode_bounce_record(std::string_view recipient, std::string_view report);

struct BounceRecords {
  std::vector<FailedRecipient> failed;
  std::size_t complete_bytes = 0;  // where the last whole pair ends
};

enum class BounceRecordsError {
  too_large,     // more than limits::queue_record_file bytes
  out_of_order,  // a record that is not T where T belongs, or not D after it
};

// A cut-short last pair (a crash while appending, before the fsync that
// made the failure count) is not a recipient: it is left out, and
// complete_bytes says where the whole pairs end.
Result<BounceRecords, BounceRecordsError> parse_bounce_records(std::span<const std::byte> bytes);

}  // namespace qcell
