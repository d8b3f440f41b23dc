// local_delivery.cc — qmail-local's delivery (local_delivery.h), in
// qmail-local.c's order: home checks, loop check, .qmail search, the
// forwards' sender, the instructions top to bottom, the forwards at the end.
#include "qmail-local/local_delivery.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "core/byte_buffer.h"
#include "core/delivery_headers.h"
#include "core/delivery_rules.h"
#include "core/limits.h"
#include "core/log_line.h"
#include "core/maildir.h"
#include "core/mbox.h"
#include "core/qmail_command.h"

namespace qcell::local {

namespace {

// qmail's conf-patrn: a home or .qmail file writable by others is refused.
constexpr mode_t writable_by_others = 0002;

std::string reason(int sys_errno) { return ::strerror(sys_errno); }

DeliveryFailure temporary(std::string text) { return {Outcome::temporary, std::move(text)}; }
DeliveryFailure permanent(std::string text) { return {Outcome::permanent, std::move(text)}; }

// --- the environment ---------------------------------------------------------

struct Variable {
  const char* name;
  std::string DeliveryRequest::*field;
  bool may_be_empty;
};

constexpr Variable variables[] = {
    {"QCELL_USER", &DeliveryRequest::user, false},
    {"QCELL_HOME", &DeliveryRequest::home, false},
    {"QCELL_LOCAL", &DeliveryRequest::local, false},
    {"QCELL_DASH", &DeliveryRequest::dash, true},
    {"QCELL_EXT", &DeliveryRequest::ext, true},
    {"QCELL_HOST", &DeliveryRequest::host, false},
    {"QCELL_SENDER", &DeliveryRequest::sender, true},
    {"QCELL_DEFAULT_DELIVERY", &DeliveryRequest::default_delivery, false},
    {"QCELL_HOSTNAME", &DeliveryRequest::hostname, false},
};

// --- the .qmail file -----------------------------------------------------------

struct FoundDotQmail {
  DotQmailCandidate candidate;
  UniqueFd file;
  bool executable = false;
};

// qmail-local's qmeexists for each candidate: the first regular file wins;
// one that does not exist (or is not a regular file) is skipped; one that
// cannot be opened for another reason is a temporary failure, as qmail's
// EACCES, EPERM and temporary errors are. A symlink is refused, where qmail
// followed it (docs/delivery.md).
Result<std::optional<FoundDotQmail>, DeliveryFailure> search_dot_qmail(const DirFd& home, std::string_view dash,
                                                                        std::string_view ext) {
  for (DotQmailCandidate& candidate : dot_qmail_candidates(dash, ext)) {
    // O_NONBLOCK: a FIFO by that name must not hold the delivery.
    auto file = open_beneath(home, candidate.name, O_RDONLY | O_NONBLOCK);
    if (!file) {
      const int error = file.error();
      if (error == ENOENT || error == ENOTDIR || error == ENAMETOOLONG) continue;
      if (error == ELOOP) {
        return fail(temporary("Unable to open " + candidate.name +
                              ": it is a symbolic link, and qcell follows none in the home directory. (#4.3.0)"));
      }
      return fail(temporary("Unable to open " + candidate.name + ": " + reason(error) + ". (#4.3.0)"));
    }
    struct stat st {};
    if (::fstat(file->get(), &st) != 0) {
      return fail(temporary("Unable to open " + candidate.name + ": " + reason(errno) + ". (#4.3.0)"));
    }
    if (!S_ISREG(st.st_mode)) continue;
    if ((st.st_mode & writable_by_others) != 0) return fail(temporary("Uh-oh: .qmail file is writable. (#4.7.0)"));
    return std::optional<FoundDotQmail>(
        FoundDotQmail{std::move(candidate), std::move(file.value()), (st.st_mode & S_IXUSR) != 0});
  }
  return std::optional<FoundDotQmail>();
}

Result<std::string, DeliveryFailure> read_dot_qmail(const FoundDotQmail& found) {
  // One byte more than the parser takes, so that it can refuse a larger file.
  std::string text(limits::dot_qmail_file + 1, '\0');
  auto got = read_full(found.file.get(), std::as_writable_bytes(std::span<char>(text)));
  if (!got) {
    return fail(temporary("Unable to read " + found.candidate.name + ": " + reason(got.error().sys_errno) +
                          ". (#4.3.0)"));
  }
  text.resize(*got);
  return text;
}

// --- paths in instructions --------------------------------------------------------

// The path beneath the home directory that a .qmail line names: "./x" and
// "x" as they are; an absolute path only when it lies beneath the home
// (its rest). Anything else, and a ".." component, cannot be reached in
// the cell (docs/delivery.md).
Result<std::string, DeliveryFailure> path_beneath_home(std::string_view target, std::string_view home) {
  std::string_view relative = target;
  if (!target.empty() && target.front() == '/') {
    std::string prefix(home);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    prefix += '/';
    if (target.substr(0, prefix.size()) != prefix || target.size() == prefix.size()) relative = std::string_view();
    else relative = target.substr(prefix.size());
  }
  bool escapes = relative.empty();
  for (std::size_t start = 0; !escapes && start <= relative.size();) {
    std::size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    if (relative.substr(start, end - start) == "..") escapes = true;
    start = end + 1;
  }
  if (escapes) {
    return fail(temporary("Unable to deliver to " + std::string(target) +
                          ": only paths beneath the home directory can be delivered to in qcell. (#4.3.0)"));
  }
  return std::string(relative);
}

// --- the report and the log ------------------------------------------------------------

std::string counts(const DeliveryResult& result) {
  return std::to_string(result.files) + "+" + std::to_string(result.forwards) + "+" + std::to_string(result.programs);
}

DeliveryResult failed(DeliveryResult result, const DeliveryRequest& request, const DeliveryFailure& failure) {
  result.outcome = failure.outcome;
  result.report = failure.text;
  result.log = "failed recipient=" + log_value(request.local + "@" + request.host, 300) +
               " status=" + (failure.outcome == Outcome::permanent ? "permanent" : "temporary") +
               " reason=" + log_value(failure.text, 400);
  return result;
}

struct timespec real_now() {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

}  // namespace

Result<DeliveryRequest, std::string> request_from_environment(
    const std::function<const char*(const char*)>& lookup) {
  const char* cell = lookup("QCELL_CELL");
  if (cell == nullptr || std::string_view(cell) != "qmail-local") {
    return fail(std::string("QCELL_CELL is not qmail-local"));
  }
  DeliveryRequest request;
  for (const Variable& variable : variables) {
    const char* value = lookup(variable.name);
    if (value == nullptr) return fail(std::string(variable.name) + " is not set");
    if (*value == '\0' && !variable.may_be_empty) return fail(std::string(variable.name) + " is empty");
    request.*(variable.field) = value;
  }
  if (request.home.front() != '/') return fail(std::string("QCELL_HOME is not an absolute path"));
  if (!request.dash.empty() && request.dash != "-") return fail(std::string("QCELL_DASH is neither empty nor -"));
  return request;
}

int exit_code(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::delivered: return 0;
    case Outcome::permanent: return 100;
    case Outcome::temporary: return 111;
  }
  return 111;
}

Status<DeliveryFailure> deliver_to_program(const DotQmailInstruction& instruction,
                                           std::vector<std::string> environment, int message_fd,
                                           ProgramRunner* runner, std::string& output, bool& stop) {
  stop = false;
  if (runner == nullptr) return fail(temporary("Unable to run programs: no program runner. (#4.3.0)"));
  // The program reads the message from its start on its stdin, which
  // shares this descriptor's offset (qmail-local itself reads with pread).
  if (::lseek(message_fd, 0, SEEK_SET) != 0) {
    return fail(temporary("Unable to rewind message: " + reason(errno) + ". (#4.3.0)"));
  }
  const ProgramRun run = runner->run(CommandJob{instruction.target, std::move(environment)}, message_fd);
  if (!run.ran) {
    return fail(DeliveryFailure{run.temporary_problem ? Outcome::temporary : Outcome::permanent, run.problem});
  }
  const CommandOutcome outcome = command_outcome(run.signalled ? -1 : run.number);
  if (outcome == CommandOutcome::delivered || outcome == CommandOutcome::delivered_stop) {
    output += run.output;
    stop = outcome == CommandOutcome::delivered_stop;
    return {};
  }
  // The program's own words are the report; qmail-local says nothing more
  // when there are some. Without any, qcell says how it ended.
  std::string text = output + run.output;
  if (run.output.empty()) {
    if (run.signalled) {
      text += "Program was killed by signal " + std::to_string(run.number) + ". (#4.3.0)";
    } else if (outcome == CommandOutcome::permanent) {
      text += "Program failed permanently with exit code " + std::to_string(run.number) + ". (#5.0.0)";
    } else {
      text += "Program failed temporarily with exit code " + std::to_string(run.number) + ". (#4.3.0)";
    }
  }
  return fail(DeliveryFailure{outcome == CommandOutcome::permanent ? Outcome::permanent : Outcome::temporary,
                              std::move(text)});
}

std::string bounded_report(std::string_view report) {
  if (report.size() <= report_limit) return std::string(report);
  constexpr std::string_view cut = "\nError report too long, sorry.\n";
  return std::string(report.substr(0, report_limit - cut.size())) + std::string(cut);
}

DeliveryResult deliver(const DeliveryRequest& request, const DirFd& home, int message_fd, Forwarder& forwarder,
                       const DeliveryOptions& options) {
  DeliveryResult result;
  const std::string recipient = request.local + "@" + request.host;
  const std::string dtline = delivered_to_line(recipient);
  const std::string rpline = return_path_line(request.sender);

  // The home directory (qmail's checkhome).
  struct stat st {};
  if (::fstat(home.get(), &st) != 0) {
    return failed(result, request, temporary("Unable to stat home directory: " + reason(errno) + ". (#4.3.0)"));
  }
  if ((st.st_mode & writable_by_others) != 0) {
    return failed(result, request, temporary("Uh-oh: home directory is writable. (#4.7.0)"));
  }
  if ((st.st_mode & S_ISVTX) != 0) {
    return failed(result, request,
                  temporary("Home directory is sticky: user is editing his .qmail file. (#4.2.1)"));
  }

  // The loop check (qmail's bouncexf), before anything is looked up.
  auto looping = header_has_line(message_fd, dtline);
  if (!looping) {
    return failed(result, request,
                  temporary("Unable to read message: " + reason(looping.error().sys_errno) + ". (#4.3.0)"));
  }
  if (*looping) {
    return failed(result, request,
                  permanent("This message is looping: it already has my Delivered-To line. (#5.4.6)"));
  }

  // Which .qmail file.
  auto found = search_dot_qmail(home, request.dash, request.ext);
  if (!found) return failed(result, request, found.error());
  if (!found->has_value() && !request.dash.empty()) {
    return failed(result, request, permanent("Sorry, no mailbox here by that name. (#5.1.1)"));
  }

  LocalFacts facts;
  facts.sender = request.sender;
  facts.local = request.local;
  facts.host = request.host;
  facts.user = request.user;
  facts.home = request.home;
  facts.ext = request.ext;
  const struct timespec now = options.now ? options.now() : real_now();
  facts.now = now.tv_sec;
  if (found->has_value() && (*found)->candidate.has_default) facts.default_part = (*found)->candidate.default_part;
  result.default_part = facts.default_part;
  const std::string newsender = forward_sender(facts, request.dash, [&home](std::string_view name) {
    // qmail's qmeox: does the file exist (of any kind)?
    return static_cast<bool>(open_beneath(home, name, O_PATH));
  });

  // Its instructions: the file's, or the default delivery for a missing
  // .qmail (empty dash) or a 0-byte one.
  std::string text;
  bool executable = false;
  if (found->has_value()) {
    auto read = read_dot_qmail(**found);
    if (!read) return failed(result, request, read.error());
    text = std::move(read.value());
    executable = (*found)->executable;
    if (!text.empty()) result.dot_qmail = (*found)->candidate.name;
  }
  if (text.empty()) {
    text = request.default_delivery;
    executable = false;
  }
  auto dot_qmail = parse_dot_qmail(as_bytes(std::string_view(text)), executable);
  if (!dot_qmail) return failed(result, request, temporary(describe(dot_qmail.error())));

  MaildirUnique unique;
  unique.seconds = now.tv_sec;
  unique.microseconds = now.tv_nsec / 1000;
  unique.pid = options.pid != 0 ? options.pid : ::getpid();
  unique.host = request.hostname;
  MboxOptions mbox;
  mbox.lock_wait = options.mbox_lock_wait;
  mbox.now = now.tv_sec;
  const std::string prefix = rpline + dtline;

  std::vector<std::string> recipients;
  std::string program_output;  // programs' output, before the report (qmail-local passes it on)
  bool stop = false;           // a program exited 99: the later lines are skipped
  for (const DotQmailInstruction& instruction : dot_qmail->instructions) {
    if (stop) break;
    switch (instruction.kind) {
      case DotQmailKind::maildir: {
        ++result.files;
        auto path = path_beneath_home(instruction.target, request.home);
        if (!path) return failed(result, request, path.error());
        auto maildir = open_directory_beneath(home, *path);
        if (!maildir) {
          return failed(result, request, temporary(describe(MaildirError{MaildirErrc::no_maildir, maildir.error()})));
        }
        auto name = deliver_to_maildir(*maildir, prefix, message_fd, unique);
        if (!name) return failed(result, request, temporary(describe(name.error())));
        ++unique.sequence;
        break;
      }
      case DotQmailKind::mbox: {
        ++result.files;
        auto path = path_beneath_home(instruction.target, request.home);
        if (!path) return failed(result, request, path.error());
        auto delivered = deliver_to_mbox(home, *path, request.sender, prefix, message_fd, mbox);
        if (!delivered) return failed(result, request, temporary(describe(delivered.error(), instruction.target)));
        break;
      }
      case DotQmailKind::program: {
        ++result.programs;
        auto ran = deliver_to_program(instruction, command_environment(facts, newsender), message_fd,
                                      options.programs, program_output, stop);
        if (!ran) return failed(result, request, ran.error());
        break;
      }
      case DotQmailKind::forward:
        ++result.forwards;
        recipients.push_back(instruction.target);
        break;
    }
  }

  // The forwards, all in one injection: the new Delivered-To line only.
  std::string queued_id;
  if (!recipients.empty()) {
    ForwardOutcome forwarded = forwarder.forward(dtline, message_fd, QueueEnvelope{newsender, recipients});
    if (forwarded.kind != ForwardOutcome::Kind::queued) {
      const Outcome outcome =
          forwarded.kind == ForwardOutcome::Kind::permanent ? Outcome::permanent : Outcome::temporary;
      return failed(result, request, {outcome, "Unable to forward message: " + forwarded.text});
    }
    queued_id = forwarded.id;
  }

  result.outcome = Outcome::delivered;
  result.report = program_output + "did " + counts(result) + "\n";
  if (!queued_id.empty()) result.report += "qp " + queued_id + "\n";
  result.log = "delivered recipient=" + log_value(recipient, 300) +
               " dot_qmail=" + (result.dot_qmail.empty() ? std::string("default") : log_value(result.dot_qmail, 300)) +
               " did=" + counts(result);
  if (!queued_id.empty()) result.log += " qp=" + log_value(queued_id, 40);
  return result;
}

}  // namespace qcell::local
