// qmail_command.cc — environment, exit codes and forward sender of a
// program delivery (qmail_command.h).
#include "core/qmail_command.h"

#include "core/delivery_headers.h"
#include "core/delivery_rules.h"
#include "core/mbox.h"

namespace qcell {

namespace {

// What follows the n-th '-' of `ext` (EXT2 is after the first), "" without one.
std::string after_dashes(std::string_view ext, int n) {
  std::size_t at = 0;
  for (int i = 0; i < n; ++i) {
    const std::size_t dash = ext.find('-', at);
    if (dash == std::string_view::npos) return "";
    at = dash + 1;
  }
  return std::string(ext.substr(at));
}

// What precedes the n-th '.' from the right of `host` (HOST2 drops the last component).
std::string before_dots(std::string_view host, int n) {
  std::size_t end = host.size();
  for (int i = 0; i < n; ++i) {
    const std::size_t dot = host.substr(0, end).rfind('.');
    if (dot == std::string_view::npos) return "";
    end = dot;
  }
  return std::string(host.substr(0, end));
}

}  // namespace

std::vector<std::string> command_environment(const LocalFacts& facts, std::string_view newsender) {
  const std::string recipient = facts.local + "@" + facts.host;
  std::vector<std::string> environment = {
      "SENDER=" + facts.sender,
      "NEWSENDER=" + std::string(newsender),
      "RECIPIENT=" + recipient,
      "USER=" + facts.user,
      "HOME=" + facts.home,
      "HOST=" + facts.host,
      "HOST2=" + before_dots(facts.host, 1),
      "HOST3=" + before_dots(facts.host, 2),
      "HOST4=" + before_dots(facts.host, 3),
      "LOCAL=" + facts.local,
      "EXT=" + facts.ext,
      "EXT2=" + after_dashes(facts.ext, 1),
      "EXT3=" + after_dashes(facts.ext, 2),
      "EXT4=" + after_dashes(facts.ext, 3),
  };
  if (facts.default_part) environment.push_back("DEFAULT=" + *facts.default_part);
  // The lines as a mailbox delivery writes them, each with its newline.
  environment.push_back("DTLINE=" + delivered_to_line(recipient));
  environment.push_back("RPLINE=" + return_path_line(facts.sender));
  environment.push_back("UFLINE=" + mbox_from_line(facts.sender, facts.now));
  return environment;
}

CommandOutcome command_outcome(int exit_code) noexcept {
  switch (exit_code) {
    case 0: return CommandOutcome::delivered;
    case 99: return CommandOutcome::delivered_stop;
    case 100:
    case 64:
    case 65:
    case 70:
    case 76:
    case 77:
    case 78:
    case 112: return CommandOutcome::permanent;
    default: return CommandOutcome::temporary;  // 111, any other code, a signal (-1)
  }
}

std::string forward_sender(const LocalFacts& facts, std::string_view dash,
                           const std::function<bool(std::string_view)>& exists) {
  if (facts.sender.empty() || facts.sender == "#@[]") return facts.sender;
  const std::string owner = ".qmail" + std::string(dash) + safe_extension(facts.ext) + "-owner";
  if (!exists(owner)) return facts.sender;
  if (exists(owner + "-default")) return facts.local + "-owner-@" + facts.host + "-@[]";
  return facts.local + "-owner@" + facts.host;
}

}  // namespace qcell
