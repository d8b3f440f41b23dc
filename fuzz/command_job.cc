// command_job.cc (fuzz) — parses hostile frames as a program delivery's
// command job (written by qmail-local, a cell that parses .qmail files and
// mail, read by the qmail-command launcher), and traps when a parsed job
// does not re-encode to exactly the same bytes, or holds what the parser
// promises to refuse.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/command_job.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto frame = std::as_bytes(std::span(data, size));
  auto job = qcell::parse_command_job(frame);
  if (!job) return 0;
  require(!job->command.empty() && job->command.find('\n') == std::string::npos &&
          job->command.find('\0') == std::string::npos);
  require(job->environment.size() <= qcell::command_job_limits::variables);
  for (const auto& entry : job->environment) require(entry.find('=') != std::string::npos);
  auto again = qcell::encode_command_job(*job);
  require(again.ok());
  require(std::string_view(*again) == std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
