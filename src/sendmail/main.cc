// main.cc (sendmail) — the sendmail-compatible front end: translates the
// command line (translate.h), then runs qmail-inject's code in this process
// (src/qmail-inject/run.h), which confines it with policy/sendmail.policy
// before the message is read. For -bp and mailq it executes qmail-qread,
// looked for next to this executable first, then under the qmail root's
// bin/ ($QCELL_ROOT, else /var/qmail).
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "core/fd.h"
#include "qmail-inject/run.h"
#include "sendmail/translate.h"

namespace {

int die(std::string_view message, int exit_code) {
  std::string line = "sendmail: fatal: ";
  line += message;
  line += '\n';
  (void)qcell::write_full(2, line);
  return exit_code;
}

// `name` in the directory of this executable if it is there, else in <root>/bin.
std::string find_program(const char* name) {
  std::array<char, PATH_MAX> self{};
  const ssize_t length = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (length > 0) {
    std::string path(self.data(), static_cast<std::size_t>(length));
    const std::size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      path.resize(slash + 1);
      path += name;
      if (::access(path.c_str(), X_OK) == 0) return path;
    }
  }
  const char* root = ::getenv("QCELL_ROOT");
  std::string path = root != nullptr && *root != '\0' ? root : "/var/qmail";
  path += "/bin/";
  path += name;
  return path;
}

int run(const std::string& program, const std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  std::string argv0 = program;
  argv.push_back(argv0.data());
  std::vector<std::string> copies = arguments;
  for (std::string& argument : copies) argv.push_back(argument.data());
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
  return die("unable to run " + program + ": " + std::strerror(errno), 111);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qcell::sendmail;
  const std::string_view program_name = argc > 0 && argv[0] != nullptr ? argv[0] : "sendmail";
  auto plan = parse_command_line(
      program_name,
      std::span<const char* const>(argv + (argc > 0 ? 1 : 0), static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)));
  if (!plan) return die(plan.error().message, 100);
  switch (plan->mode) {
    case Mode::smtp: return die(smtp_refusal, 100);
    case Mode::newaliases: return die(newaliases_refusal, 100);
    case Mode::list_queue: return run(find_program("qmail-qread"), {});
    case Mode::inject: break;
  }
  if (plan->full_name && ::setenv("MAILNAME", plan->full_name->c_str(), 1) != 0) {
    return die("unable to set MAILNAME: " + std::string(std::strerror(errno)), 111);
  }
  const std::vector<std::string> arguments = inject_arguments(*plan);
  std::vector<const char*> args;
  for (const std::string& argument : arguments) args.push_back(argument.c_str());
  return qcell::inject::run_qmail_inject(args, "sendmail");
}
