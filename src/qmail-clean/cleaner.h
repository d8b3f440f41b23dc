// cleaner.h — qmail-clean's work: remove the files of one request
// (core/clean_protocol.h) beneath the queue directory, and serve a channel
// of such requests. Trusts the queue directory descriptor (the broker's);
// every request is hostile (qmail-send parses mail) and is parsed strictly
// before any file is touched.
#pragma once

#include <array>

#include "core/clean_protocol.h"
#include "core/fd.h"
#include "core/queue_layout.h"
#include "core/result.h"

namespace qcell::clean {

// The directories qmail-clean removes from, opened once at start.
struct CleanDirs {
  DirFd intd;
  DirFd todo;
  std::array<DirFd, queue::split> mess;
};

// Opens intd/, todo/ and mess/0..22 beneath the queue; on failure, the
// directory's name and errno.
Result<CleanDirs, std::pair<std::string, int>> open_clean_dirs(const DirFd& queue);

// Removes intd/N, then todo/N or mess/(N % 23)/N. A file already gone
// counts as removed. Returns clean_done, or clean_failed with the errno of
// the first unlink that failed in `failure`.
char clean(const CleanDirs& dirs, const CleanRequest& request, int& failure) noexcept;

// Serves `channel` (SOCK_SEQPACKET) until its peer closes it: one reply
// byte per request, in order. Logs each failure. Returns 0 at end of file,
// 111 when the channel fails.
int serve_clean(const CleanDirs& dirs, int channel);

}  // namespace qcell::clean
