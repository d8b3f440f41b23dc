// maildir.cc — tmp, fsync, link to new (maildir.h).
#include "core/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <array>
#include <cstdint>

namespace qcell {

namespace {

// Copies the message after `prefix`; on failure says which step and why.
bool write_message(int out, std::string_view prefix, int message_fd, MaildirErrc& failed, int& error) {
  if (auto written = write_full(out, prefix); !written) {
    failed = MaildirErrc::write_failed;
    error = written.error().sys_errno;
    return false;
  }
  std::array<char, 65536> buffer{};
  int write_error = 0;
  auto copied = pread_pieces(message_fd, buffer, SIZE_MAX, [&](std::string_view piece) {
    auto written = write_full(out, piece);
    if (!written) write_error = written.error().sys_errno;
    return static_cast<bool>(written);
  });
  if (!copied) {
    failed = MaildirErrc::read_failed;
    error = copied.error().sys_errno;
    return false;
  }
  if (!*copied) {
    failed = MaildirErrc::write_failed;
    error = write_error;
    return false;
  }
  return true;
}

}  // namespace

std::string maildir_unique_name(const MaildirUnique& unique) {
  std::string name = std::to_string(unique.seconds) + ".M" + std::to_string(unique.microseconds) + "P" +
                     std::to_string(unique.pid) + "Q" + std::to_string(unique.sequence) + ".";
  for (char c : unique.host) {
    if (c == '/') {
      name += "\\057";
    } else if (c == ':') {
      name += "\\072";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      name += '_';  // no control bytes in a file name
    } else {
      name += c;
    }
  }
  return name;
}

std::string describe(const MaildirError& error) {
  const std::string reason = error.sys_errno != 0 ? std::string(": ") + ::strerror(error.sys_errno) : "";
  switch (error.code) {
    case MaildirErrc::no_maildir: return "Unable to chdir to maildir" + reason + ". (#4.2.1)";
    case MaildirErrc::read_failed: return "Unable to read message" + reason + ". (#4.3.0)";
    case MaildirErrc::name_taken: return "Temporary error on maildir delivery: no unique name in tmp/. (#4.3.0)";
    case MaildirErrc::create_failed: return "Temporary error on maildir delivery: creating tmp/" + reason + ". (#4.3.0)";
    case MaildirErrc::write_failed: return "Temporary error on maildir delivery: writing tmp/" + reason + ". (#4.3.0)";
    case MaildirErrc::link_failed: return "Temporary error on maildir delivery: linking into new/" + reason + ". (#4.3.0)";
  }
  return "Temporary error on maildir delivery. (#4.3.0)";
}

Result<std::string, MaildirError> deliver_to_maildir(const DirFd& maildir, std::string_view prefix, int message_fd,
                                                     MaildirUnique unique) {
  auto tmp = open_directory_beneath(maildir, "tmp");
  if (!tmp) return fail(MaildirError{MaildirErrc::no_maildir, tmp.error()});
  auto fresh = open_directory_beneath(maildir, "new");
  if (!fresh) return fail(MaildirError{MaildirErrc::no_maildir, fresh.error()});
  std::string name;
  UniqueFd file;
  for (int attempt = 0; attempt < 3 && !file; ++attempt, ++unique.sequence) {
    name = maildir_unique_name(unique);
    file.reset(::openat(tmp->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file && errno != EEXIST) return fail(MaildirError{MaildirErrc::create_failed, errno});
  }
  if (!file) return fail(MaildirError{MaildirErrc::name_taken, EEXIST});
  auto abandon = [&](MaildirErrc code, int error) {
    (void)::unlinkat(tmp->get(), name.c_str(), 0);
    return fail(MaildirError{code, error});
  };
  MaildirErrc failed = MaildirErrc::write_failed;
  int error = 0;
  if (!write_message(file.get(), prefix, message_fd, failed, error)) return abandon(failed, error);
  if (::fsync(file.get()) != 0) return abandon(MaildirErrc::write_failed, errno);
  // close(2) reports what a network filesystem could not write.
  if (::close(file.release()) != 0) return abandon(MaildirErrc::write_failed, errno);
  if (::linkat(tmp->get(), name.c_str(), fresh->get(), name.c_str(), 0) != 0) {
    return abandon(MaildirErrc::link_failed, errno);
  }
  (void)::unlinkat(tmp->get(), name.c_str(), 0);
  // The link is the delivery: it must survive a crash before qmail-send
  // is told "delivered" and forgets the message.
  if (::fsync(fresh->get()) != 0) {
    const int sync_error = errno;
    (void)::unlinkat(fresh->get(), name.c_str(), 0);
    return fail(MaildirError{MaildirErrc::link_failed, sync_error});
  }
  return name;
}

}  // namespace qcell
