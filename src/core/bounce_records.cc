// bounce_records.cc — see bounce_records.h.
#include "core/bounce_records.h"

#include "core/limits.h"
#include "core/todo_split.h"

namespace qcell {

std::string encode_bounce_record(std::string_view recipient, std::string_view report) {
  std::string record = queue::encode_record('T', recipient);
  std::string text(report);
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  record += queue::encode_record('D', text);
  return record;
}

Result<BounceRecords, BounceRecordsError> parse_bounce_records(std::span<const std::byte> bytes) {
  if (bytes.size() > limits::queue_record_file) return fail(BounceRecordsError::too_large);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  BounceRecords out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t recipient_end = text.find('\0', at);
    if (recipient_end == std::string_view::npos) break;
    if (text[at] != 'T') return fail(BounceRecordsError::out_of_order);
    const std::size_t report_start = recipient_end + 1;
    const std::size_t report_end = text.find('\0', report_start);
    if (report_end == std::string_view::npos) break;
    if (text[report_start] != 'D') return fail(BounceRecordsError::out_of_order);
    out.failed.push_back({std::string(text.substr(at + 1, recipient_end - at - 1)),
                          std::string(text.substr(report_start + 1, report_end - report_start - 1))});
    at = report_end + 1;
    out.complete_bytes = at;
  }
  return out;
}

}  // namespace qcell
