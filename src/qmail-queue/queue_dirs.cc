// queue_dirs.cc — opens the queue's directories once, beneath the granted
// queue descriptor (no symlinks, no '..').
#include "qmail-queue/queue_dirs.h"

#include <errno.h>
#include <sys/stat.h>

#include <algorithm>

namespace qcell::queue {

Result<QueueDirs, std::pair<std::string, int>> QueueDirs::open(DirFd queue) {
  QueueDirs dirs;
  // 0, or the errno of the failure.
  auto beneath = [&](std::string_view name, DirFd& out) -> int {
    auto dir = open_directory_beneath(queue, name);
    if (!dir) return dir.error();
    out = std::move(dir.value());
    return 0;
  };
  struct Named {
    std::string_view name;
    DirFd* out;
  };
  for (Named n : {Named{"pid", &dirs.pid}, Named{"intd", &dirs.intd}, Named{"todo", &dirs.todo},
                  Named{"lock", &dirs.lock}}) {
    if (int error = beneath(n.name, *n.out)) return fail(std::pair<std::string, int>(std::string(n.name), error));
  }
  for (std::uint64_t i = 0; i < split; ++i) {
    SplitDirPath path(Dir::mess, i);
    if (int error = beneath(path.view(), dirs.mess[i])) {
      return fail(std::pair<std::string, int>(std::string(path.view()), error));
    }
  }
  std::vector<dev_t> devices;
  auto note_filesystem = [&](const DirFd& dir) -> int {
    struct stat st {};
    if (::fstat(dir.get(), &st) != 0) return errno;
    if (std::find(devices.begin(), devices.end(), st.st_dev) == devices.end()) {
      devices.push_back(st.st_dev);
      dirs.filesystems.push_back(dir.get());
    }
    return 0;
  };
  if (int error = note_filesystem(dirs.intd)) return fail(std::pair<std::string, int>("intd", error));
  for (std::uint64_t i = 0; i < split; ++i) {
    if (int error = note_filesystem(dirs.mess[i])) {
      return fail(std::pair<std::string, int>(std::string(SplitDirPath(Dir::mess, i).view()), error));
    }
  }
  dirs.queue = std::move(queue);
  return dirs;
}

}  // namespace qcell::queue
