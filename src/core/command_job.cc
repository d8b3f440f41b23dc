// command_job.cc — the program delivery's frame (command_job.h): split
// with split_netstring_fields into a fixed array, then each field checked
// before it is copied.
#include "core/command_job.h"

#include <array>

#include "core/netstring.h"

namespace qcell {

namespace {

namespace bounds = command_job_limits;

bool valid_command(std::string_view command) noexcept {
  if (command.empty() || command.size() > bounds::command) return false;
  return command.find('\0') == std::string_view::npos && command.find('\n') == std::string_view::npos;
}

bool name_byte(char c, bool first) noexcept {
  return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

// The name of a valid "NAME=value", or an empty view.
std::string_view variable_name(std::string_view entry) noexcept {
  const std::size_t equals = entry.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals > bounds::name) return {};
  for (std::size_t i = 0; i < equals; ++i) {
    if (!name_byte(entry[i], i == 0)) return {};
  }
  const std::string_view value = entry.substr(equals + 1);
  if (value.size() > bounds::value || value.find('\0') != std::string_view::npos) return {};
  return entry.substr(0, equals);
}

// The checks of the parser and the encoder, in the parser's order.
template <class Entries>
Status<CommandJobError> check_job(std::string_view command, const Entries& entries, std::size_t count) {
  if (!valid_command(command)) return fail(CommandJobError::bad_command);
  if (count > bounds::variables) return fail(CommandJobError::too_many_variables);
  std::array<std::string_view, bounds::variables> names{};
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view name = variable_name(entries[i]);
    if (name.empty()) return fail(CommandJobError::bad_variable);
    for (std::size_t j = 0; j < i; ++j) {
      if (names[j] == name) return fail(CommandJobError::repeated_variable);
    }
    names[i] = name;
  }
  return {};
}

}  // namespace

std::string_view describe(CommandJobError error) noexcept {
  switch (error) {
    case CommandJobError::frame_too_large: return "the command frame is larger than its limit";
    case CommandJobError::bad_framing: return "the command frame is not one netstring of netstrings";
    case CommandJobError::missing_command: return "the command frame holds no command";
    case CommandJobError::bad_command: return "the command is empty, too long, or holds NUL or a newline";
    case CommandJobError::too_many_variables: return "the command frame holds more than 32 variables";
    case CommandJobError::bad_variable: return "a variable is not NAME=value with a valid name and value";
    case CommandJobError::repeated_variable: return "a variable is set twice";
  }
  return "unknown command frame error";
}

Result<CommandJob, CommandJobError> parse_command_job(std::span<const std::byte> frame) {
  if (frame.size() > limits::command_job) return fail(CommandJobError::frame_too_large);
  // The command, the variables, and one slot to tell "too many".
  std::array<std::string_view, 1 + bounds::variables + 1> fields{};
  auto count = split_netstring_fields(frame, limits::command_job, fields);
  if (!count) {
    return fail(count.error() == FieldsError::too_many_fields ? CommandJobError::too_many_variables
                                                               : CommandJobError::bad_framing);
  }
  if (*count == 0) return fail(CommandJobError::missing_command);
  const std::span<const std::string_view> entries = std::span<const std::string_view>(fields).subspan(1, *count - 1);
  if (auto checked = check_job(fields[0], entries, entries.size()); !checked) return fail(checked.error());
  CommandJob job;
  job.command = std::string(fields[0]);
  job.environment.assign(entries.begin(), entries.end());
  return job;
}

Result<std::string, CommandJobError> encode_command_job(const CommandJob& job) {
  if (auto checked = check_job(job.command, job.environment, job.environment.size()); !checked) {
    return fail(checked.error());
  }
  std::vector<std::string_view> fields;
  fields.reserve(1 + job.environment.size());
  fields.emplace_back(job.command);
  for (const std::string& entry : job.environment) fields.emplace_back(entry);
  std::string frame = encode_netstring_fields(fields);
  if (frame.size() > limits::command_job) return fail(CommandJobError::frame_too_large);
  return frame;
}

}  // namespace qcell
