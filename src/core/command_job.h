// command_job.h — what qmail-local hands a program delivery's cell: the
// command of a "|command" line of a .qmail file and the environment
// qmail-command(8) gives it (core/qmail_command.h), as one frame in a
// sealed memory file (spawn-command's third descriptor,
// docs/broker-protocol.md). The qmail-command launcher parses it and execs
// /bin/sh -c COMMAND with exactly that environment.
//
// The frame: one netstring whose payload is netstrings, the command first,
// then one "NAME=value" per variable:
//
//   57:7:echo hi,12:SENDER=a@b.c,27:DTLINE=Delivered-To: x@y.z\n,,
//
// Hostile input: the frame is written by qmail-local, a cell that parses
// .qmail files and messages, and most values were chosen by the sender. The
// parser is pure and strict: the frame and every field are bounded before
// they are copied, the command is 1..65536 bytes without NUL or newline,
// names are [A-Z_][A-Z0-9_]* of at most 32 bytes, each at most once, and
// values hold no NUL (newlines are allowed: DTLINE ends in one). The encoder
// runs the same checks, so it never writes a frame the parser refuses.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/result.h"

namespace qcell {

namespace command_job_limits {
// The command: one .qmail line (limits::dot_qmail_file bounds the file).
inline constexpr std::size_t command = limits::dot_qmail_file;
// Variables: qmail-command(8) defines 18; room for a few more.
inline constexpr std::size_t variables = 32;
// A variable's name: SENDER, NEWSENDER, ...
inline constexpr std::size_t name = 32;
// A value: an address is at most limits::envelope_address; HOME a path.
inline constexpr std::size_t value = 4096;
}  // namespace command_job_limits

// The whole frame: limits::command_job, checked before anything is read.
static_assert(command_job_limits::command + command_job_limits::variables * (command_job_limits::name + 1 +
                                                                               command_job_limits::value + 16) +
                  64 <
              limits::command_job);

struct CommandJob {
  std::string command;                   // given to /bin/sh -c
  std::vector<std::string> environment;  // "NAME=value", in order
  bool operator==(const CommandJob&) const = default;
};

enum class CommandJobError : std::uint8_t {
  frame_too_large,       // more than limits::command_job bytes
  bad_framing,           // not one netstring of netstrings, or bytes after it
  missing_command,       // no field at all
  bad_command,           // empty, longer than 65536 bytes, or holds NUL or a newline
  too_many_variables,    // more than 32
  bad_variable,          // no '=', a bad name, or a value too long or holding NUL
  repeated_variable,     // a name twice
};

std::string_view describe(CommandJobError error) noexcept;

// Parses one whole frame.
Result<CommandJob, CommandJobError> parse_command_job(std::span<const std::byte> frame);

// The frame of a valid job; refuses an invalid one with the parser's error.
Result<std::string, CommandJobError> encode_command_job(const CommandJob& job);

}  // namespace qcell
