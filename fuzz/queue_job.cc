// queue_job.cc (fuzz) — decodes hostile frames as queue-job and queue-done
// (the broker decodes the queue cell's answers, which could come from a
// cell compromised by an envelope), and traps when a decoded frame does not
// re-encode to exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/queue_job.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto frame = std::as_bytes(std::span(data, size));
  if (auto job = qcell::decode_queue_job(frame)) {
    qcell::ByteBuffer out(qcell::queue_job_frame);
    require(qcell::encode_queue_job(*job, out).ok());
    require(qcell_fuzz::same_bytes(out, frame));
  }
  if (auto done = qcell::decode_queue_done(frame)) {
    qcell::ByteBuffer out(qcell::queue_job_frame);
    require(qcell::encode_queue_done(*done, out).ok());
    require(qcell_fuzz::same_bytes(out, frame));
  }
  return 0;
}
