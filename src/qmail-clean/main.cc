// main.cc (qmail-clean) — the cell that removes finished messages' files
// for qmail-send. The broker starts it on qmail-send's `spawn-clean`
// request under policy/qmail-clean.policy, as qmailq, with: 2 the log, 3
// the queue directory, 4 the channel to qmail-send. It lives as long as
// that channel. Exit codes: 0 channel closed, 111 start-up or channel
// failure (logged).
#include <string.h>

#include <string>

#include "core/cell_skeleton.h"
#include "core/fd.h"
#include "qmail-clean/cleaner.h"

namespace {
constexpr int queue_fd = 3;
constexpr int channel_fd = 4;
}  // namespace

int main() {
  using namespace qcell;
  int wrong = -1;
  if (!holds_exactly({2, queue_fd, channel_fd}, wrong)) {
    cell_log("start-failed error=\"descriptor " + std::to_string(wrong) + " is not as the policy says\"");
    return 111;
  }
  auto queue = adopt_directory(UniqueFd(queue_fd));
  if (!queue) {
    cell_log("start-failed error=\"descriptor 3 is not a directory\"");
    return 111;
  }
  auto dirs = clean::open_clean_dirs(*queue);
  if (!dirs) {
    cell_log("start-failed error=\"queue/" + dirs.error().first + ": " + ::strerror(dirs.error().second) + "\"");
    return 111;
  }
  cell_log("ready");
  return clean::serve_clean(*dirs, channel_fd);
}
