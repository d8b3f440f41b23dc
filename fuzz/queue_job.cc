// queue_job.cc (fuzz) — decodes hostile frames as queue-job and queue-done
// (the broker decodes the queue cell's answers, which could come from a
// cell compromised by an envelope), and traps when a decoded frame does not
// re-encode to exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/queue_job.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool same(const qcell::ByteBuffer& out, std::span<const std::byte> frame) {
  auto bytes = out.bytes();
  return bytes.size() == frame.size() && std::equal(bytes.begin(), bytes.end(), frame.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto frame = std::as_bytes(std::span(data, size));
  if (auto job = qcell::decode_queue_job(frame)) {
    qcell::ByteBuffer out(qcell::queue_job_frame);
    require(qcell::encode_queue_job(*job, out).ok());
    require(same(out, frame));
  }
  if (auto done = qcell::decode_queue_done(frame)) {
    qcell::ByteBuffer out(qcell::queue_job_frame);
    require(qcell::encode_queue_done(*done, out).ok());
    require(same(out, frame));
  }
  return 0;
}
