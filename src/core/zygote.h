// zygote.h — the cell side of "connection cells are forked"
// (docs/cells.md): a cell of a per-connection kind, started and confined by
// the broker like any cell, that forks one child per connection the broker
// hands over (zygote_protocol.h) instead of the broker making a fresh cell.
//
// The zygote holds: 2 its log, `filter_fd` a sealed memory file with the
// kind's own seccomp filter (classic BPF, made by the broker), `channel_fd`
// its channel to the broker, and whatever else the kind's policy grants
// (the snapshot). It never reads network input.
//
// Each child, before its first byte of input: places the handed-over
// descriptors at the policy's numbers (2 log, `connection_fd`,
// `broker_fd`) and closes every other, takes the handover's environment as
// its whole environment, lowers RLIMIT_NPROC to 0 and loads the kind's
// filter on top of the zygote's, so that what it may call is exactly its
// policy (the zygote's extra calls, fork among them, are gone). Then it
// runs `serve`. A step that fails ends the child with 111 after a log line.
#pragma once

#include <functional>

namespace qcell {

struct ZygoteLayout {
  int filter_fd = 3;
  int channel_fd = 4;
  int connection_fd = 3;  // in the child
  int broker_fd = 4;      // in the child; -1 when the kind has no broker channel
};

struct ZygoteHooks {
  // In the child, set up as above: serves the connection; the exit code.
  std::function<int()> serve;
  // In the zygote, when no child could be forked: tells the client (e.g.
  // SMTP's 421) before the connection is closed.
  std::function<void(int connection)> refuse;
};

// Runs until the broker has closed its side of the channel and the last
// child has ended (exit code 0), or until the channel fails (111, logged).
// Returns only in the zygote.
int run_zygote(const ZygoteLayout& layout, const ZygoteHooks& hooks);

}  // namespace qcell
