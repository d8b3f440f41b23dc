// passwd_command.cc — `qcell passwd`: hashing a password with libsodium
// and replacing control/smtpsecrets atomically. The command line and the
// password are the administrator's; the existing file is parsed strictly
// (smtpd::parse_secrets) and never rewritten when it does not parse.
#include "qcell/passwd_command.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <utility>

#include "core/byte_buffer.h"
#include "core/control.h"
#include "core/fd.h"
#include "qcell/check.h"
#include "qmail-smtpd/sasl.h"

namespace qcell {

namespace {

static_assert(passwd_max == smtpd::sasl_identity, "a longer password could never be sent with AUTH");

constexpr std::string_view usage =
    "usage: qcell passwd [--root DIR] [--delete] USER\n"
    "Sets USER's SMTP AUTH password to the line read on standard input, or\n"
    "deletes USER with --delete, in DIR/control/smtpsecrets (DIR defaults to\n"
    "/var/qmail; docs/smtpd-auth.md).\n";

// The new file is written under this name first; created with O_EXCL, it
// is also the lock that keeps two runs from losing each other's change.
constexpr const char* new_file_name = "smtpsecrets.new";
// Readable by qmail-smtpd (group qmail), by nobody else.
constexpr mode_t secrets_mode = 0640;

PasswdFailure usage_failure(std::string text) { return PasswdFailure{exit_usage, std::move(text)}; }

PasswdFailure system_failure(const std::string& what, int error) {
  return PasswdFailure{exit_system_error, what + ": " + ::strerror(error)};
}

void say(int fd, const std::string& text) { (void)write_full(fd, text); }

void wipe(std::string& secret) {
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
  secret.clear();
}

// Turns terminal echo off for its lifetime (when `fd` is a terminal).
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) (void)::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

// The new file in control/: removed on destruction unless it was renamed.
class NewFile {
 public:
  NewFile(const DirFd& dir, UniqueFd fd) : dir_(dir), fd_(std::move(fd)) {}
  ~NewFile() {
    if (!renamed_) (void)::unlinkat(dir_.get(), new_file_name, 0);
  }
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  int get() const { return fd_.get(); }
  void renamed() { renamed_ = true; }

 private:
  const DirFd& dir_;
  UniqueFd fd_;
  bool renamed_ = false;
};

}  // namespace

Result<PasswdArguments, PasswdFailure> parse_passwd_arguments(int argc, char** argv) {
  PasswdArguments arguments;
  bool have_user = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--root") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') return fail(usage_failure("--root needs a directory"));
      arguments.root = argv[++i];
    } else if (arg == "--delete") {
      arguments.remove = true;
    } else if (arg.starts_with("-")) {
      return fail(usage_failure("unknown option: " + std::string(arg)));
    } else if (have_user) {
      return fail(usage_failure("more than one user name"));
    } else {
      if (!smtpd::valid_secrets_user(arg)) {
        return fail(
            usage_failure("'" + std::string(arg) + "': " + std::string(smtpd::describe(smtpd::SecretsErrc::bad_user))));
      }
      arguments.user = arg;
      have_user = true;
    }
  }
  if (!have_user) return fail(usage_failure("missing user name"));
  return arguments;
}

Result<std::string, PasswdFailure> read_password(int fd, int prompt_fd) {
  const bool terminal = ::isatty(fd) == 1;
  if (terminal) say(prompt_fd, "Password: ");
  std::string line;
  // Room for the longest password, its CR and one byte more: the string
  // never reallocates, so no copy of the password is left behind in freed memory.
  line.reserve(passwd_max + 2);
  bool too_long = false;
  {
    std::optional<EchoOff> echo_off;
    if (terminal) echo_off.emplace(fd);
    for (;;) {
      char c = 0;
      ssize_t n = ::read(fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        wipe(line);
        return fail(system_failure("cannot read the password from standard input", error));
      }
      if (n == 0 || c == '\n') break;
      if (line.size() == passwd_max + 1) {
        too_long = true;  // stop here: the rest of the line is not read
        break;
      }
      line.push_back(c);
    }
  }
  if (terminal) say(prompt_fd, "\n");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::string why;
  if (too_long || line.size() > passwd_max) {
    why = "password longer than 255 bytes refused (AUTH cannot send it)";
  } else if (line.empty()) {
    why = "empty password refused (give it as one line on standard input)";
  } else if (line.find('\0') != std::string::npos) {
    why = "password with a NUL byte refused (AUTH PLAIN cannot send it)";
  }
  if (!why.empty()) {
    wipe(line);
    return fail(usage_failure(why));
  }
  return line;
}

