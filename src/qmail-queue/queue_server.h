// queue_server.h — the qmail-queue cell's loop: injections arrive from the
// broker on the job channel (queue_job.h), are read concurrently with
// poll(2), and are committed in batches so that many injections share each
// directory sync. Each gets exactly one queue-done answer.
#pragma once

#include <chrono>
#include <cstddef>

#include "qmail-queue/injection.h"

namespace qcell::queue {

struct ServerLimits {
  InjectionLimits injection;
  std::size_t jobs = 0;                 // injections held at once
  std::chrono::seconds idle{0};         // no byte for this long: exit 52
  std::chrono::seconds lifetime{0};     // injection older than this: exit 52
  SyncMode sync = SyncMode::filesystem;  // control/queuesync (not a limit, but the server's one setting)
};

// Serves until the broker closes the channel, then abandons whatever is
// still unfinished (no answer can reach anyone) and returns 0. Returns 111
// when the channel fails otherwise.
int serve_queue(const QueueDirs& dirs, int channel, const ServerLimits& limits);

}  // namespace qcell::queue
