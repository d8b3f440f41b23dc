// remote_report.cc (fuzz) — parses hostile qmail-remote output as
// qmail-send does, and traps when a report that parses does not re-encode
// to exactly the same bytes, or when the verdict for a recipient (at the
// index the input's first bytes name, and at a few fixed ones) is not what
// the report says.
//
// Input layout: bytes 0..1 pick a recipient index, the rest is the output.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/remote_report.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using qcell::RemoteReport;
using qcell::RemoteVerdict;

void check_verdict(const std::optional<RemoteReport>& report, std::size_t index) {
  const auto [verdict, text] = qcell::remote_verdict(report, index);
  if (!report) {
    require(verdict == RemoteVerdict::deferral && !text.empty());
    return;
  }
  if (index < report->recipients.size() && report->recipients[index].first != RemoteVerdict::success) {
    require(verdict == report->recipients[index].first);
    const std::string& own = report->recipients[index].second;
    const bool separate = !own.empty() && own.back() != '\n' && !report->message_text.empty();
    require(text == own + (separate ? "\n" : "") + report->message_text);
  } else {
    require(verdict == report->message && text == report->message_text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t pick = static_cast<std::size_t>(data[0]) << 8 | data[1];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto report = qcell::parse_remote_report(bytes);
  if (report) {
    std::string encoded;
    for (const auto& [verdict, text] : report->recipients) {
      require(text.find('\0') == std::string::npos);
      encoded += qcell::encode_remote_recipient(verdict, text);
    }
    require(report->message_text.find('\0') == std::string::npos);
    encoded += qcell::encode_remote_message(report->message, report->message_text);
    require(encoded == bytes);
    require(qcell::parse_remote_report(encoded) == report);
  }
  for (std::size_t index : {pick, std::size_t{0}, std::size_t{1}, SIZE_MAX}) check_verdict(report, index);
  return 0;
}
