// sender.cc — qmail-send's scheduler (sender.h).
#include "qmail-send/sender.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "core/broker_request.h"
#include "core/cell_skeleton.h"
#include "core/clean_protocol.h"
#include "core/delivery_rules.h"
#include "core/fd_passing.h"
#include "core/log_line.h"
#include "core/queue_client.h"
#include "core/remote_report.h"

namespace qcell::send {

Outcome outcome_of_exit(bool signalled, int number) noexcept {
  if (signalled) return Outcome::deferral;
  if (number == 0) return Outcome::success;
  if (number == 111 || number == 71 || number == 74 || number == 75) return Outcome::deferral;
  return Outcome::failure;
}

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t wall_now() { return static_cast<std::int64_t>(::time(nullptr)); }

// A bounce that could not be queued is tried again after this long.
constexpr std::int64_t bounce_retry_seconds = 60;
Deadline soon() { return Clock::now() + std::chrono::seconds(5); }

int index_of(Channel channel) { return static_cast<int>(channel); }

// A report on one line for the log: printable, bounded.
std::string loggable(std::string_view text) { return log_value(text, 400); }

std::string channel_cell(Channel channel) { return channel == Channel::local ? "qmail-local" : "qmail-remote"; }

struct ChannelRound {
  std::deque<std::size_t> to_try;  // recipient indices still to start in this round
  std::size_t in_flight = 0;
  bool deferred = false;  // a recipient failed temporarily in this round
  bool waiting = false;   // a timer holds the next round
};

struct Job {
  StoredMessage message;
  ChannelRound rounds[2];
  std::int64_t bounce_retry = 0;
};

struct Delivery {
  std::uint64_t number = 0;
  std::uint64_t message = 0;
  Channel channel = Channel::local;
  std::size_t recipient = 0;
  UniqueFd report;
  std::string text;
  std::uint64_t cell = 0;
};

struct Injection {
  std::uint64_t message = 0;
  UniqueFd message_pipe;
  UniqueFd envelope_pipe;
  std::string before;
  std::string after;
  QueueEnvelope envelope;
  std::uint64_t cell = 0;
};

// What a started/refused reply answers, in the order requests were sent.
struct Awaiting {
  enum class Kind : std::uint8_t { clean, delivery, injection } kind = Kind::delivery;
  std::uint64_t key = 0;  // delivery number or message id
};

class Sender {
 public:
  Sender(const QueueStore& store, const SendConfig& config, const SendChannels& channels)
      : store_(store), config_(config), channels_(channels) {}
  int run();

 private:
  void scan_todo();
  void load_queued(const std::set<std::uint64_t>& skip);
  void admit(StoredMessage message);
  void begin_round(Job& job, Channel channel);
  void dispatch();
  void start_delivery(Job& job, Channel channel, std::size_t index);
  void complete(Delivery& delivery, Outcome outcome, std::string report);
  void end_of_round(Job& job, Channel channel);
  void maybe_finish(std::uint64_t id);
  void start_bounce(Job& job);
  void feed_injection(Injection& injection);
  void end_injection(std::uint64_t id, bool ok, const std::string& why);
  void retry_bounce(Job& job, std::string_view warning, const std::string& why);
  bool handle_reply();
  bool handle_clean_reply();
  void read_report(Delivery& delivery);
  bool send_clean(const CleanRequest& request);
  void reopen_trigger();
  void handle_signals();
  void fire_timers();
  [[nodiscard]] bool idle() const {
    return deliveries_.empty() && injections_.empty() && awaiting_.empty();
  }

