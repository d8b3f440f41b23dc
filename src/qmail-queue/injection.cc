// injection.cc — one injection's files, in qmail-queue's order, and the
// batched commit. Message and envelope bytes are hostile and only copied;
// every size is checked against the limits before it is written.
#include "qmail-queue/injection.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "qmail-queue/received_line.h"

namespace qcell::queue {

namespace {

using Clock = std::chrono::steady_clock;

// A decimal id as a file name, in a fixed buffer.
struct IdName {
  explicit IdName(std::uint64_t id) noexcept { std::snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(id)); }
  char text[24];
};

// Removes a name; retries once, so that one transient failure (an injected
// EIO in the fault tests, an interrupted NFS call) does not leave a file.
void remove_name(const DirFd& dir, const char* name) noexcept {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::unlinkat(dir.get(), name, 0) == 0 || errno == ENOENT) return;
  }
}

}  // namespace

Injection::Injection(const QueueJob& job, UniqueFd message, UniqueFd envelope, const InjectionLimits& limits)
    : job_(job),
      message_in_(std::move(message)),
      envelope_in_(std::move(envelope)),
      limits_(limits),
      scanner_(limits.envelope),
      started_(Clock::now()),
      last_activity_(started_) {
  // The loop reads what is there and moves on (queue_server.cc).
  for (int fd : {message_in_.get(), envelope_in_.get()}) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }
}

