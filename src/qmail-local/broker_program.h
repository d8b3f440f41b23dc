// broker_program.h — qmail-local's program deliveries through its broker
// channel: one spawn-command (core/broker_injection.h's BrokerChannel) per
// "|command" line, carrying the message, the write end of an output pipe
// and a sealed memory file with the command job (core/command_job.h). The
// broker runs a qmail-command cell as this cell's recipient; qmail-local
// reads the program's output (bounded: report_limit + 1 bytes are kept, the
// rest is read and dropped so that the program never blocks) and waits for
// the `finished` that tells how it ended, at most limits::command_seconds.
//
// Trusts the broker's replies only as far as the codec checks them. The
// program's output is the user's program's, fed by the sender: it is only
// copied into the report, which qmail-send treats as text.
#pragma once

#include <chrono>

#include "core/broker_injection.h"
#include "qmail-local/local_delivery.h"

namespace qcell::local {

class BrokerProgramRunner final : public ProgramRunner {
 public:
  // `channel`: the cell's `fd 4 broker` (not owned). `limit`: how long one
  // program may run (tests shorten it).
  explicit BrokerProgramRunner(int channel,
                               std::chrono::seconds limit = std::chrono::seconds(limits::command_seconds)) noexcept
      : channel_(channel), limit_(limit) {}
  ProgramRun run(const CommandJob& job, int message_fd) override;

 private:
  BrokerChannel channel_;
  std::chrono::seconds limit_;
};

}  // namespace qcell::local
