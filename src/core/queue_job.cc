// queue_job.cc — codec of the broker <-> qmail-queue cell channel.
// Decoding treats the frame as hostile: bounded, canonical, no allocation.
#include "core/queue_job.h"

#include <array>
#include <string>

#include "core/decimal.h"
#include "core/netstring.h"

namespace qcell {

namespace {

constexpr std::string_view origin_names[] = {"alias", "network", "bounce", "user"};
static_assert(std::size(origin_names) == static_cast<std::size_t>(QueueOrigin::user) + 1);

constexpr std::size_t max_fields = 5;  // the kind and four fields

using Fields = std::array<std::string_view, max_fields>;

// Splits a frame into its kind and fields; returns how many there are.
Result<std::size_t, QueueJobError> split(std::span<const std::byte> frame, Fields& fields) noexcept {
  auto count = split_netstring_fields(frame, queue_job_frame, fields);
  if (count) return *count;
  switch (count.error()) {
    case FieldsError::frame_too_large: return fail(QueueJobError::frame_too_large);
    case FieldsError::bad_framing: return fail(QueueJobError::bad_framing);
    case FieldsError::bad_field_framing: return fail(QueueJobError::bad_field_framing);
    case FieldsError::too_many_fields: return fail(QueueJobError::wrong_field_count);
  }
  return fail(QueueJobError::bad_framing);
}

Status<QueueJobError> encode(std::initializer_list<std::string_view> fields, ByteBuffer& out) {
  std::string frame = encode_netstring_fields(std::span(fields.begin(), fields.size()));
  if (frame.size() > queue_job_frame) return fail(QueueJobError::frame_too_large);
  if (!out.append(frame)) return fail(QueueJobError::no_buffer_space);
  return {};
}

}  // namespace

std::string_view describe(QueueJobError error) noexcept {
  switch (error) {
    case QueueJobError::frame_too_large: return "frame too large";
    case QueueJobError::bad_framing: return "frame is not one netstring";
    case QueueJobError::bad_field_framing: return "fields are not netstrings";
    case QueueJobError::wrong_kind: return "unexpected message kind";
    case QueueJobError::wrong_field_count: return "wrong number of fields";
    case QueueJobError::bad_number: return "a number is not canonical decimal in range";
    case QueueJobError::bad_origin: return "unknown origin";
    case QueueJobError::no_buffer_space: return "no buffer space";
  }
  return "unknown error";
}

std::string_view queue_origin_name(QueueOrigin origin) noexcept {
  return origin_names[static_cast<std::size_t>(origin)];
}

Result<QueueJob, QueueJobError> decode_queue_job(std::span<const std::byte> frame) noexcept {
  Fields fields{};
  auto count = split(frame, fields);
  if (!count) return fail(count.error());
  if (*count == 0 || fields[0] != "queue-job") return fail(QueueJobError::wrong_kind);
  if (*count != 5) return fail(QueueJobError::wrong_field_count);
  auto id = parse_canonical_decimal(fields[1]);
  auto uid = parse_canonical_decimal(fields[2], UINT32_MAX);
  auto pid = parse_canonical_decimal(fields[3], UINT32_MAX);
  if (!id || !uid || !pid || *id == 0) return fail(QueueJobError::bad_number);
  for (std::size_t i = 0; i < std::size(origin_names); ++i) {
    if (fields[4] == origin_names[i]) {
      return QueueJob{*id, static_cast<std::uint32_t>(*uid), static_cast<std::uint32_t>(*pid),
                      static_cast<QueueOrigin>(i)};
    }
  }
  return fail(QueueJobError::bad_origin);
}

Status<QueueJobError> encode_queue_job(const QueueJob& job, ByteBuffer& out) {
  if (job.id == 0) return fail(QueueJobError::bad_number);
  if (static_cast<std::size_t>(job.origin) >= std::size(origin_names)) return fail(QueueJobError::bad_origin);
  return encode({"queue-job", std::to_string(job.id), std::to_string(job.uid), std::to_string(job.pid),
                 queue_origin_name(job.origin)},
                out);
}

Result<QueueDone, QueueJobError> decode_queue_done(std::span<const std::byte> frame) noexcept {
  Fields fields{};
  auto count = split(frame, fields);
  if (!count) return fail(count.error());
  if (*count == 0 || fields[0] != "queue-done") return fail(QueueJobError::wrong_kind);
  if (*count != 3) return fail(QueueJobError::wrong_field_count);
  auto id = parse_canonical_decimal(fields[1]);
  auto code = parse_canonical_decimal(fields[2], 255);
  if (!id || !code || *id == 0) return fail(QueueJobError::bad_number);
  return QueueDone{*id, static_cast<std::uint8_t>(*code)};
}

Status<QueueJobError> encode_queue_done(const QueueDone& done, ByteBuffer& out) {
  if (done.id == 0) return fail(QueueJobError::bad_number);
  return encode({"queue-done", std::to_string(done.id), std::to_string(done.exit_code)}, out);
}

}  // namespace qcell
