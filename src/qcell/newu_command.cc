// newu_command.cc — `qcell newu` (newu_command.h).
#include "qcell/newu_command.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/cdb.h"
#include "core/fd.h"
#include "core/limits.h"
#include "core/users_assign.h"
#include "qcell/check.h"

namespace qcell {

namespace {

int refuse(int error_fd, int code, const std::string& text) {
  (void)write_full(error_fd, "qcell newu: " + text + "\n");
  return code;
}

std::string system_text(const std::string& what, int error) { return what + ": " + ::strerror(error); }

}  // namespace

int run_newu_command(int argc, char** argv, int output_fd, int error_fd) {
  std::string root = "/var/qmail";
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--root" && i + 1 < argc) {
      root = argv[++i];
    } else {
      return refuse(error_fd, exit_usage, "usage: qcell newu [--root DIR]");
    }
  }
  const std::string users_path = root + "/users";
  auto users = open_directory(users_path.c_str());
  if (!users) return refuse(error_fd, exit_system_error, system_text("cannot open " + users_path, users.error()));
  auto assign = open_beneath(*users, "assign", O_RDONLY);
  if (!assign) return refuse(error_fd, exit_system_error, system_text("cannot open " + users_path + "/assign", assign.error()));
  // One byte more than the limit tells a file that is too large.
  std::vector<std::byte> text(limits::users_assign_file + 1);
  auto read = read_full(assign->get(), text);
  if (!read) return refuse(error_fd, exit_system_error, system_text("cannot read " + users_path + "/assign", read.error().sys_errno));
  text.resize(*read);
  auto entries = parse_users_assign(text);
  if (!entries) return refuse(error_fd, exit_usage, describe(entries.error()) + " (users/cdb left as it was)");

  // users/cdb.tmp is also the lock: a second run, or an interrupted one, stops here.
  UniqueFd temporary(::openat(users->get(), "cdb.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!temporary) {
    const int error = errno;
    const std::string hint = error == EEXIST ? " (another qcell newu runs, or one was interrupted: remove it)" : "";
    return refuse(error_fd, exit_system_error, system_text("cannot create " + users_path + "/cdb.tmp", error) + hint);
  }
  auto abandon = [&](const std::string& text_line, int error) {
    (void)::unlinkat(users->get(), "cdb.tmp", 0);
    return refuse(error_fd, exit_system_error, system_text(text_line, error));
  };
  auto writer = CdbWriter::start(temporary.get());
  if (!writer) return abandon("cannot write " + users_path + "/cdb.tmp", writer.error().sys_errno);
  const auto records = users_cdb_records(*entries);
  for (const auto& [key, value] : records) {
    if (auto added = writer->add(key, value); !added) {
      return abandon("cannot write " + users_path + "/cdb.tmp", added.error().sys_errno);
    }
  }
  if (auto finished = writer->finish(); !finished) {
    return abandon("cannot write " + users_path + "/cdb.tmp", finished.error().sys_errno);
  }
  if (::fsync(temporary.get()) != 0) return abandon("cannot fsync " + users_path + "/cdb.tmp", errno);
  if (::renameat(users->get(), "cdb.tmp", users->get(), "cdb") != 0) {
    return abandon("cannot rename " + users_path + "/cdb.tmp to cdb", errno);
  }
  if (::fsync(users->get()) != 0) {
    return refuse(error_fd, exit_system_error, system_text("users/cdb was replaced, but fsync of " + users_path + " failed", errno));
  }
  (void)write_full(output_fd, "qcell newu: users/cdb holds " + std::to_string(entries->size()) + " entries from " +
                                  users_path + "/assign\n");
  return exit_ok;
}

}  // namespace qcell
