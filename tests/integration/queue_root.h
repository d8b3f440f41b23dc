// queue_root.h — test helpers: a qmail 1.03 queue made under a temporary
// root with qmail's owners and modes (the tests run as root), and counting
// what lies in a queue directory. Trusts the paths it is given.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/queue_layout.h"

namespace {

[[maybe_unused]] void make_queue(const std::string& queue) {
  auto owner = [](qcell::queue::Owner o) {
    const passwd* pw = ::getpwnam(o == qcell::queue::Owner::qmailq ? "qmailq" : "qmails");
    const group* gr = ::getgrnam("qmail");
    if (pw == nullptr || gr == nullptr) std::abort();  // scripts/setup makes them
    return std::pair<uid_t, gid_t>(pw->pw_uid, gr->gr_gid);
  };
  auto make = [](const std::string& path, std::pair<uid_t, gid_t> who, mode_t mode) {
    if ((::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) || ::chown(path.c_str(), who.first, who.second) != 0 ||
        ::chmod(path.c_str(), mode) != 0) {
      std::abort();
    }
  };
  make(queue, owner(qcell::queue::Owner::qmailq), 0750);
  for (const qcell::queue::DirEntry& e : qcell::queue::dir_table()) {
    std::string dir = queue + "/" + std::string(e.name);
    make(dir, owner(e.owner), e.mode);
    for (std::uint64_t i = 0; e.split && i < qcell::queue::split; ++i) {
      make(dir + "/" + std::to_string(i), owner(e.owner), e.mode);
    }
  }
  std::string trigger = queue + "/lock/trigger";
  ::mkfifo(trigger.c_str(), 0622);
  auto s = owner(qcell::queue::Owner::qmails);
  if (::chown(trigger.c_str(), s.first, s.second) != 0 || ::chmod(trigger.c_str(), 0622) != 0) std::abort();
  // qmail-send's lock (one qmail-send per queue), as qcell queue init makes it.
  std::string mutex = queue + "/lock/sendmutex";
  int fd = ::open(mutex.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchown(fd, s.first, s.second) != 0) std::abort();
  ::close(fd);
}

// Regular files directly in `dir`, or in all its subdirectories when `split`.
[[maybe_unused]] std::size_t count_files(const std::string& dir, bool split = false) {
  std::size_t n = 0;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (split && e->d_type == DT_DIR) {
      n += count_files(dir + "/" + name);
    } else if (e->d_type == DT_REG) {
      ++n;
    }
  }
  ::closedir(d);
  return n;
}

}  // namespace
