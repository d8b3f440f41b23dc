// main.cc — qmail-qread: opens QCELL_ROOT/queue (default /var/qmail/queue,
// never through a symlink) and prints every preprocessed message with its
// recipients (docs/queue-tools.md). Everything read from the queue is
// hostile and printed with non-printable bytes replaced by '_'.
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
    std::string text = std::string("qmail-qread: fatal: unable to open ") + root + "/queue: " +
                       (queue.error() == ELOOP ? "it is a symlink (not followed)" : ::strerror(queue.error())) + "\n";
    (void)qcell::write_full(STDERR_FILENO, text);
    return 111;
  }
  // Confinement point: from here on only the queue is read, through the
  // descriptor just opened; nothing else can be opened or executed.
  if (auto confined = qcell::sandbox::confine_self(qcell::embedded_policy, "qmail-qread", root); !confined) {
    std::string text = "qmail-qread: fatal: unable to confine itself: " + confined.error() + "\n";
    (void)qcell::write_full(STDERR_FILENO, text);
    return 111;
  }
  return qcell::queue::run_qread(*queue, STDOUT_FILENO, STDERR_FILENO);
}
