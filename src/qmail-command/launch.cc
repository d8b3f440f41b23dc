// launch.cc — the launch plan of a program delivery (launch.h).
#include "qmail-command/launch.h"

#include <string_view>

namespace qcell::command {

Result<Launch, std::string> plan_launch(const CommandJob& job) {
  Launch launch;
  for (const std::string& entry : job.environment) {
    const std::string_view variable(entry);
    if (variable.substr(0, 5) == "PATH=") return fail(std::string("the job sets PATH"));
    if (variable.substr(0, 5) == "HOME=") launch.home = entry.substr(5);
  }
  if (launch.home.empty() || launch.home.front() != '/') return fail(std::string("the job has no absolute HOME"));
  launch.argv = {"sh", "-c", job.command};
  launch.environment = job.environment;
  launch.environment.emplace_back(program_path);
  return launch;
}

}  // namespace qcell::command
