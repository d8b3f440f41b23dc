// cell_main.cc (qmail-queue) — the long-lived qmail-queue cell. The broker
// starts bin/qmail-queue as it under policy/qmail-queue.policy with: 2 the log, 3 the queue
// directory, 4 the job channel, 5 the control directory (read-only).
// It checks its descriptors, reads control/databytes and control/queuesync, opens the queue's
// directories, and serves injections (queue_server.h) until the broker
// closes the channel. Exit codes: 0 channel closed, 111 start-up or
// channel failure (logged).
#include <errno.h>
#include <string.h>

#include <string>

#include "core/cell_skeleton.h"
#include "core/control.h"
#include "core/fd.h"
#include "core/limits.h"
#include "qmail-queue/queue_server.h"

namespace {

constexpr int queue_fd = 3;
constexpr int channel_fd = 4;
constexpr int control_fd = 5;

int refuse_start(const std::string& text) {
  qcell::cell_log("start-failed " + text);
  return 111;
}

}  // namespace

int run_queue_cell() {
  using namespace qcell;
  int wrong = -1;
  if (!holds_exactly({2, queue_fd, channel_fd, control_fd}, wrong)) {
    return refuse_start("error=\"descriptor " + std::to_string(wrong) + " is not as the policy says\"");
  }
  auto control = adopt_directory(UniqueFd(control_fd));
  auto queue = adopt_directory(UniqueFd(queue_fd));
  if (!control || !queue) return refuse_start("error=\"descriptor 3 or 5 is not a directory\"");
  // The size limit: databytes (0 or absent: qcell's default), never above
  // the ceiling, plus room for header lines added after it was checked.
  std::uint64_t databytes = limits::message_size_default;
  auto text = read_control_file(*control, "databytes");
  if (!text) return refuse_start("error=\"" + format_control_error("databytes", text.error()) + "\"");
  if (*text) {
    auto number = parse_control_number(as_bytes(**text), 0, limits::message_size_ceiling);
    if (!number) return refuse_start("error=\"" + format_control_error("databytes", number.error()) + "\"");
    if (*number && **number != 0) databytes = **number;
  }
  // How batches are made durable: control/queuesync, syncfs unless it says fsync.
  auto sync_text = read_control_file(*control, "queuesync");
  if (!sync_text) return refuse_start("error=\"" + format_control_error("queuesync", sync_text.error()) + "\"");
  queue::SyncMode sync = queue::SyncMode::filesystem;
  if (*sync_text) {
    auto value = parse_control_value(as_bytes(**sync_text));
    if (!value) return refuse_start("error=\"" + format_control_error("queuesync", value.error()) + "\"");
    auto mode = queue::parse_sync_mode(*value);
    if (!mode) return refuse_start("error=\"control/queuesync: not syncfs or fsync\"");
    sync = *mode;
  }
  auto dirs = queue::QueueDirs::open(std::move(queue.value()));
  if (!dirs) {
    return refuse_start("error=\"queue/" + dirs.error().first + ": " + ::strerror(dirs.error().second) + "\"");
  }
  queue::ServerLimits limits;
  limits.injection.message_bytes = databytes + limits::queue_header_allowance;
  limits.jobs = limits::queue_jobs_in_flight;
  limits.idle = std::chrono::seconds(limits::queue_job_idle_seconds);
  limits.lifetime = std::chrono::seconds(limits::queue_job_lifetime_seconds);
  limits.sync = sync;
  cell_log("ready max_bytes=" + std::to_string(limits.injection.message_bytes) +
           " max_jobs=" + std::to_string(limits.jobs) + " sync=" + std::string(queue::sync_mode_name(sync)) +
           " filesystems=" + std::to_string(dirs->filesystems.size()));
  return queue::serve_queue(*dirs, channel_fd, limits);
}