  const QueueStore& store_;
  const SendConfig& config_;
  SendChannels channels_;
  UniqueFd trigger_;
  std::map<std::uint64_t, Job> jobs_;
  std::deque<std::uint64_t> ready_[2];
  std::multimap<std::int64_t, std::pair<std::uint64_t, Channel>> timers_;
  std::map<std::uint64_t, std::unique_ptr<Delivery>> deliveries_;  // by number
  std::map<std::uint64_t, std::uint64_t> by_cell_;                 // broker cell id to delivery number
  std::map<std::uint64_t, Injection> injections_;                  // by message id
  std::map<std::uint64_t, std::uint64_t> injection_by_cell_;       // injection id to message id
  std::deque<Awaiting> awaiting_;
  std::deque<CleanRequest> clean_sent_;
  // Preprocessed messages whose todo/N qmail-clean has not yet removed:
  // admitted (deliveries start) once it has.
  std::map<std::uint64_t, StoredMessage> preprocessing_;
  std::size_t in_flight_[2] = {0, 0};
  std::uint64_t next_delivery_ = 1;
  std::uint64_t clean_cell_ = 0;
  bool stopping_ = false;
  bool failed_ = false;
  bool clean_gone_ = false;
  Clock::time_point next_todo_scan_{};
};

// --- start-up ---------------------------------------------------------------------

void Sender::reopen_trigger() {
  // A fifo reads end of file forever once its writers have gone: qmail-send
  // closes and reopens it after each wakeup.
  trigger_.reset(::openat(channels_.lock, "trigger", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!trigger_) cell_log(std::string("warning trigger-unavailable error=\"") + ::strerror(errno) + "\"");
}

// --- new messages ---------------------------------------------------------------------

void Sender::scan_todo() {
  next_todo_scan_ = Clock::now() + std::chrono::seconds(config_.todo_scan_seconds);
  if (stopping_) return;
  auto ids = store_.todo_ids();
  if (!ids) {
    cell_log("warning todo-scan-failed error=" + loggable(ids.error()));
    return;
  }
  std::vector<StoredMessage> done;
  for (std::uint64_t id : *ids) {
    if (preprocessing_.count(id) != 0 || jobs_.count(id) != 0) continue;
    auto pre = store_.preprocess(id, config_.rules);
    if (!pre) {
      cell_log("warning preprocess-failed msg=" + std::to_string(id) + " error=" + loggable(pre.error()));
      continue;
    }
    cell_log("new msg=" + std::to_string(id));
    cell_log("info msg=" + std::to_string(id) + " bytes=" + std::to_string(pre->message.bytes) +
             " from=" + loggable("<" + pre->message.sender + ">") + " qp=" + std::to_string(pre->pid) +
             " uid=" + std::to_string(pre->uid));
    done.push_back(std::move(pre->message));
  }
  if (done.empty()) return;
  // One syncfs makes the whole batch durable before any todo/N goes.
  if (auto synced = store_.sync(); !synced) {
    cell_log("warning sync-failed error=" + loggable(synced.error()));
    return;
  }
  for (StoredMessage& message : done) {
    if (!send_clean({CleanTarget::todo, message.id})) return;
    const std::uint64_t id = message.id;
    preprocessing_.emplace(id, std::move(message));
  }
}

// One request to qmail-clean; its answer comes in order (handle_clean_reply).
// A failed channel stops qmail-send (restarted by the broker with a new one).
bool Sender::send_clean(const CleanRequest& request) {
  const std::string frame = encode_clean_request(request);
  if (::send(channels_.clean, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
    cell_log(std::string("clean-channel-failed error=\"") + ::strerror(errno) + "\"");
    failed_ = true;
    return false;
  }
  clean_sent_.push_back(request);
  return true;
}

void Sender::load_queued(const std::set<std::uint64_t>& skip) {
  auto ids = store_.info_ids();
  if (!ids) {
    cell_log("warning info-scan-failed error=" + loggable(ids.error()));
    return;
  }
  for (std::uint64_t id : *ids) {
    if (skip.count(id) != 0) continue;
    auto message = store_.load(id);
    if (!message) {
      cell_log("warning load-failed msg=" + std::to_string(id) + " error=" + loggable(message.error()));
      continue;
    }
    admit(std::move(message.value()));
  }
}

void Sender::admit(StoredMessage message) {
  const std::uint64_t id = message.id;
  Job& job = jobs_[id];
  job.message = std::move(message);
  const std::int64_t now = wall_now();
  for (Channel channel : {Channel::local, Channel::remote}) {
    const int c = index_of(channel);
    const bool pending = std::any_of(job.message.recipients[c].begin(), job.message.recipients[c].end(),
                                     [](const StoredRecipient& r) { return !r.done; });
    if (!pending) continue;
    if (job.message.next_try[c] > now) {
      timers_.emplace(job.message.next_try[c], std::pair{id, channel});
      job.rounds[c].waiting = true;
    } else {
      begin_round(job, channel);
    }
  }
  maybe_finish(id);
}

// --- deliveries ---------------------------------------------------------------------------

void Sender::begin_round(Job& job, Channel channel) {
  const int c = index_of(channel);
  ChannelRound& round = job.rounds[c];
  round.waiting = false;
  round.deferred = false;
  const auto& recipients = job.message.recipients[c];
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!recipients[i].done) round.to_try.push_back(i);
  }
  if (!round.to_try.empty()) ready_[c].push_back(job.message.id);
}

void Sender::dispatch() {
  if (stopping_ || failed_) return;
  for (Channel channel : {Channel::local, Channel::remote}) {
    const int c = index_of(channel);
    while (in_flight_[c] < config_.concurrency[c] && !ready_[c].empty()) {
      auto found = jobs_.find(ready_[c].front());
      if (found == jobs_.end() || found->second.rounds[c].to_try.empty()) {
        ready_[c].pop_front();
        continue;
      }
      ChannelRound& round = found->second.rounds[c];
      std::size_t index = round.to_try.front();
      round.to_try.pop_front();
      if (round.to_try.empty()) ready_[c].pop_front();
      start_delivery(found->second, channel, index);
    }
  }
}

void Sender::start_delivery(Job& job, Channel channel, std::size_t index) {
  const int c = index_of(channel);
  const StoredRecipient& recipient = job.message.recipients[c][index];
  auto delivery = std::make_unique<Delivery>();
  delivery->number = next_delivery_++;
  delivery->message = job.message.id;
  delivery->channel = channel;
  delivery->recipient = index;
  ++job.rounds[c].in_flight;
  ++in_flight_[c];
  cell_log("starting delivery=" + std::to_string(delivery->number) + " msg=" + std::to_string(job.message.id) +
           " to=" + std::string(channel_name(channel)) + " recipient=" + loggable(recipient.address));
  Delivery& d = *delivery;
  deliveries_.emplace(d.number, std::move(delivery));
  // qmail-lspawn's trash address: an empty local part is delivered nowhere.
  if (channel == Channel::local && !recipient.address.empty() && recipient.address.front() == '@') {
    complete(d, Outcome::success, "Nothing delivered: the address has no local part.");
    return;
  }
  auto message = store_.open_message(job.message.id);
  if (!message) {
    complete(d, Outcome::deferral, message.error() + " (#4.3.0)");
    return;
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    complete(d, Outcome::deferral, std::string("Unable to make a pipe: ") + ::strerror(errno) + " (#4.3.0)");
    return;
  }
  d.report.reset(report[0]);
  UniqueFd report_write(report[1]);
  (void)::fcntl(d.report.get(), F_SETFL, O_NONBLOCK);
  const std::string sender = verp_sender(job.message.sender, recipient.address);
  Request request;
  if (channel == Channel::local) {
    request = SpawnLocal{recipient.address, sender};
  } else {
    const std::size_t at = recipient.address.rfind('@');
    std::string host = at == std::string::npos ? std::string() : recipient.address.substr(at + 1);
    request = SpawnRemote{host, sender, {recipient.address}};
  }
  const int fds[] = {message->get(), report_write.get()};
  auto sent = send_request(channels_.broker, request, fds, soon());
  if (!sent) {
    if (std::holds_alternative<RequestError>(sent.error())) {
      // The request itself cannot be written (an address the codec
      // refuses): it never will be.
      complete(d, Outcome::failure, "Sorry, this address cannot be delivered to: " + describe(sent.error()) + " (#5.1.3)");
      return;
    }
    cell_log("broker-channel-failed error=" + loggable(describe(sent.error())));
    failed_ = true;
    complete(d, Outcome::deferral, "Unable to reach the broker. (#4.3.0)");
    return;
  }
  awaiting_.push_back({Awaiting::Kind::delivery, d.number});
}

void Sender::read_report(Delivery& delivery) {
  if (!delivery.report) return;
  char buffer[4096];
  for (int rounds = 0; rounds < 1024; ++rounds) {
    ssize_t got = ::read(delivery.report.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got > 0) {
      std::size_t room = report_max > delivery.text.size() ? report_max - delivery.text.size() : 0;
      delivery.text.append(buffer, std::min(room, static_cast<std::size_t>(got)));
      continue;
    }
    if (got == 0) delivery.report.reset();
    return;
  }
}

void Sender::complete(Delivery& delivery, Outcome outcome, std::string report) {
  const std::uint64_t number = delivery.number;
  const std::uint64_t id = delivery.message;
  const Channel channel = delivery.channel;
  const int c = index_of(channel);
  const std::size_t index = delivery.recipient;
  if (delivery.cell != 0) by_cell_.erase(delivery.cell);
  deliveries_.erase(number);  // `delivery` is gone from here on
  --in_flight_[c];
  auto found = jobs_.find(id);
  if (found == jobs_.end()) return;
  Job& job = found->second;
  --job.rounds[c].in_flight;
  StoredRecipient& recipient = job.message.recipients[c][index];
  while (!report.empty() && (report.back() == '\n' || report.back() == ' ')) report.pop_back();
  const std::int64_t now = wall_now();
  if (outcome == Outcome::deferral && past_queuelifetime(job.message.birth, now, config_.queuelifetime)) {
    outcome = Outcome::failure;
    report += (report.empty() ? "" : "\n") +
              std::string("I'm not going to try again; this message has been in the queue too long.");
  }
  static constexpr std::string_view words[] = {"success", "deferral", "failure"};
  cell_log("delivery delivery=" + std::to_string(number) + " msg=" + std::to_string(id) +
           " result=" + std::string(words[static_cast<int>(outcome)]) + " report=" + loggable(report));
  if (outcome == Outcome::deferral) {
    job.rounds[c].deferred = true;
  } else {
    if (outcome == Outcome::failure) {
      // The bounce names the address as the sender wrote it (no virtualdomains prepend).
      const std::string shown =
          channel == Channel::local ? strip_virtual_prepend(recipient.address, config_.rules) : recipient.address;
      if (auto added = store_.add_bounce(id, shown, report); !added) {
        cell_log("warning bounce-record-failed msg=" + std::to_string(id) + " error=" + loggable(added.error()));
        job.rounds[c].deferred = true;  // tried again later: nothing is marked done without its bounce
        end_of_round(job, channel);
        return;
      }
      job.message.has_bounce = true;
    }
    if (auto marked = store_.mark_done(id, channel, recipient.offset); !marked) {
      // qmail: "will be delivered twice".
      cell_log("warning mark-done-failed msg=" + std::to_string(id) + " error=" + loggable(marked.error()));
    }
    recipient.done = true;
  }
  end_of_round(job, channel);
}

void Sender::end_of_round(Job& job, Channel channel) {
  const int c = index_of(channel);
  ChannelRound& round = job.rounds[c];
  if (!round.to_try.empty() || round.in_flight != 0) return;
  if (round.deferred && !round.waiting) {
    const std::int64_t now = wall_now();
    const std::int64_t next = next_retry(job.message.birth, now,
                                         channel == Channel::local ? DeliveryChannel::local : DeliveryChannel::remote);
    round.waiting = true;
    round.deferred = false;
    timers_.emplace(next, std::pair{job.message.id, channel});
    if (auto saved = store_.save_next_try(job.message.id, channel, next); !saved) {
      cell_log("warning save-next-try-failed msg=" + std::to_string(job.message.id) + " error=" + loggable(saved.error()));
    }
    return;
  }
  maybe_finish(job.message.id);
}

// --- the end of a message ---------------------------------------------------------------

void Sender::maybe_finish(std::uint64_t id) {
  auto found = jobs_.find(id);
  if (found == jobs_.end()) return;
  Job& job = found->second;
  for (int c = 0; c < 2; ++c) {
    const ChannelRound& round = job.rounds[c];
    if (round.in_flight != 0 || !round.to_try.empty() || round.waiting) return;
    for (const StoredRecipient& r : job.message.recipients[c]) {
      if (!r.done) return;
    }
  }
  // A bounce in flight (injections_) ends here again when it is queued.
  if (injections_.count(id) != 0 || stopping_ || failed_) return;
  if (job.message.has_bounce) {
    if (job.bounce_retry > wall_now()) return;
    start_bounce(job);
    return;
  }
  if (auto finished = store_.finish(id); !finished) {
    cell_log("warning finish-failed msg=" + std::to_string(id) + " error=" + loggable(finished.error()));
    return;
  }
  // On a failed channel mess/N stays; qcell queue fsck removes a message
  // file without info.
  (void)send_clean({CleanTarget::mess, id});
  cell_log("end msg=" + std::to_string(id));
  jobs_.erase(found);
}

std::string random_boundary() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char random[32];
  if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
    // No entropy: a boundary from the clock still differs per bounce; a
    // report cannot end a part unless it guesses it.
    auto t = static_cast<unsigned long long>(Clock::now().time_since_epoch().count());
    for (unsigned char& b : random) {
      b = static_cast<unsigned char>(t);
      t = t * 6364136223846793005ULL + 1442695040888963407ULL;
    }
  }
  std::string boundary = "qcell-";
  for (unsigned char b : random) boundary += alphabet[b % (sizeof alphabet - 1)];
  return boundary;
}

