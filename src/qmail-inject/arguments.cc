// arguments.cc — qmail-inject's command line, parsed like getopt("nNaAhHf:").
// The words come from the invoking user; nothing in them is trusted beyond
// being NUL-terminated strings.
#include <cstring>

#include "qmail-inject/inject.h"

namespace qcell::inject {

namespace {

Fatal usage_error(std::string problem) {
  problem += "; ";
  problem += usage_text;
  return Fatal{exit_permanent, std::move(problem)};
}

}  // namespace

Result<Arguments, Fatal> parse_arguments(std::span<const char* const> args) {
  Arguments arguments;
  std::size_t index = 0;
  for (; index < args.size(); ++index) {
    const std::string_view word = args[index] == nullptr ? std::string_view() : std::string_view(args[index]);
    if (word == "--") {
      ++index;
      break;
    }
    if (word.size() < 2 || word.front() != '-') break;
    for (std::size_t at = 1; at < word.size(); ++at) {
      switch (word[at]) {
        case 'n': arguments.print_only = true; break;
        case 'N': arguments.print_only = false; break;
        case 'a': arguments.source = RecipientSource::arguments; break;
        case 'A': arguments.source = RecipientSource::arguments_or_header; break;
        case 'h': arguments.source = RecipientSource::header; break;
        case 'H': arguments.source = RecipientSource::both; break;
        case 'f':
          if (at + 1 < word.size()) {
            arguments.sender = std::string(word.substr(at + 1));
          } else if (index + 1 < args.size() && args[index + 1] != nullptr) {
            arguments.sender = std::string(args[++index]);
          } else {
            return fail(usage_error("option -f needs a sender address"));
          }
          at = word.size();  // the rest of the word was the sender
          break;
        default: {
          std::string problem = "unknown option -";
          const auto letter = static_cast<unsigned char>(word[at]);
          if (letter > 32 && letter < 127) {
            problem += word[at];
          } else {
            problem += quote_for_message(word.substr(at, 1));
          }
          return fail(usage_error(std::move(problem)));
        }
      }
    }
  }
  for (; index < args.size(); ++index) {
    if (args[index] != nullptr) arguments.recipients.emplace_back(args[index]);
  }
  return arguments;
}

}  // namespace qcell::inject
