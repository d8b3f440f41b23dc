// main.cc — qmail-qstat: opens QCELL_ROOT/queue (default /var/qmail/queue,
// never through a symlink) and prints how many messages are in the queue
// and how many are not yet preprocessed (docs/queue-tools.md). Only names
// are read from the queue, and only numeric ones are counted.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "core/fd.h"
#include "core/queue_report.h"
#include "sandbox/confine.h"
#include "sandbox/embedded_policy.h"

int main() {
  const char* root = ::getenv("QCELL_ROOT");
  if (root == nullptr || *root == '\0') root = "/var/qmail";
  auto queue = qcell::queue::open_queue(root);
  if (!queue) {
    std::string text = std::string("qmail-qstat: fatal: unable to open ") + root + "/queue: " +
                       (queue.error() == ELOOP ? "it is a symlink (not followed)" : ::strerror(queue.error())) + "\n";
    (void)qcell::write_full(STDERR_FILENO, text);
    return 111;
  }
  // Confinement point: from here on only the queue is read, through the
  // descriptor just opened; nothing else can be opened or executed.
  if (auto confined = qcell::sandbox::confine_self(qcell::embedded_policy, "qmail-qstat", root); !confined) {
    std::string text = "qmail-qstat: fatal: unable to confine itself: " + confined.error() + "\n";
    (void)qcell::write_full(STDERR_FILENO, text);
    return 111;
  }
  return qcell::queue::run_qstat(*queue, STDOUT_FILENO, STDERR_FILENO);
}