void Sender::start_bounce(Job& job) {
  const std::uint64_t id = job.message.id;
  BounceRoute route = route_bounce(job.message.sender, config_.bounce);
  if (route.kind == BounceKind::dropped) {
    cell_log("triple-bounce msg=" + std::to_string(id) + " action=discarded");
    (void)store_.remove_bounce(id);
    job.message.has_bounce = false;
    maybe_finish(id);
    return;
  }
  auto failed = store_.read_bounces(id);
  if (!failed) {
    retry_bounce(job, "bounce-read-failed", failed.error());
    return;
  }
  Injection injection;
  injection.message = id;
  BounceText text = compose_bounce(route, *failed, job.message.sender, config_.bounce, wall_now(), random_boundary());
  injection.before = std::move(text.before);
  injection.after = std::move(text.after);
  injection.envelope = QueueEnvelope{route.sender, {route.recipient}};
  int message_pipe[2];
  int envelope_pipe[2];
  if (::pipe2(message_pipe, O_CLOEXEC) != 0) {
    retry_bounce(job, "bounce-failed", std::string("cannot make a pipe: ") + ::strerror(errno));
    return;
  }
  UniqueFd message_read(message_pipe[0]);
  injection.message_pipe.reset(message_pipe[1]);
  if (::pipe2(envelope_pipe, O_CLOEXEC) != 0) {
    retry_bounce(job, "bounce-failed", std::string("cannot make a pipe: ") + ::strerror(errno));
    return;
  }
  UniqueFd envelope_read(envelope_pipe[0]);
  injection.envelope_pipe.reset(envelope_pipe[1]);
  const int fds[] = {message_read.get(), envelope_read.get()};
  if (auto sent = send_request(channels_.broker, Request{SpawnQueue{}}, fds, soon()); !sent) {
    cell_log("broker-channel-failed error=" + loggable(describe(sent.error())));
    failed_ = true;
    return;
  }
  injections_.emplace(id, std::move(injection));
  awaiting_.push_back({Awaiting::Kind::injection, id});
}

