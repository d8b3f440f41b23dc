// queue_store.cc — qmail-send's queue files (queue_store.h).
#include "qmail-send/queue_store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/queue_layout.h"
#include "core/queue_records.h"
#include "core/queue_scan.h"
#include "core/todo_split.h"

namespace qcell::send {

namespace {

using queue::Dir;
using queue::MessagePath;

queue::Dir dir_of(Channel channel) noexcept { return channel == Channel::local ? Dir::local : Dir::remote; }

std::string failure(std::string_view what, std::string_view path, int error) {
  return std::string(what) + " " + std::string(path) + ": " + ::strerror(error);
}

// Reads a queue file whole; nullopt when it does not exist.
Result<std::optional<std::vector<std::byte>>, std::string> read_optional(const DirFd& queue, const MessagePath& path) {
  auto bytes = queue::read_queue_file(queue, path.view(), limits::queue_record_file);
  if (bytes) return std::optional<std::vector<std::byte>>(std::move(bytes.value()));
  if (bytes.error().kind == queue::FileReadError::Kind::system && bytes.error().sys_errno == ENOENT) {
    return std::optional<std::vector<std::byte>>();
  }
  return fail("cannot read " + std::string(path.view()) + ": " +
              queue::describe(bytes.error(), limits::queue_record_file));
}

// Creates (or truncates) a queue file and writes it, without fsync.
Status<std::string> write_file(const DirFd& queue, const MessagePath& path, std::string_view bytes) {
  auto fd = open_beneath(queue, path.view(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) return fail(failure("cannot create", path.view(), fd.error()));
  if (auto written = write_full(fd->get(), bytes); !written) {
    return fail(failure("cannot write", path.view(), written.error().sys_errno));
  }
  if (::close(fd->release()) != 0) return fail(failure("cannot write", path.view(), errno));
  return {};
}

Status<std::string> remove_file(const DirFd& queue, const MessagePath& path) {
  // The file's own directory: unlink beneath it, no symlink on the way.
  std::string_view view = path.view();
  std::size_t slash = view.rfind('/');
  auto dir = open_directory_beneath(queue, view.substr(0, slash));
  if (!dir) return fail(failure("cannot open the directory of", view, dir.error()));
  std::string name(view.substr(slash + 1));
  if (::unlinkat(dir->get(), name.c_str(), 0) != 0 && errno != ENOENT) return fail(failure("cannot remove", view, errno));
  return {};
}

std::optional<std::int64_t> mtime_of(const DirFd& queue, const MessagePath& path) {
  auto fd = open_beneath(queue, path.view(), O_RDONLY | O_NONBLOCK);
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return std::nullopt;
  return static_cast<std::int64_t>(st.st_mtime);
}

std::vector<StoredRecipient> with_offsets(const queue::RecipientRecords& records) {
  std::vector<StoredRecipient> out;
  std::uint64_t offset = 0;
  for (const auto& record : records) {
    out.push_back({record.address, offset, record.done});
    offset += record.address.size() + 2;
  }
  return out;
}

}  // namespace

std::string_view channel_name(Channel channel) noexcept { return channel == Channel::local ? "local" : "remote"; }

Result<std::vector<std::uint64_t>, std::string> QueueStore::todo_ids() const {
  auto ids = queue::list_ids(queue_, Dir::todo);
  if (!ids) return fail(queue::describe(ids.error()));
  return std::move(ids.value());
}

Result<std::vector<std::uint64_t>, std::string> QueueStore::info_ids() const {
  auto ids = queue::list_ids(queue_, Dir::info);
  if (!ids) return fail(queue::describe(ids.error()));
  return std::move(ids.value());
}

Result<QueueStore::Preprocessed, std::string> QueueStore::preprocess(std::uint64_t id,
                                                                     const RewriteRules& rules) const {
  MessagePath todo(Dir::todo, id);
  auto bytes = queue::read_queue_file(queue_, todo.view(), limits::queue_record_file);
  if (!bytes) {
    return fail("cannot read " + std::string(todo.view()) + ": " +
                queue::describe(bytes.error(), limits::queue_record_file));
  }
  auto envelope = queue::parse_envelope(*bytes);
  if (!envelope) return fail(std::string(todo.view()) + ": " + queue::format_record_error(envelope.error()));
  queue::TodoSplit split = queue::split_todo(*envelope, rules);
  // Local and remote first, info last: a message is preprocessed once its
  // info exists (and is durable), as qmail-send orders it.
  for (Channel channel : {Channel::local, Channel::remote}) {
    MessagePath path(dir_of(channel), id);
    const std::string& records = channel == Channel::local ? split.local : split.remote;
    if (records.empty()) {
      if (auto removed = remove_file(queue_, path); !removed) return fail(removed.error());
      continue;
    }
    if (auto written = write_file(queue_, path, records); !written) return fail(written.error());
  }
  if (auto written = write_file(queue_, MessagePath(Dir::info, id), split.info); !written) {
    return fail(written.error());
  }
  auto loaded = load(id);
  if (!loaded) return fail(loaded.error());
  return Preprocessed{std::move(loaded.value()), envelope->uid, envelope->pid};
}

Status<std::string> QueueStore::sync() const {
  if (::syncfs(queue_.get()) != 0) return fail(std::string("syncfs of the queue: ") + ::strerror(errno));
  return {};
}

Result<StoredMessage, std::string> QueueStore::load(std::uint64_t id) const {
  StoredMessage message;
  message.id = id;
  MessagePath info_path(Dir::info, id);
  auto info_bytes = read_optional(queue_, info_path);
  if (!info_bytes) return fail(info_bytes.error());
  if (!*info_bytes) return fail(std::string(info_path.view()) + " does not exist");
  auto info = queue::parse_info(**info_bytes);
  if (!info) return fail(std::string(info_path.view()) + ": " + queue::format_record_error(info.error()));
  message.sender = info->sender;
  message.birth = mtime_of(queue_, info_path).value_or(0);
  for (Channel channel : {Channel::local, Channel::remote}) {
    MessagePath path(dir_of(channel), id);
    auto bytes = read_optional(queue_, path);
    if (!bytes) return fail(bytes.error());
    if (!*bytes) continue;
    auto records = queue::parse_recipients(**bytes);
    if (!records) return fail(std::string(path.view()) + ": " + queue::format_record_error(records.error()));
    message.recipients[static_cast<int>(channel)] = with_offsets(*records);
    message.next_try[static_cast<int>(channel)] = mtime_of(queue_, path).value_or(0);
  }
  MessagePath bounce(Dir::bounce, id);
  message.has_bounce = mtime_of(queue_, bounce).has_value();
  auto mess = open_beneath(queue_, MessagePath(Dir::mess, id).view(), O_RDONLY | O_NONBLOCK);
  struct stat st {};
  if (mess && ::fstat(mess->get(), &st) == 0) message.bytes = static_cast<std::uint64_t>(st.st_size);
  return message;
}

Result<UniqueFd, std::string> QueueStore::open_message(std::uint64_t id) const {
  MessagePath path(Dir::mess, id);
  auto fd = open_beneath(queue_, path.view(), O_RDONLY);
  if (!fd) return fail(failure("cannot open", path.view(), fd.error()));
  return std::move(fd.value());
}

Status<std::string> QueueStore::mark_done(std::uint64_t id, Channel channel, std::uint64_t offset) const {
  MessagePath path(dir_of(channel), id);
  auto fd = open_beneath(queue_, path.view(), O_WRONLY);
  if (!fd) return fail(failure("cannot open", path.view(), fd.error()));
  const char done = 'D';
  if (::pwrite(fd->get(), &done, 1, static_cast<off_t>(offset)) != 1) {
    return fail(failure("cannot mark a recipient done in", path.view(), errno));
  }
  return {};
}

Status<std::string> QueueStore::add_bounce(std::uint64_t id, std::string_view recipient,
                                           std::string_view report) const {
  MessagePath path(Dir::bounce, id);
  auto fd = open_beneath(queue_, path.view(), O_RDWR | O_CREAT, 0600);
  if (!fd) return fail(failure("cannot open", path.view(), fd.error()));
  // Whatever a crash cut short at the end is dropped before appending.
  auto existing = read_optional(queue_, path);
  if (!existing) return fail(existing.error());
  std::size_t end = 0;
  if (*existing) {
    auto parsed = parse_bounce_records(**existing);
    if (!parsed) return fail(std::string(path.view()) + " is corrupt");
    end = parsed->complete_bytes;
  }
  std::string record = encode_bounce_record(recipient, report);
  if (::ftruncate(fd->get(), static_cast<off_t>(end)) != 0 ||
      ::pwrite(fd->get(), record.data(), record.size(), static_cast<off_t>(end)) !=
          static_cast<ssize_t>(record.size()) ||
      ::fsync(fd->get()) != 0) {
    int error = errno;
    (void)!::ftruncate(fd->get(), static_cast<off_t>(end));
    return fail(failure("cannot write", path.view(), error));
  }
  return {};
}

Result<std::vector<FailedRecipient>, std::string> QueueStore::read_bounces(std::uint64_t id) const {
  MessagePath path(Dir::bounce, id);
  auto bytes = read_optional(queue_, path);
  if (!bytes) return fail(bytes.error());
  if (!*bytes) return std::vector<FailedRecipient>();
  auto parsed = parse_bounce_records(**bytes);
  if (!parsed) return fail(std::string(path.view()) + " is corrupt");
  return std::move(parsed->failed);
}

Status<std::string> QueueStore::remove_bounce(std::uint64_t id) const {
  return remove_file(queue_, MessagePath(Dir::bounce, id));
}

Status<std::string> QueueStore::save_next_try(std::uint64_t id, Channel channel, std::int64_t when) const {
  MessagePath path(dir_of(channel), id);
  auto fd = open_beneath(queue_, path.view(), O_WRONLY);
  if (!fd) return fail(failure("cannot open", path.view(), fd.error()));
  struct timespec times[2] = {{when, 0}, {when, 0}};
  if (::futimens(fd->get(), times) != 0) return fail(failure("cannot set the next try of", path.view(), errno));
  return {};
}

Status<std::string> QueueStore::finish(std::uint64_t id) const {
  for (Dir dir : {Dir::local, Dir::remote, Dir::bounce, Dir::info}) {
    if (auto removed = remove_file(queue_, MessagePath(dir, id)); !removed) return removed;
  }
  return {};
}

}  // namespace qcell::send
