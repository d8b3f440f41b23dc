// passwd_command.h — `qcell passwd [--root DIR] [--delete] USER`: sets a
// user's SMTP AUTH password (read from standard input) or deletes the user,
// in ROOT/control/smtpsecrets (docs/smtpd-auth.md). Runs as root outside any
// cell. Trusts its command line and the password typed (they are the
// administrator's); the existing file is parsed like any control file and
// left untouched when it does not parse. The file is replaced atomically
// (a new file, fsync, rename, fsync of the directory), so qmail-smtpd reads
// either the old file or the new one, never a mixture.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "qmail-smtpd/secrets.h"

namespace qcell {

struct PasswdArguments {
  std::string root = "/var/qmail";
  std::string user;
  bool remove = false;  // --delete
};

// A refusal: the exit code (exit_usage or exit_system_error, see
// qcell/check.h) and one line of text without the "qcell passwd: " prefix.
struct PasswdFailure {
  int exit_code = 0;
  std::string text;
};

// Parses the arguments after "passwd" (argv[1]); options and USER in any
// order, USER exactly once and valid for the file.
Result<PasswdArguments, PasswdFailure> parse_passwd_arguments(int argc, char** argv);

// The longest password accepted: what AUTH PLAIN and LOGIN can carry
// (smtpd::sasl_identity, RFC 4616).
inline constexpr std::size_t passwd_max = 255;

// Reads one line from `fd` (up to LF or end of file; nothing after the LF
// is read) and strips its LF and a CR before it. Refuses an empty line, a
// NUL byte and more than passwd_max bytes (exit_usage); a read error is
// exit_system_error. On a terminal, echo is off while the line is typed.
Result<std::string, PasswdFailure> read_password(int fd, int prompt_fd);

// Opens ROOT/control, takes control/smtpsecrets.new as a lock (O_EXCL:
// another run, or an interrupted one, makes this fail), reads and edits
// control/smtpsecrets with smtpd::edit_secrets (`hash` nullopt: delete),
// writes the result to the lock file, mode 0640, owned by root and group
// qmail when run as root, fsyncs it, renames it over smtpsecrets and fsyncs
// control/. Any failure leaves smtpsecrets as it was.
Result<smtpd::SecretsChange, PasswdFailure> update_secrets_file(const std::string& root, std::string_view user,
                                                                std::optional<std::string_view> hash);

// The whole command: argv[1] is "passwd". Reads the password from
// `input_fd`, says what it did on `output_fd` ("qcell passwd: added joe"),
// refusals on `error_fd`. Returns the exit code: 0, 100 (usage, bad input,
// a file that does not parse), 111 (a system call or libsodium failed).
int run_passwd_command(int argc, char** argv, int input_fd, int output_fd, int error_fd);

}  // namespace qcell