// Writes the bounce into the queue cell's pipes: the text, the original
// message, the rest of the text, then the envelope. The queue cell reads
// as fast as it can; a pipe it closes early is reported by `finished`.
void Sender::feed_injection(Injection& injection) {
  bool ok = write_full(injection.message_pipe.get(), injection.before).ok();
  if (ok) {
    auto message = store_.open_message(injection.message);
    ok = message.ok();
    char buffer[65536];
    off_t offset = 0;
    while (ok) {
      ssize_t got = ::pread(message->get(), buffer, sizeof buffer, offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ok = got == 0;
        break;
      }
      offset += got;
      ok = write_full(injection.message_pipe.get(), std::string_view(buffer, static_cast<std::size_t>(got))).ok();
    }
  }
  if (ok) ok = write_full(injection.message_pipe.get(), injection.after).ok();
  injection.message_pipe.reset();
  // Without a whole message, no envelope: the queue cell then queues nothing.
  if (ok) (void)write_full(injection.envelope_pipe.get(), encode_envelope(injection.envelope));
  injection.envelope_pipe.reset();
}

void Sender::retry_bounce(Job& job, std::string_view warning, const std::string& why) {
  cell_log("warning " + std::string(warning) + " msg=" + std::to_string(job.message.id) + " error=" + loggable(why));
  job.bounce_retry = wall_now() + bounce_retry_seconds;
  timers_.emplace(job.bounce_retry, std::pair{job.message.id, Channel::local});
}

