// run.cc (qmail-inject, sendmail) — turns the command line, the environment
// and descriptors 0, 1 and 2 into a call of inject(). Everything that is
// opened by path (the control directory and files) and the qmail-queue
// program are opened and started here; then the program confines itself
// with its built-in policy (policy/qmail-inject.policy or
// policy/sendmail.policy), before the first byte of the message is read.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <optional>
#include <string>

#include "core/fd.h"
#include "core/queue_client.h"
#include "qmail-inject/inject.h"
#include "qmail-inject/run.h"
#include "sandbox/confine.h"
#include "sandbox/embedded_policy.h"

namespace {

int die(const qcell::inject::Fatal& fatal) {
  const std::string line = "qmail-inject: fatal: " + fatal.message + "\n";
  (void)qcell::write_full(2, line);
  return fatal.exit_code;
}

}  // namespace

namespace qcell::inject {

int run_qmail_inject(std::span<const char* const> args, std::string_view program) {
  // A reader of -n output that goes away must not kill us mid-message; the
  // write error is reported instead.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) return die(Fatal{exit_temporary, "unable to ignore SIGPIPE"});

  auto arguments = parse_arguments(args);
  if (!arguments) return die(arguments.error());
  const Environment environment = read_environment([](const char* name) { return ::getenv(name); });
  const std::string root = root_directory(environment);

  const std::string control_path = root + "/control";
  auto control_dir = qcell::open_directory(control_path.c_str());
  if (!control_dir)
    return die(Fatal{exit_temporary, "unable to open " + control_path + ": " + std::strerror(control_dir.error())});
  auto settings = load_settings(*control_dir, environment);
  if (!settings) return die(settings.error());

  std::optional<qcell::QueueClient> queue;
  std::string queue_program;
  if (!arguments->print_only) {
    queue_program = qcell::queue_program_path(environment.qmailqueue, root);
    auto started = qcell::QueueClient::start(queue_program);
    if (!started) return die(Fatal{exit_temporary, describe(started.error())});
    if (started->exec_failed()) return die(exec_failure(queue_program, started->exec_errno()));
    queue.emplace(std::move(started.value()));
  }

  // Confinement point: nothing is opened by path or started after this line.
  if (auto confined = qcell::sandbox::confine_self(qcell::embedded_policy, program, root); !confined) {
    return die(Fatal{exit_temporary, "unable to confine itself: " + confined.error()});
  }

  Request request;
  request.arguments = std::move(arguments.value());
  request.settings = std::move(settings.value());
  request.identity = identity_from(environment);
  request.moment = Moment{static_cast<std::int64_t>(std::time(nullptr)), static_cast<std::int64_t>(::getpid())};

  qcell::Status<Fatal> result;
  if (queue) {
    QueueSink sink(*queue, queue_program);
    result = inject(request, 0, sink);
  } else {
    PrintSink sink(1);
    result = inject(request, 0, sink);
  }
  if (!result) return die(result.error());
  return 0;
}

}  // namespace qcell::inject
