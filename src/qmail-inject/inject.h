// inject.h — qmail-inject's logic (qmail-inject.8, qmail-header.5): its
// arguments, environment and control files; rewriting a message's header
// (addresses completed with defaulthost, defaultdomain and plusdomain;
// Date:, Message-ID:, From: added; Bcc:, Return-Path: and Content-Length:
// removed); choosing the envelope; and sending the result to qmail-queue or
// to standard output.
//
// The message, the arguments and the environment come from a local user and
// are hostile to the extent that they may be malformed or huge; everything is
// bounded by InjectLimits. main.cc only gathers the inputs and opens what must
// be opened; nothing here reads a path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/limits.h"
#include "core/mail_header.h"
#include "core/queue_client.h"
#include "core/result.h"

namespace qcell::inject {

// qmail-inject's exit codes: 0 success, 100 permanent, 111 temporary.
inline constexpr int exit_permanent = 100;
inline constexpr int exit_temporary = 111;

// A failure, as qmail-inject reports it: "qmail-inject: fatal: <message>" on
// descriptor 2 and the exit code.
struct Fatal {
  int exit_code = exit_temporary;
  std::string message;
};

// --- arguments -----------------------------------------------------------------------

inline constexpr std::string_view usage_text = "usage: qmail-inject [-nNaAhH] [-fsender] [recipient ...]";

enum class RecipientSource {
  arguments_or_header,  // -A (default): the arguments if there are any, else the header
  arguments,            // -a
  header,               // -h: To, Cc, Bcc, Apparently-To (or their Resent- forms)
  both,                 // -H
};

struct Arguments {
  bool print_only = false;  // -n
  RecipientSource source = RecipientSource::arguments_or_header;
  std::optional<std::string> sender;  // -f, as given
  std::vector<std::string> recipients;
};

// Parses the arguments after the program name, as getopt would: options may
// be grouped ("-nH"), -f takes the rest of its word or the next word, "--"
// or the first word not starting with '-' ends the options.
Result<Arguments, Fatal> parse_arguments(std::span<const char* const> args);

// --- environment ---------------------------------------------------------------------

// The environment variables qmail-inject reads. A variable set to the empty
// string counts as unset (qmail took "" literally, which only produced
// addresses like "user@").
struct Environment {
  std::optional<std::string> qmailinject;
  std::optional<std::string> qmailuser, mailuser, user, logname;
  std::optional<std::string> qmailhost, mailhost;
  std::optional<std::string> qmailname, mailname, name;
  std::optional<std::string> qmailsuser, qmailshost;
  std::optional<std::string> qmaildefaultdomain, qmaildefaulthost, qmailplusdomain, qmailidhost;
  std::optional<std::string> qmailqueue;
  std::optional<std::string> qcell_root;
};

Environment read_environment(const std::function<const char*(const char*)>& lookup);

// The letters of $QMAILINJECT; other letters are ignored, as in qmail.
struct InjectFlags {
  bool name_comment = false;        // c: From: user@host (Name) instead of "Name" <user@host>
  bool ignore_return_path = false;  // s: delete Return-Path: without using it as the sender
  bool delete_from = false;         // f: delete incoming From: (a new one is added)
  bool delete_message_id = false;   // i: delete incoming Message-ID: (a new one is added)
  bool verp_per_recipient = false;  // r: sender gets "-@[]" so that qmail-send appends each recipient
  bool verp_per_message = false;    // m: sender's user gets "-<time>.<pid>"
};
InjectFlags parse_inject_flags(std::string_view letters) noexcept;

// Who the message is from, from the environment.
struct Identity {
  std::string user;                        // QMAILUSER, MAILUSER, USER, LOGNAME, else "anonymous"
  std::optional<std::string> host;         // QMAILHOST, MAILHOST; else defaulthost applies
  std::optional<std::string> name;         // QMAILNAME, MAILNAME, NAME
  std::string sender_user;                 // QMAILSUSER, else user
  std::optional<std::string> sender_host;  // QMAILSHOST, else host
  InjectFlags flags;
};
Identity identity_from(const Environment& environment);

// The qmail root: $QCELL_ROOT, else /var/qmail.
std::string root_directory(const Environment& environment);

// --- control files ----------------------------------------------------------------------

struct Settings {
  std::string defaulthost;    // added to addresses without a host
  std::string defaultdomain;  // added, after a dot, to hosts without a dot
  std::string plusdomain;     // replaces a host's trailing '+' (after a dot)
  std::string idhost;         // host part of generated Message-IDs
};

// Reads control/defaulthost, defaultdomain, plusdomain and idhost beneath
// `control_dir` through core/control.h's reader. $QMAILDEFAULTHOST,
// $QMAILDEFAULTDOMAIN, $QMAILPLUSDOMAIN and $QMAILIDHOST override the
// files; control/me fills in whatever is still missing, and is then required.
Result<Settings, Fatal> load_settings(const DirFd& control_dir, const Environment& environment);

// --- rewriting (pure) -----------------------------------------------------------------

// qmail-inject's address completion: an address without a host gets
// defaulthost; a host ending in '+' has the '+' replaced by "." plusdomain; a
// host without a dot (not a [literal]) gets "." defaultdomain. The null
// address and "user@[]" are left alone. (Source routes were dropped by the
// parser.)
void rewrite_mailbox(Mailbox& mailbox, const Settings& settings);

// Parses an address given as an argument (a recipient, or -f): taken
// literally, as qmail's quote2 does: the part after the last '@' is the host,
// everything before it the local part, a leading source route "@a,@b:" is
// dropped. "<address>" is unwrapped. With allow_null, "" and "<>" are the
// null address.
Result<Mailbox, AddressListError> parse_argument_address(std::string_view text, bool allow_null);

// The envelope addresses of the arguments, rewritten; Fatal 100 quoting the
// first one that does not parse.
Result<std::vector<std::string>, Fatal> recipients_from_arguments(const std::vector<std::string>& recipients,
                                                                  const Settings& settings);
Result<std::optional<std::string>, Fatal> sender_from_argument(const std::optional<std::string>& sender,
                                                               const Settings& settings);

// When a message is injected: for Date: and Message-ID:.
struct Moment {
  std::int64_t seconds = 0;  // since the epoch, UTC
  std::int64_t pid = 0;
};

// "23 Nov 2026 12:00:00 -0000": an RFC 5322 date in UTC (-0000: no local zone).
std::string format_date(std::int64_t seconds);

struct Prepared {
  std::string header;      // the header fields to send, each ending in LF
  QueueEnvelope envelope;  // sender and recipients
};

// Rewrites a parsed header section: the fields to send and the envelope.
// `argument_recipients` and `argument_sender` are the already rewritten
// results of recipients_from_arguments and sender_from_argument.
Result<Prepared, Fatal> prepare_message(const HeaderSection& section, RecipientSource source,
                                        const std::vector<std::string>& argument_recipients,
                                        const std::optional<std::string>& argument_sender, const Settings& settings,
                                        const Identity& identity, const Moment& moment);

// --- running --------------------------------------------------------------------------

struct InjectLimits {
  std::size_t header_section = limits::header_section;
  std::size_t header_field = limits::header_field;
  std::uint64_t message = limits::message_size_ceiling;
  std::size_t recipients = limits::queue_recipients;
};

// Where the message goes: qmail-queue, or standard output for -n.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual Status<Fatal> write(std::span<const std::byte> bytes) = 0;
  virtual Status<Fatal> finish(const QueueEnvelope& envelope) = 0;
  // Gives up without sending an envelope: nothing is queued.
  virtual void abandon() noexcept = 0;
};

