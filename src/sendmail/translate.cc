// translate.cc — sendmail's options, read like getopt would, and their
// translation into a qmail-inject command line.
#include "sendmail/translate.h"

namespace qcell::sendmail {

namespace {

UsageError usage_error(std::string problem) {
  problem += "\nsendmail: ";
  problem += usage_text;
  return UsageError{std::move(problem)};
}

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The option letter for a message: printable, or its code.
std::string letter_text(char letter) {
  const auto byte = static_cast<unsigned char>(letter);
  if (byte > 32 && byte < 127) return std::string(1, letter);
  constexpr std::string_view digits = "0123456789abcdef";
  std::string text = "\\x";
  text += digits[byte >> 4U];
  text += digits[byte & 15U];
  return text;
}

}  // namespace

Result<Plan, UsageError> parse_command_line(std::string_view program_name, std::span<const char* const> args) {
  Plan plan;
  std::size_t index = 0;
  for (; index < args.size(); ++index) {
    const std::string_view word = args[index] == nullptr ? std::string_view() : std::string_view(args[index]);
    if (word == "--") {
      ++index;
      break;
    }
    if (word.size() < 2 || word.front() != '-') break;
    for (std::size_t at = 1; at < word.size(); ++at) {
      const char letter = word[at];
      switch (letter) {
        case 't': plan.recipients_from_header = true; continue;
        case 'v':
        case 'i':
        case 'm':
        case 'x': continue;  // verbose, ignore dots, me too, SVR4: qmail has no use for them
        case 'E':
        case 'J': at = word.size(); continue;  // optional argument in the same word, ignored
        case 'e':
        case 'f':
        case 'p':
        case 'o':
        case 'B':
        case 'F':
        case 'b': break;  // these take an argument
        default: return fail(usage_error("unknown option -" + letter_text(letter)));
      }
      std::string value;
      if (at + 1 < word.size()) {
        value = std::string(word.substr(at + 1));
      } else if (index + 1 < args.size() && args[index + 1] != nullptr) {
        value = args[++index];
      } else {
        return fail(usage_error("option -" + letter_text(letter) + " needs an argument"));
      }
      at = word.size();
      switch (letter) {
        case 'f': plan.sender = std::move(value); break;
        case 'F': plan.full_name = std::move(value); break;
        case 'b':
          if (value == "m") {
            plan.mode = Mode::inject;
          } else if (value == "p") {
            plan.mode = Mode::list_queue;
          } else if (value == "s") {
            plan.mode = Mode::smtp;
          } else {
            return fail(usage_error("unsupported mode -b" + value));
          }
          break;
        default: break;  // -e, -p, -o, -B: qmail has one error mode, one delivery mode
      }
    }
  }
  for (; index < args.size(); ++index) {
    if (args[index] != nullptr) plan.recipients.emplace_back(args[index]);
  }
  const std::string_view name = base_name(program_name);
  if (name == "mailq") plan.mode = Mode::list_queue;
  if (name == "newaliases") plan.mode = Mode::newaliases;
  return plan;
}

std::vector<std::string> inject_arguments(const Plan& plan) {
  std::vector<std::string> arguments;
  arguments.reserve(plan.recipients.size() + 4);
  arguments.emplace_back(plan.recipients_from_header ? "-H" : "-a");
  if (plan.sender) {
    arguments.emplace_back("-f");
    arguments.push_back(*plan.sender);
  }
  arguments.emplace_back("--");
  arguments.insert(arguments.end(), plan.recipients.begin(), plan.recipients.end());
  return arguments;
}

}  // namespace qcell::sendmail
