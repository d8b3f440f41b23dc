// qmail_command.h — what a program delivery (a "|command" line of a
// .qmail file) is given and how its end is read, as qmail-command(8)
// describes them (docs/delivery.md, "Program deliveries"):
//
// - its environment: SENDER, NEWSENDER, RECIPIENT, USER, HOME, HOST,
//   HOST2..HOST4, LOCAL, EXT, EXT2..EXT4, DEFAULT (only when a -default
//   file matched), DTLINE, RPLINE, UFLINE. The values are not quoted and
//   the sender chose most of them: a command must treat them as hostile;
// - its exit code: 0 delivered; 99 delivered, and the file's later lines
//   are skipped; 100 and 64, 65, 70, 76, 77, 78, 112 permanent failures;
//   anything else, and death by a signal, temporary;
// - the sender of forwards (NEWSENDER): the sender unchanged when it is
//   empty or "#@[]"; else LOCAL-owner@HOST when a ".qmail<dash><ext>-owner"
//   file exists, in its VERP form LOCAL-owner-@HOST-@[] when
//   ".qmail<dash><ext>-owner-default" exists too.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qcell {

struct LocalFacts {
  std::string sender;     // the envelope sender ("" for a bounce)
  std::string local;      // the recipient's local part, after any virtual-domain prepend
  std::string host;       // the recipient's domain
  std::string user;       // the account (users/assign or passwd)
  std::string home;
  std::string ext;        // the address extension
  std::optional<std::string> default_part;  // $DEFAULT, when a -default file matched
  std::int64_t now = 0;   // for UFLINE's date
};

// "NAME=value" entries, in qmail-command(8)'s order.
std::vector<std::string> command_environment(const LocalFacts& facts, std::string_view newsender);

enum class CommandOutcome { delivered, delivered_stop, permanent, temporary };

// `exit_code` -1 means killed by a signal.
CommandOutcome command_outcome(int exit_code) noexcept;

// `exists(name)`: whether that file exists in the home (a regular file).
std::string forward_sender(const LocalFacts& facts, std::string_view dash,
                           const std::function<bool(std::string_view)>& exists);

}  // namespace qcell
