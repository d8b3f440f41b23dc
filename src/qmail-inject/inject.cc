// inject.cc — reading the message, and sending it on: the header section is
// read into a bounded buffer and rewritten; the body is passed through in
// chunks, counted against the message limit, never held whole in memory.
// The input is hostile; its size is checked as it is read.
#include "qmail-inject/inject.h"

#include <errno.h>

#include <cstring>

#include "core/byte_buffer.h"
#include "core/size_math.h"

namespace qcell::inject {

namespace {

constexpr std::string_view newline = "\n";

std::string errno_text(int sys_errno) { return std::strerror(sys_errno); }

Fatal too_big(std::uint64_t limit) {
  return Fatal{exit_permanent, "message is too big (more than " + std::to_string(limit) + " bytes)"};
}

// Checks the envelope qmail-queue will get: bounded, and only addresses an
// envelope can carry (no control bytes, shorter than limits::envelope_address).
Status<Fatal> check_envelope(const QueueEnvelope& envelope, const InjectLimits& limits) {
  const auto check_address = [](const std::string& address, std::string_view what) -> Status<Fatal> {
    if (address.size() >= limits::envelope_address) {
      return fail(Fatal{exit_permanent, std::string(what) + " address too long (" + std::to_string(address.size()) +
                                            " bytes; the limit is " + std::to_string(limits::envelope_address - 1) +
                                            "): " + quote_for_message(address, 60)});
    }
    for (char c : address) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 32 || byte == 127) {
        return fail(Fatal{exit_permanent,
                          std::string(what) + " address contains a control character: " + quote_for_message(address)});
      }
    }
    return {};
  };
  if (auto checked = check_address(envelope.sender, "sender"); !checked) return checked;
  if (envelope.recipients.empty()) return fail(Fatal{exit_permanent, "no recipients"});
  if (envelope.recipients.size() > limits.recipients) {
    return fail(Fatal{exit_permanent, "too many recipients (" + std::to_string(envelope.recipients.size()) +
                                          "; the limit is " + std::to_string(limits.recipients) + ")"});
  }
  for (const std::string& recipient : envelope.recipients) {
    if (recipient.empty()) return fail(Fatal{exit_permanent, "empty recipient address"});
    if (auto checked = check_address(recipient, "recipient"); !checked) return checked;
  }
  return {};
}

// Reads until the header section has ended (or the input has), keeping at
// most limits.header_section bytes plus one chunk. `eof` tells whether the
// whole input is in `buffer`.
Result<HeaderSection, Fatal> read_header_section(int input_fd, const InjectLimits& limits, ByteBuffer& buffer,
                                                 bool& eof) {
  HeaderOptions options;
  options.section = limits.header_section;
  options.field = limits.header_field;
  options.mbox_from_line = true;
  for (;;) {
    if (auto room = buffer.reserve_more(limits::read_chunk); !room) {
      return fail(Fatal{exit_temporary, "unable to read the message: " + std::string(describe(room.error()))});
    }
    std::span<std::byte> spare = buffer.spare();
    if (spare.size() > limits::read_chunk) spare = spare.first(limits::read_chunk);
    auto got = read_full(input_fd, spare);
    if (!got) return fail(Fatal{exit_temporary, "unable to read the message: " + errno_text(got.error().sys_errno)});
    buffer.commit(*got);
    eof = *got < spare.size();
    if (buffer.size() > limits.message) return fail(too_big(limits.message));

    // Unless the input has ended, parse only whole lines: a partial line
    // could still become a header field. Past the section limit, everything.
    std::span<const std::byte> view = buffer.bytes();
    if (!eof && view.size() <= limits.header_section) {
      const std::size_t last_newline = buffer.view().rfind('\n');
      view = view.first(last_newline == std::string_view::npos ? 0 : last_newline + 1);
    }
    auto section = parse_header_section(view, options);
    if (!section) {
      return fail(
          Fatal{exit_permanent,
                section.error() == HeaderError::section_too_large
                    ? "header section is too large (more than " + std::to_string(limits.header_section) + " bytes)"
                    : "a header field is too long (more than " + std::to_string(limits.header_field) + " bytes)"});
    }
    if (section->end != HeaderEnd::end_of_input || eof) return std::move(section.value());
  }
}

}  // namespace

Fatal exec_failure(const std::string& program, int sys_errno) {
  return Fatal{exit_temporary, "unable to run " + program + ": " + errno_text(sys_errno) + " (#4.3.0)"};
}