class QueueSink final : public MessageSink {
 public:
  QueueSink(QueueClient& client, std::string program) noexcept : client_(client), program_(std::move(program)) {}
  Status<Fatal> write(std::span<const std::byte> bytes) override;
  Status<Fatal> finish(const QueueEnvelope& envelope) override;
  void abandon() noexcept override { client_.abort(); }

 private:
  QueueClient& client_;
  std::string program_;
};

class PrintSink final : public MessageSink {
 public:
  explicit PrintSink(int fd) noexcept : fd_(fd) {}
  Status<Fatal> write(std::span<const std::byte> bytes) override;
  Status<Fatal> finish(const QueueEnvelope& envelope) override;
  void abandon() noexcept override {}

 private:
  int fd_;
};

// The Fatal for a QueueClient that could not execute its program.
Fatal exec_failure(const std::string& program, int sys_errno);

struct Request {
  Arguments arguments;
  Settings settings;
  Identity identity;
  Moment moment;
  InjectLimits limits;
};

// Reads the message from `input_fd`, rewrites it, and sends it to `sink`:
// for -n, "Return-Path: <sender>" first. On failure the sink is abandoned.
Status<Fatal> inject(const Request& request, int input_fd, MessageSink& sink);

// Text quoted for an error message: in double quotes, printable ASCII as it
// is, '"' and '\' escaped, other bytes as \xHH; cut after `max` input bytes
// with "...".
std::string quote_for_message(std::string_view text, std::size_t max = 200);

}  // namespace qcell::inject