Result<smtpd::SecretsChange, PasswdFailure> update_secrets_file(const std::string& root, std::string_view user,
                                                                std::optional<std::string_view> hash) {
  auto root_dir = open_directory(root.c_str());
  if (!root_dir) return fail(system_failure(root, root_dir.error()));
  auto control = open_directory_beneath(*root_dir, "control");
  if (!control) return fail(system_failure(root + "/control", control.error()));
  const std::string shown = root + "/control/" + std::string(smtpd::secrets_file_name);
  const std::string shown_new = root + "/control/" + new_file_name;

  // The new file first: it is the lock, so the file is read after taking it.
  // 0600 until its owner is right.
  int raw = ::openat(control->get(), new_file_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (raw < 0) {
    if (errno == EEXIST) {
      return fail(PasswdFailure{exit_system_error, shown_new + " exists: another qcell passwd is running, or one was "
                                                               "interrupted (remove the file if none is running)"});
    }
    return fail(system_failure("cannot create " + shown_new, errno));
  }
  NewFile new_file(*control, UniqueFd(raw));

  auto current = read_control_file(*control, smtpd::secrets_file_name);
  if (!current) {
    if (current.error().code == ControlErrc::file_too_large) {
      return fail(usage_failure(smtpd::format_secrets_error(smtpd::SecretsError{smtpd::SecretsErrc::file_too_large}) +
                                " (nothing changed)"));
    }
    return fail(system_failure("cannot read " + shown, current.error().sys_errno));
  }
  const std::string_view before = current->has_value() ? std::string_view(**current) : std::string_view();
  auto edited = smtpd::edit_secrets(as_bytes(before), user, hash);
  if (!edited) {
    if (edited.error().code == smtpd::SecretsErrc::not_present) {
      return fail(usage_failure("no user " + std::string(user) + " in " + shown + " (nothing changed)"));
    }
    return fail(usage_failure(smtpd::format_secrets_error(edited.error()) + " (nothing changed)"));
  }

  if (auto written = write_full(new_file.get(), edited->content); !written) {
    return fail(system_failure("cannot write " + shown_new, written.error().sys_errno));
  }
  if (::geteuid() == 0) {
    // root:qmail, so that qmail-smtpd (group qmail) can read it; root:root
    // where there is no qmail group yet. Run by another user, the file
    // stays that user's: it cannot be given away.
    const struct group* qmail = ::getgrnam("qmail");
    if (::fchown(new_file.get(), 0, qmail != nullptr ? qmail->gr_gid : 0) != 0) {
      return fail(system_failure("cannot change the owner of " + shown_new, errno));
    }
  }
  // After fchown, which may clear mode bits; and whatever the umask.
  if (::fchmod(new_file.get(), secrets_mode) != 0) {
    return fail(system_failure("cannot change the mode of " + shown_new, errno));
  }
  if (::fsync(new_file.get()) != 0) return fail(system_failure("cannot fsync " + shown_new, errno));
  if (::renameat(control->get(), new_file_name, control->get(), std::string(smtpd::secrets_file_name).c_str()) != 0) {
    return fail(system_failure("cannot rename " + shown_new + " to " + shown, errno));
  }
  new_file.renamed();
  if (::fsync(control->get()) != 0) {
    return fail(system_failure(shown + " was replaced, but fsync of " + root + "/control failed", errno));
  }
  return edited->change;
}

int run_passwd_command(int argc, char** argv, int input_fd, int output_fd, int error_fd) {
  auto arguments = parse_passwd_arguments(argc, argv);
  if (!arguments) {
    say(error_fd, "qcell passwd: " + arguments.error().text + "\n" + std::string(usage));
    return arguments.error().exit_code;
  }
  if (::sodium_init() < 0) {
    say(error_fd, "qcell passwd: cannot initialise libsodium\n");
    return exit_system_error;
  }
  std::optional<std::string> hash;
  if (!arguments->remove) {
    auto password = read_password(input_fd, error_fd);
    if (!password) {
      say(error_fd, "qcell passwd: " + password.error().text + "\n");
      return password.error().exit_code;
    }
    hash = smtpd::hash_password(*password);
    wipe(*password);
    if (!hash) {
      say(error_fd, "qcell passwd: libsodium could not hash the password (it needs 64 MiB of memory)\n");
      return exit_system_error;
    }
  }
  auto change = update_secrets_file(arguments->root, arguments->user,
                                    hash ? std::optional<std::string_view>(*hash) : std::nullopt);
  if (!change) {
    say(error_fd, "qcell passwd: " + change.error().text + "\n");
    return change.error().exit_code;
  }
  say(output_fd, "qcell passwd: " + std::string(smtpd::describe(*change)) + " " + arguments->user + "\n");
  return exit_ok;
}

}  // namespace qcell
