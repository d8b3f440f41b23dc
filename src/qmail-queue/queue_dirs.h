// queue_dirs.h — the queue directories the qmail-queue cell writes, opened
// once beneath the queue descriptor the broker granted. Every later file
// operation is relative to one of these with a plain name (no '/'), so no
// name the cell builds can reach outside its directory.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/queue_layout.h"
#include "core/result.h"

namespace qcell::queue {

struct QueueDirs {
  DirFd queue;
  DirFd pid;
  DirFd intd;
  DirFd todo;
  DirFd lock;
  std::array<DirFd, split> mess;  // mess/0 .. mess/22
  // One descriptor (borrowed from the above) per filesystem that holds
  // intd/ or a mess/ subdirectory: what SyncMode::filesystem syncs. One
  // entry unless an administrator mounted part of the queue elsewhere.
  std::vector<int> filesystems;

  // Opens every directory beneath `queue`; on failure, the path that failed
  // and its errno, for the cell's start-up log line.
  static Result<QueueDirs, std::pair<std::string, int>> open(DirFd queue);
};

}  // namespace qcell::queue