void Sender::end_injection(std::uint64_t id, bool ok, const std::string& why) {
  std::uint64_t cell = 0;
  auto found = injections_.find(id);
  if (found != injections_.end()) {
    cell = found->second.cell;
    if (found->second.cell != 0) injection_by_cell_.erase(found->second.cell);
    injections_.erase(found);
  }
  auto job = jobs_.find(id);
  if (job == jobs_.end()) return;
  if (!ok) {
    retry_bounce(job->second, "bounce-failed", why);
    return;
  }
  cell_log("bounce msg=" + std::to_string(id) + " qp=" + std::to_string(cell));
  if (auto removed = store_.remove_bounce(id); !removed) {
    cell_log("warning bounce-remove-failed msg=" + std::to_string(id) + " error=" + loggable(removed.error()));
  }
  job->second.message.has_bounce = false;
  maybe_finish(id);
}

// --- replies ------------------------------------------------------------------------------

bool Sender::handle_reply() {
  auto reply = receive_reply(channels_.broker, Clock::now() + std::chrono::milliseconds(100));
  if (!reply) {
    if (const auto* frame = std::get_if<FrameError>(&reply.error()); frame && frame->kind == FrameErrc::timeout) {
      return true;
    }
    cell_log("broker-channel-failed error=" + loggable(describe(reply.error())));
    return false;
  }
  if (const auto* started = std::get_if<Started>(&*reply)) {
    if (awaiting_.empty()) {
      cell_log("broker-reply-unexpected reply=started");
      return false;
    }
    Awaiting awaited = awaiting_.front();
    awaiting_.pop_front();
    if (awaited.kind == Awaiting::Kind::clean) {
      clean_cell_ = started->cell_id;
    } else if (awaited.kind == Awaiting::Kind::delivery) {
      auto d = deliveries_.find(awaited.key);
      if (d != deliveries_.end()) {
        d->second->cell = started->cell_id;
        by_cell_[started->cell_id] = awaited.key;
      }
    } else {
      auto injection = injections_.find(awaited.key);
      if (injection != injections_.end()) {
        injection->second.cell = started->cell_id;
        injection_by_cell_[started->cell_id] = awaited.key;
        feed_injection(injection->second);
      }
    }
    return true;
  }
  if (const auto* refused = std::get_if<Refused>(&*reply)) {
    if (awaiting_.empty()) {
      cell_log("broker-reply-unexpected reply=refused");
      return false;
    }
    Awaiting awaited = awaiting_.front();
    awaiting_.pop_front();
    const std::string reason(refusal_reason_name(refused->reason));
    if (awaited.kind == Awaiting::Kind::clean) {
      cell_log("clean-refused reason=" + reason + " text=" + loggable(refused->text));
      return false;
    }
    if (awaited.kind == Awaiting::Kind::injection) {
      end_injection(awaited.key, false, "the broker refused it: " + reason + ": " + refused->text);
      return true;
    }
    auto d = deliveries_.find(awaited.key);
    if (d == deliveries_.end()) return true;
    if (refused->reason == RefusalReason::no_such_user) {
      complete(*d->second, Outcome::failure, "Sorry, no mailbox here by that name. (#5.1.1)");
    } else {
      complete(*d->second, Outcome::deferral,
               "Unable to start " + channel_cell(d->second->channel) + ": " + reason + ": " + refused->text +
                   " (#4.3.0)");
    }
    return true;
  }
  const auto& finished = std::get<Finished>(*reply);
  if (finished.cell_id == clean_cell_ && clean_cell_ != 0) {
    cell_log("clean-ended status=" + std::to_string(finished.status.number));
    clean_gone_ = true;
    return stopping_;  // at a stop the broker ends it first; otherwise qmail-send must restart
  }
  if (auto injection = injection_by_cell_.find(finished.cell_id); injection != injection_by_cell_.end()) {
    const bool ok = !finished.status.signalled && finished.status.number == 0;
    end_injection(injection->second, ok, "qmail-queue exit " + std::to_string(finished.status.number));
    return true;
  }
  auto number = by_cell_.find(finished.cell_id);
  if (number == by_cell_.end()) return true;
  auto d = deliveries_.find(number->second);
  if (d == deliveries_.end()) return true;
  Delivery& delivery = *d->second;
  read_report(delivery);
  Outcome outcome = outcome_of_exit(finished.status.signalled, finished.status.number);
  std::string report = delivery.text;
  if (delivery.channel == Channel::remote && !finished.status.signalled && finished.status.number == 0) {
    // qmail-rspawn's part: qmail-remote exits 0 and its report decides
    // (core/remote_report.h); one recipient per delivery.
    const auto [verdict, text] = remote_verdict(parse_remote_report(delivery.text), 0);
    outcome = verdict == RemoteVerdict::success    ? Outcome::success
              : verdict == RemoteVerdict::failure ? Outcome::failure
                                                  : Outcome::deferral;
    report = text;
  } else if (finished.status.signalled) {
    report = channel_cell(delivery.channel) + " crashed (signal " + std::to_string(finished.status.number) + "). (#4.3.0)";
  } else if (report.empty()) {
    report = outcome == Outcome::success ? std::string("delivered")
                                         : channel_cell(delivery.channel) + " exited " +
                                               std::to_string(finished.status.number) + " without a report. (#4.3.0)";
  }
  complete(delivery, outcome, report);
  return true;
}

