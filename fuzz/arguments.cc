// arguments.cc (fuzz) — the parsers of words a local user hands to the
// queue's programs: qmail-inject's arguments, its QMAILINJECT letters and
// argument addresses, sendmail's command line (words split at NUL bytes),
// and queue message ids as the queue tools read them from file names
// (parse_canonical_decimal, also with a small maximum), and `qcell passwd`'s
// arguments (a parsed user name is one control/smtpsecrets accepts). No
// crash, no unbounded work; a message id that parses prints back the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/queue_layout.h"
#include "qcell/passwd_command.h"
#include "qmail-inject/inject.h"
#include "qmail-smtpd/secrets.h"
#include "sendmail/translate.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Words, as an argument vector would hold them.
  std::vector<std::string> words;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\0') {
      words.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  std::vector<const char*> argv;
  for (const std::string& w : words) argv.push_back(w.c_str());
  (void)qcell::inject::parse_arguments(argv);
  (void)qcell::sendmail::parse_command_line("sendmail", argv);
  (void)qcell::sendmail::parse_command_line("mailq", argv);
  // qcell passwd ARGS: argv[0] "qcell", argv[1] "passwd", then the words.
  std::vector<char*> passwd_argv = {const_cast<char*>("qcell"), const_cast<char*>("passwd")};
  for (const std::string& w : words) passwd_argv.push_back(const_cast<char*>(w.c_str()));
  if (auto parsed = qcell::parse_passwd_arguments(static_cast<int>(passwd_argv.size()), passwd_argv.data())) {
    require(qcell::smtpd::valid_secrets_user(parsed->user) && !parsed->root.empty());
  } else {
    require(!parsed.error().text.empty());
  }
  (void)qcell::inject::parse_inject_flags(text);
  (void)qcell::inject::parse_argument_address(text, true);
  (void)qcell::inject::parse_argument_address(text, false);
  if (auto id = qcell::queue::parse_message_id(text)) require(std::to_string(*id) == text);
  if (auto small = qcell::parse_canonical_decimal(text, 255)) require(*small <= 255 && std::to_string(*small) == text);
  return 0;
}
