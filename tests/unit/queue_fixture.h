// queue_fixture.h — builds fake qmail queues in temporary directories for the
// queue scanner, report and fsck tests: every directory of the layout, and
// message files made the way qmail-queue makes them (a pid/ file whose inode
// number names the message, hard-linked into mess/).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/fd.h"
#include "core/queue_layout.h"

namespace qcell::testing {

// Record file contents.
inline std::string record(char letter, std::string_view text) {
  std::string out(1, letter);
  out += text;
  out += '\0';
  return out;
}

inline std::string envelope_bytes(std::string_view sender, const std::vector<std::string>& recipients,
                                  std::uint32_t uid = 1000, std::uint32_t pid = 4242) {
  std::string out = record('u', std::to_string(uid)) + record('p', std::to_string(pid)) + record('F', sender);
  for (const std::string& r : recipients) out += record('T', r);
  return out;
}

inline std::string info_bytes(std::string_view sender) { return record('F', sender); }

// {address, done}
inline std::string recipient_bytes(const std::vector<std::pair<std::string, bool>>& recipients) {
  std::string out;
  for (const auto& [address, done] : recipients) out += record(done ? 'D' : 'T', address);
  return out;
}

class FakeQueue {
 public:
  // With create_dirs false only ROOT/queue itself exists.
  explicit FakeQueue(bool create_dirs = true) {
    char pattern[] = "/tmp/qcell-queue-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    root_ = pattern;
    mkdir_or_die(queue_path());
    if (create_dirs) {
      for (const queue::DirEntry& entry : queue::dir_table()) {
        mkdir_or_die(path(entry.name));
        if (!entry.split) continue;
        for (std::uint64_t s = 0; s < queue::split; ++s)
          mkdir_or_die(path(std::string(entry.name) + "/" + std::to_string(s)));
      }
    }
    reopen();
  }
  ~FakeQueue() {
    if (std::system(("rm -rf '" + root_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot clean %s\n", root_.c_str());
  }
  FakeQueue(const FakeQueue&) = delete;
  FakeQueue& operator=(const FakeQueue&) = delete;

  const std::string& root() const { return root_; }
  std::string queue_path() const { return root_ + "/queue"; }
  std::string path(std::string_view relative) const { return queue_path() + "/" + std::string(relative); }
  const DirFd& dir() const { return queue_; }
  void reopen() {
    auto opened = open_directory(queue_path().c_str());
    if (!opened) std::abort();
    queue_ = std::move(opened.value());
  }

  // A message file made as qmail-queue makes it; returns its id (inode number).
  std::uint64_t add_mess(std::string_view contents = "Subject: test\n\nbody\n") {
    const std::string temp = path("pid/fixture." + std::to_string(++sequence_));
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    if (::write(fd, contents.data(), contents.size()) != static_cast<ssize_t>(contents.size())) std::abort();
    struct stat st {};
    if (::fstat(fd, &st) != 0) std::abort();
    ::close(fd);
    const auto id = static_cast<std::uint64_t>(st.st_ino);
    const std::string target = path(queue::MessagePath(queue::Dir::mess, id).view());
    if (::link(temp.c_str(), target.c_str()) != 0) std::abort();
    ::unlink(temp.c_str());
    return id;
  }

  // A file of message `id` at its canonical place.
  void put(queue::Dir dir, std::uint64_t id, std::string_view bytes) {
    write(queue::MessagePath(dir, id).view(), bytes);
  }
  std::string at(queue::Dir dir, std::uint64_t id) const { return std::string(queue::MessagePath(dir, id).view()); }

  // mess + intd + todo (S4).
  std::uint64_t add_todo_message(std::string_view sender, const std::vector<std::string>& recipients) {
    std::uint64_t id = add_mess();
    put(queue::Dir::intd, id, envelope_bytes(sender, recipients));
    if (::link(path(at(queue::Dir::intd, id)).c_str(), path(at(queue::Dir::todo, id)).c_str()) != 0) std::abort();
    return id;
  }

  // mess + info + local/remote (S5).
  std::uint64_t add_queued_message(std::string_view sender, const std::vector<std::pair<std::string, bool>>& local,
                                   const std::vector<std::pair<std::string, bool>>& remote) {
    std::uint64_t id = add_mess();
    put(queue::Dir::info, id, info_bytes(sender));
    if (!local.empty()) put(queue::Dir::local, id, recipient_bytes(local));
    if (!remote.empty()) put(queue::Dir::remote, id, recipient_bytes(remote));
    return id;
  }

  void write(std::string_view relative, std::string_view bytes) {
    const std::string p = path(relative);
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) std::abort();
    if (!bytes.empty() && ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) std::abort();
    ::close(fd);
  }

  bool exists(std::string_view relative) const {
    struct stat st {};
    return ::lstat(path(relative).c_str(), &st) == 0;
  }

  // Sets atime and mtime `seconds` into the past (the fsck age rule).
  void age(std::string_view relative, std::int64_t seconds) {
    struct timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= static_cast<time_t>(seconds);
    times[0].tv_nsec = 0;
    times[1] = times[0];
    if (::utimensat(AT_FDCWD, path(relative).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) std::abort();
  }

  void symlink(std::string_view target, std::string_view relative) {
    if (::symlink(std::string(target).c_str(), path(relative).c_str()) != 0) std::abort();
  }

  void mkdir_or_die(const std::string& p) {
    if (::mkdir(p.c_str(), 0755) != 0) std::abort();
  }

 private:
  std::string root_;
  DirFd queue_;
  int sequence_ = 0;
};

}  // namespace qcell::testing