Status<Fatal> QueueSink::write(std::span<const std::byte> bytes) {
  auto written = client_.write(bytes);
  if (!written)
    return fail(Fatal{exit_temporary, "unable to write to qmail-queue: " + errno_text(written.error().sys_errno)});
  return {};
}

Status<Fatal> QueueSink::finish(const QueueEnvelope& envelope) {
  auto outcome = client_.finish(envelope);
  if (!outcome) return fail(Fatal{exit_temporary, describe(outcome.error())});
  if (outcome->kind == QueueOutcome::Kind::exec_failed) return fail(exec_failure(program_, outcome->exec_errno));
  const QueueVerdict verdict = judge(*outcome);
  if (verdict.ok) return {};
  return fail(Fatal{verdict.permanent ? exit_permanent : exit_temporary, std::string(verdict.reply)});
}

Status<Fatal> PrintSink::write(std::span<const std::byte> bytes) {
  auto written = write_full(fd_, bytes);
  if (!written) return fail(Fatal{exit_temporary, "unable to write output: " + errno_text(written.error().sys_errno)});
  return {};
}

Status<Fatal> PrintSink::finish(const QueueEnvelope&) { return {}; }

Status<Fatal> inject(const Request& request, int input_fd, MessageSink& sink) {
  const auto give_up = [&sink](Fatal fatal) -> Status<Fatal> {
    sink.abandon();
    return fail(std::move(fatal));
  };
  const InjectLimits& limits = request.limits;
  // Arguments are checked before any input is read.
  auto recipients = recipients_from_arguments(
      request.arguments.source == RecipientSource::header ? std::vector<std::string>{} : request.arguments.recipients,
      request.settings);
  if (!recipients) return give_up(recipients.error());
  if (recipients->size() > limits.recipients) {
    return give_up(Fatal{exit_permanent, "too many recipients (" + std::to_string(recipients->size()) +
                                             "; the limit is " + std::to_string(limits.recipients) + ")"});
  }
  auto sender = sender_from_argument(request.arguments.sender, request.settings);
  if (!sender) return give_up(sender.error());

  ByteBuffer buffer(size_add(limits.header_section, limits::read_chunk).value_or(limits.header_section));
  bool eof = false;
  auto section = read_header_section(input_fd, limits, buffer, eof);
  if (!section) return give_up(section.error());

  auto prepared = prepare_message(*section, request.arguments.source, *recipients, *sender, request.settings,
                                  request.identity, request.moment);
  if (!prepared) return give_up(prepared.error());
  if (!request.arguments.print_only) {
    if (auto checked = check_envelope(prepared->envelope, limits); !checked) return give_up(checked.error());
  }

  if (request.arguments.print_only) {
    const std::string return_path = "Return-Path: <" + prepared->envelope.sender + ">\n";
    if (auto written = sink.write(as_bytes(return_path)); !written) return give_up(written.error());
  }
  if (auto written = sink.write(as_bytes(prepared->header)); !written) return give_up(written.error());

  // The body: a blank line first (qmail-inject writes one when a body line
  // ended the header section, too), then the rest of the input as it is.
  if (section->end != HeaderEnd::end_of_input) {
    if (auto written = sink.write(as_bytes(newline)); !written) return give_up(written.error());
  }
  std::uint64_t total = buffer.size();
  char last = '\n';
  std::span<const std::byte> pending = buffer.bytes().subspan(section->body_offset);
  for (;;) {
    if (!pending.empty()) {
      last = static_cast<char>(pending.back());
      if (auto written = sink.write(pending); !written) return give_up(written.error());
    }
    if (eof) break;
    buffer.clear();
    if (auto room = buffer.reserve_more(limits::read_chunk); !room) {
      return give_up(Fatal{exit_temporary, "unable to read the message: " + std::string(describe(room.error()))});
    }
    std::span<std::byte> spare = buffer.spare().first(limits::read_chunk);
    auto got = read_full(input_fd, spare);
    if (!got) return give_up(Fatal{exit_temporary, "unable to read the message: " + errno_text(got.error().sys_errno)});
    buffer.commit(*got);
    eof = *got < spare.size();
    total = count_add_saturating(total, *got);
    if (total > limits.message) return give_up(too_big(limits.message));
    pending = buffer.bytes();
  }
  // A last line without LF gets one, as qmail-inject does.
  if (last != '\n') {
    if (auto written = sink.write(as_bytes(newline)); !written) return give_up(written.error());
  }
  return sink.finish(prepared->envelope);
}

}  // namespace qcell::inject