bool Sender::handle_clean_reply() {
  char reply = 0;
  ssize_t got = ::recv(channels_.clean, &reply, 1, 0);
  if (got < 0 && errno == EINTR) return true;
  if (got == 0 && stopping_) {
    clean_gone_ = true;
    return true;
  }
  if (got != 1 || clean_sent_.empty()) {
    cell_log("clean-channel-failed error=" + std::string(got == 0 ? "\"qmail-clean has gone\"" : "\"unexpected reply\""));
    return false;
  }
  CleanRequest request = clean_sent_.front();
  clean_sent_.pop_front();
  if (request.target == CleanTarget::mess) {
    if (reply != clean_done) cell_log("warning clean-failed request=" + encode_clean_request(request));
    return true;
  }
  auto preprocessed = preprocessing_.extract(request.id);
  if (reply != clean_done) {
    // todo/N stays: the next scan preprocesses it again, before any delivery.
    cell_log("warning clean-failed request=" + encode_clean_request(request));
    return true;
  }
  if (!preprocessed.empty()) admit(std::move(preprocessed.mapped()));
  return true;
}

// --- signals and timers ------------------------------------------------------------------

void Sender::handle_signals() {
  signalfd_siginfo info{};
  while (::read(channels_.signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGTERM) {
      cell_log("stopping in_flight=" + std::to_string(deliveries_.size()));
      stopping_ = true;
    } else if (info.ssi_signo == SIGALRM) {
      // qmail: retry everything now.
      cell_log("flush timers=" + std::to_string(timers_.size()));
      std::multimap<std::int64_t, std::pair<std::uint64_t, Channel>> now;
      for (auto& [when, what] : timers_) now.emplace(0, what);
      timers_.swap(now);
      for (auto& [id, job] : jobs_) job.bounce_retry = 0;
      next_todo_scan_ = Clock::now();
    }
  }
}

