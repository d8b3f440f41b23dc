// zygote_protocol.cc — codec of the broker <-> zygote channel. Decoding
// treats the frame as hostile: bounded, canonical, strict field counts.
#include "core/zygote_protocol.h"

#include <array>

#include "core/decimal.h"
#include "core/netstring.h"

namespace qcell {

namespace {

constexpr std::string_view report_names[] = {"ready", "forked", "exited", "failed"};
static_assert(std::size(report_names) == static_cast<std::size_t>(ZygoteReportKind::failed) + 1);

constexpr std::size_t max_fields = 2 + zygote_max_environment;  // kind, id, entries

using Fields = std::array<std::string_view, max_fields>;

Result<std::size_t, ZygoteFrameError> split(std::span<const std::byte> frame, Fields& fields) noexcept {
  auto count = split_netstring_fields(frame, zygote_frame, fields);
  if (count) return *count;
  switch (count.error()) {
    case FieldsError::frame_too_large: return fail(ZygoteFrameError::frame_too_large);
    case FieldsError::bad_framing: return fail(ZygoteFrameError::bad_framing);
    case FieldsError::bad_field_framing: return fail(ZygoteFrameError::bad_field_framing);
    case FieldsError::too_many_fields: return fail(ZygoteFrameError::wrong_field_count);
  }
  return fail(ZygoteFrameError::bad_framing);
}

Status<ZygoteFrameError> encode(const std::vector<std::string_view>& fields, ByteBuffer& out) {
  std::string frame = encode_netstring_fields(fields);
  if (frame.size() > zygote_frame) return fail(ZygoteFrameError::frame_too_large);
  if (!out.append(frame)) return fail(ZygoteFrameError::no_buffer_space);
  return {};
}

bool valid_variable(std::string_view entry) noexcept {
  const std::size_t equals = entry.find('=');
  return equals != 0 && equals != std::string_view::npos && entry.find('\0') == std::string_view::npos;
}

}  // namespace

std::string_view describe(ZygoteFrameError error) noexcept {
  switch (error) {
    case ZygoteFrameError::frame_too_large: return "frame too large";
    case ZygoteFrameError::bad_framing: return "frame is not one netstring";
    case ZygoteFrameError::bad_field_framing: return "fields are not netstrings";
    case ZygoteFrameError::wrong_kind: return "unexpected message kind";
    case ZygoteFrameError::wrong_field_count: return "wrong number of fields";
    case ZygoteFrameError::bad_number: return "a number is not canonical decimal in range";
    case ZygoteFrameError::bad_variable: return "an environment entry is not NAME=value";
    case ZygoteFrameError::no_buffer_space: return "no buffer space";
  }
  return "unknown error";
}

std::string_view zygote_report_name(ZygoteReportKind kind) noexcept {
  return report_names[static_cast<std::size_t>(kind)];
}

Result<ZygoteHandover, ZygoteFrameError> decode_zygote_handover(std::span<const std::byte> frame) {
  Fields fields{};
  auto count = split(frame, fields);
  if (!count) return fail(count.error());
  if (*count == 0 || fields[0] != "handover") return fail(ZygoteFrameError::wrong_kind);
  if (*count < 2) return fail(ZygoteFrameError::wrong_field_count);
  auto id = parse_canonical_decimal(fields[1]);
  if (!id || *id == 0) return fail(ZygoteFrameError::bad_number);
  ZygoteHandover handover{*id, {}};
  for (std::size_t i = 2; i < *count; ++i) {
    if (!valid_variable(fields[i])) return fail(ZygoteFrameError::bad_variable);
    handover.environment.emplace_back(fields[i]);
  }
  return handover;
}

Status<ZygoteFrameError> encode_zygote_handover(const ZygoteHandover& handover, ByteBuffer& out) {
  if (handover.id == 0) return fail(ZygoteFrameError::bad_number);
  if (handover.environment.size() > zygote_max_environment) return fail(ZygoteFrameError::wrong_field_count);
  const std::string id = std::to_string(handover.id);
  std::vector<std::string_view> fields = {"handover", id};
  for (const std::string& entry : handover.environment) {
    if (!valid_variable(entry)) return fail(ZygoteFrameError::bad_variable);
    fields.emplace_back(entry);
  }
  return encode(fields, out);
}

Result<ZygoteReport, ZygoteFrameError> decode_zygote_report(std::span<const std::byte> frame) noexcept {
  Fields fields{};
  auto count = split(frame, fields);
  if (!count) return fail(count.error());
  std::size_t kind = std::size(report_names);
  for (std::size_t i = 0; i < std::size(report_names); ++i) {
    if (*count > 0 && fields[0] == report_names[i]) kind = i;
  }
  if (kind == std::size(report_names)) return fail(ZygoteFrameError::wrong_kind);
  ZygoteReport report{static_cast<ZygoteReportKind>(kind), 0, 0};
  const std::size_t expected = report.kind == ZygoteReportKind::ready    ? 1
                               : report.kind == ZygoteReportKind::forked ? 2
                                                                          : 3;
  if (*count != expected) return fail(ZygoteFrameError::wrong_field_count);
  if (expected >= 2) {
    auto id = parse_canonical_decimal(fields[1]);
    if (!id || *id == 0) return fail(ZygoteFrameError::bad_number);
    report.id = *id;
  }
  if (expected == 3) {
    const bool exited = report.kind == ZygoteReportKind::exited;
    auto value = parse_canonical_decimal(fields[2], exited ? 0xffff : 4095);
    if (!value || (!exited && *value == 0)) return fail(ZygoteFrameError::bad_number);
    report.value = static_cast<std::uint32_t>(*value);
  }
  return report;
}

Status<ZygoteFrameError> encode_zygote_report(const ZygoteReport& report, ByteBuffer& out) {
  if (static_cast<std::size_t>(report.kind) >= std::size(report_names)) return fail(ZygoteFrameError::wrong_kind);
  const std::string_view kind = zygote_report_name(report.kind);
  if (report.kind == ZygoteReportKind::ready) return encode({kind}, out);
  if (report.id == 0) return fail(ZygoteFrameError::bad_number);
  const std::string id = std::to_string(report.id);
  if (report.kind == ZygoteReportKind::forked) return encode({kind, id}, out);
  const bool exited = report.kind == ZygoteReportKind::exited;
  if (report.value > (exited ? 0xffffU : 4095U) || (!exited && report.value == 0)) {
    return fail(ZygoteFrameError::bad_number);
  }
  const std::string value = std::to_string(report.value);
  return encode({kind, id, value}, out);
}

}  // namespace qcell