void Injection::begin(const QueueDirs& dirs, std::time_t now) {
  // 1. A new file in pid/, only to learn an inode number no other message has.
  char pid_name[64];
  UniqueFd file;
  for (int seq = 1; seq <= 9 && !file; ++seq) {
    std::snprintf(pid_name, sizeof pid_name, "%llu.%lld.%d", static_cast<unsigned long long>(job_.id),
                  static_cast<long long>(now), seq);
    file.reset(::openat(dirs.pid.get(), pid_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  }
  if (!file) return abandon(dirs, Exit::pid_error);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    remove_name(dirs.pid, pid_name);
    return abandon(dirs, Exit::pid_error);
  }
  id_ = static_cast<std::uint64_t>(st.st_ino);
  mess_ = std::move(file);
  // 2. The same inode as mess/<split>/<id>: from here on, mess/N has inode N.
  IdName name(id_);
  if (::linkat(dirs.pid.get(), pid_name, dirs.mess[split_of(id_)].get(), name.text, 0) != 0) {
    remove_name(dirs.pid, pid_name);
    return abandon(dirs, Exit::mess_error);
  }
  mess_linked_ = true;
  if (::unlinkat(dirs.pid.get(), pid_name, 0) != 0) {
    remove_name(dirs.pid, pid_name);
    return abandon(dirs, Exit::pid_error);
  }
  // 3. The Received: line, then the message as it arrives.
  std::string received = received_line(job_, now);
  if (!write_full(mess_.get(), received)) return abandon(dirs, Exit::write_error);
}

int Injection::input() const noexcept {
  if (phase_ == Phase::message) return message_in_.get();
  if (phase_ == Phase::envelope) return envelope_in_.get();
  return -1;
}

bool Injection::on_readable(const QueueDirs& dirs, std::span<std::byte> buffer) {
  int fd = input();
  if (fd < 0) return false;
  ssize_t n = ::read(fd, buffer.data(), buffer.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return false;
    abandon(dirs, Exit::read_error);
    return true;
  }
  read_some(dirs, buffer.first(static_cast<std::size_t>(n)));
  return true;
}

void Injection::read_some(const QueueDirs& dirs, std::span<std::byte> buffer) {
  last_activity_ = Clock::now();
  std::size_t got = buffer.size();
  if (phase_ == Phase::message) {
    if (got == 0) return message_ended(dirs);
    if (got > limits_.message_bytes - bytes_) return abandon(dirs, Exit::message_too_big);
    bytes_ += got;
    if (!write_full(mess_.get(), std::span<const std::byte>(buffer.data(), got))) {
      return abandon(dirs, Exit::write_error);
    }
    return;
  }
  if (got == 0) {
    auto finished = scanner_.finish();  // the envelope ended without its final NUL
    return abandon(dirs, finished ? Exit::read_error : exit_for(finished.error()));
  }
  envelope_bytes(dirs, std::span<const std::byte>(buffer.data(), got));
}

void Injection::message_ended(const QueueDirs& dirs) {
  message_in_.reset();
  // 4. intd/<id>: who injected, then the envelope's records as they pass the check.
  IdName name(id_);
  intd_.reset(::openat(dirs.intd.get(), name.text, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!intd_) return abandon(dirs, Exit::intd_error);
  intd_created_ = true;
  char head[40];
  int n = std::snprintf(head, sizeof head, "u%u%cp%u%c", job_.uid, '\0', job_.pid, '\0');
  if (n <= 0 || !write_full(intd_.get(), std::string_view(head, static_cast<std::size_t>(n)))) {
    return abandon(dirs, Exit::write_error);
  }
  phase_ = Phase::envelope;
}

void Injection::envelope_bytes(const QueueDirs& dirs, std::span<const std::byte> bytes) {
  auto used = scanner_.feed(bytes);
  if (!used) return abandon(dirs, exit_for(used.error()));
  // The final NUL ends the envelope; qmail's todo file does not hold it.
  std::size_t keep = scanner_.complete() ? *used - 1 : *used;
  if (keep > 0 && !write_full(intd_.get(), bytes.first(keep))) return abandon(dirs, Exit::write_error);
  if (scanner_.complete()) {
    envelope_in_.reset();  // bytes after the final NUL are not read (qmail-queue stops there too)
    phase_ = Phase::ready;
  }
}

void Injection::abandon(const QueueDirs& dirs, Exit code) {
  message_in_.reset();
  envelope_in_.reset();
  mess_.reset();
  intd_.reset();
  IdName name(id_);
  if (intd_created_) remove_name(dirs.intd, name.text);
  if (mess_linked_) remove_name(dirs.mess[split_of(id_)], name.text);
  intd_created_ = mess_linked_ = false;
  exit_ = code;
  phase_ = Phase::done;
}

void Injection::finish(Exit code) noexcept {
  message_in_.reset();
  envelope_in_.reset();
  mess_.reset();
  intd_.reset();
  exit_ = code;
  phase_ = Phase::done;
}

namespace {

// Abandons every ready injection for which `hit` holds.
template <class Predicate>
void abandon_ready(const QueueDirs& dirs, std::span<Injection*> ready, Predicate hit) {
  for (Injection* in : ready) {
    if (in->phase() == Injection::Phase::ready && hit(*in)) in->abandon(dirs, Exit::write_error);
  }
}

// Steps 5 and 6 with fsync: each file, then each mess/ subdirectory used.
void sync_files(const QueueDirs& dirs, std::span<Injection*> ready, CommitCount& count) {
  auto sync = [&count](int fd) {
    ++count.syncs;
    return ::fsync(fd) == 0;
  };
  // 5. Contents first: each message and envelope file on disk. Writeback of
  // all of them starts before the first fsync, so one journal commit can
  // carry the whole batch and the later fsyncs find little left to do.
  for (Injection* in : ready) {
    if (in->phase() != Injection::Phase::ready) continue;
    (void)::sync_file_range(in->message_file(), 0, 0, SYNC_FILE_RANGE_WRITE);
    (void)::sync_file_range(in->envelope_file(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  for (Injection* in : ready) {
    if (in->phase() != Injection::Phase::ready) continue;
    if (!sync(in->message_file()) || !sync(in->envelope_file())) in->abandon(dirs, Exit::write_error);
  }
  // 6. The names in mess/: one fsync per subdirectory the batch used.
  bool synced[split] = {};
  for (Injection* in : ready) {
    if (in->phase() != Injection::Phase::ready) continue;
    std::uint64_t sub = split_of(in->id());
    if (synced[sub]) continue;
    if (!sync(dirs.mess[sub].get())) {
      abandon_ready(dirs, ready, [sub](const Injection& other) { return split_of(other.id()) == sub; });
      continue;
    }
    synced[sub] = true;
  }
}

// Steps 5 and 6 with syncfs: every dirty file and directory of the
// filesystem, the batch's among them, is written and flushed at once. A
// failure (a writeback error since the last call included) fails the batch.
void sync_filesystems(const QueueDirs& dirs, std::span<Injection*> ready, CommitCount& count) {
  for (int fd : dirs.filesystems) {
    ++count.syncs;
    if (::syncfs(fd) != 0) return abandon_ready(dirs, ready, [](const Injection&) { return true; });
  }
}

}  // namespace

CommitCount commit_batch(const QueueDirs& dirs, std::span<Injection*> ready, SyncMode mode) {
  CommitCount count;
  if (mode == SyncMode::files) {
    sync_files(dirs, ready, count);
  } else {
    sync_filesystems(dirs, ready, count);
  }
  // 7. intd/<id> becomes todo/<id>: the message is queued once this name is on disk.
  std::vector<Injection*> linked;
  for (Injection* in : ready) {
    if (in->phase() != Injection::Phase::ready) continue;
    IdName name(in->id());
    if (::linkat(dirs.intd.get(), name.text, dirs.todo.get(), name.text, 0) != 0) {
      in->abandon(dirs, Exit::todo_error);
      continue;
    }
    linked.push_back(in);
  }
  if (linked.empty()) return count;
  ++count.syncs;
  if (::fsync(dirs.todo.get()) != 0) {
    // Not known to be durable, so not acknowledged: take the names back.
    for (Injection* in : linked) {
      IdName name(in->id());
      remove_name(dirs.todo, name.text);
      in->abandon(dirs, Exit::write_error);
    }
    return count;
  }
  for (Injection* in : linked) in->finish(Exit::ok);
  count.queued = linked.size();
  return count;
}

void pull_trigger(const QueueDirs& dirs) noexcept {
  // Fails with ENXIO when qmail-send is not reading: harmless, as in qmail.
  UniqueFd trigger(::openat(dirs.lock.get(), "trigger", O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!trigger) return;
  char byte = 0;
  (void)!::write(trigger.get(), &byte, 1);
}

}  // namespace qcell::queue