void Sender::fire_timers() {
  const std::int64_t now = wall_now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto [id, channel] = timers_.begin()->second;
    timers_.erase(timers_.begin());
    auto found = jobs_.find(id);
    if (found == jobs_.end()) continue;
    Job& job = found->second;
    const int c = index_of(channel);
    if (job.rounds[c].waiting) {
      begin_round(job, channel);
      end_of_round(job, channel);  // a round with nothing left to try ends here
    } else {
      maybe_finish(id);  // a bounce to try again
    }
  }
}

// --- the loop ------------------------------------------------------------------------------------

int Sender::run() {
  clean_cell_ = channels_.clean_cell;
  reopen_trigger();
  std::set<std::uint64_t> in_todo;
  if (auto ids = store_.todo_ids()) in_todo.insert(ids->begin(), ids->end());
  load_queued(in_todo);
  scan_todo();
  cell_log("ready messages=" + std::to_string(jobs_.size()) +
           " concurrencylocal=" + std::to_string(config_.concurrency[0]) +
           " concurrencyremote=" + std::to_string(config_.concurrency[1]) +
           " queuelifetime=" + std::to_string(config_.queuelifetime));
  while (!failed_) {
    fire_timers();
    if (Clock::now() >= next_todo_scan_) scan_todo();
    dispatch();
    if (stopping_ && idle()) {
      cell_log("stopped");
      return 0;
    }
    std::vector<pollfd> fds;
    fds.push_back({channels_.broker, POLLIN, 0});
    fds.push_back({clean_gone_ ? -1 : channels_.clean, POLLIN, 0});
    fds.push_back({channels_.signals, POLLIN, 0});
    fds.push_back({trigger_ ? trigger_.get() : -1, POLLIN, 0});
    std::vector<std::uint64_t> reporting;
    for (auto& [number, delivery] : deliveries_) {
      if (!delivery->report) continue;
      fds.push_back({delivery->report.get(), POLLIN, 0});
      reporting.push_back(number);
    }
    auto until_scan = std::chrono::duration_cast<std::chrono::milliseconds>(next_todo_scan_ - Clock::now()).count();
    long long timeout = std::max<long long>(0, until_scan);
    if (!timers_.empty()) {
      long long until_timer = (timers_.begin()->first - wall_now()) * 1000;
      timeout = std::min(timeout, std::max<long long>(0, until_timer));
    }
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(timeout, 60000)));
    if (ready < 0 && errno != EINTR) {
      cell_log(std::string("poll-failed error=\"") + ::strerror(errno) + "\"");
      return 111;
    }
    if (ready <= 0) continue;
    if ((fds[2].revents & POLLIN) != 0) handle_signals();
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !handle_reply()) break;
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !handle_clean_reply()) break;
    if ((fds[3].revents & (POLLIN | POLLHUP)) != 0) {
      char drain[64];
      while (::read(trigger_.get(), drain, sizeof drain) > 0) {
      }
      reopen_trigger();
      scan_todo();
    }
    for (std::size_t i = 0; i < reporting.size(); ++i) {
      if ((fds[4 + i].revents & (POLLIN | POLLHUP)) == 0) continue;
      auto d = deliveries_.find(reporting[i]);
      if (d != deliveries_.end()) read_report(*d->second);
    }
  }
  cell_log("exiting error=\"a channel failed\" in_flight=" + std::to_string(deliveries_.size()));
  return 111;
}

}  // namespace

int run_sender(const QueueStore& store, const SendConfig& config, const SendChannels& channels) {
  Sender sender(store, config, channels);
  return sender.run();
}

}  // namespace qcell::send
