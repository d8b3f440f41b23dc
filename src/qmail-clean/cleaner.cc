// cleaner.cc — see cleaner.h.
#include "qmail-clean/cleaner.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/cell_skeleton.h"

namespace qcell::clean {

Result<CleanDirs, std::pair<std::string, int>> open_clean_dirs(const DirFd& queue) {
  CleanDirs dirs;
  auto open = [&](std::string_view name, DirFd& into) -> bool {
    auto dir = open_directory_beneath(queue, name);
    if (!dir) return false;
    into = std::move(dir.value());
    return true;
  };
  if (!open("intd", dirs.intd)) return fail(std::pair<std::string, int>("intd", errno));
  if (!open("todo", dirs.todo)) return fail(std::pair<std::string, int>("todo", errno));
  for (std::uint64_t i = 0; i < queue::split; ++i) {
    std::string name = "mess/" + std::to_string(i);
    if (!open(name, dirs.mess[i])) return fail(std::pair<std::string, int>(name, errno));
  }
  return dirs;
}

char clean(const CleanDirs& dirs, const CleanRequest& request, int& failure) noexcept {
  char name[24];
  const std::string digits = std::to_string(request.id);
  if (digits.size() >= sizeof name) return clean_malformed;
  ::memcpy(name, digits.c_str(), digits.size() + 1);
  const DirFd& second = request.target == CleanTarget::todo ? dirs.todo : dirs.mess[queue::split_of(request.id)];
  for (const DirFd* dir : {&dirs.intd, &second}) {
    if (::unlinkat(dir->get(), name, 0) != 0 && errno != ENOENT) {
      failure = errno;
      return clean_failed;
    }
  }
  return clean_done;
}

int serve_clean(const CleanDirs& dirs, int channel) {
  for (;;) {
    std::byte frame[clean_request_max + 1];
    ssize_t got = ::recv(channel, frame, sizeof frame, MSG_TRUNC);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      cell_log(std::string("channel-failed error=\"") + ::strerror(errno) + "\"");
      return 111;
    }
    if (got == 0) return 0;  // qmail-send has gone: so does its cleaner
    char reply = clean_malformed;
    std::optional<CleanRequest> request;
    if (static_cast<std::size_t>(got) <= clean_request_max) {
      request = parse_clean_request(std::span(frame, static_cast<std::size_t>(got)));
    }
    if (request) {
      int failure = 0;
      reply = clean(dirs, *request, failure);
      if (reply == clean_failed) {
        cell_log("unlink-failed request=" + encode_clean_request(*request) + " error=\"" + ::strerror(failure) + "\"");
      }
    } else {
      cell_log("request-refused bytes=" + std::to_string(got));
    }
    if (::send(channel, &reply, 1, MSG_NOSIGNAL) != 1) {
      cell_log(std::string("channel-failed error=\"") + ::strerror(errno) + "\"");
      return 111;
    }
  }
}

}  // namespace qcell::clean
