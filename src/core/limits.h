// limits.h — every size limit of qcell, in one place, each with its reason.
//
// Nothing in here is read from input. A program may lower a limit from its
// configuration (e.g. databytes) but never raise one past the ceiling here.
// docs/limits.md is checked against this table by tests/unit/limits_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace qcell::limits {

// --- SMTP (RFC 5321 section 4.5.3) ----------------------------------------

// Longest SMTP command line we read, CRLF included. RFC 5321 sets 512 octets
// and lets each extension add to it; SIZE=, BODY=, SMTPUTF8 and an AUTH=
// parameter fit well inside 2048 (Postfix uses the same bound).
inline constexpr std::size_t smtp_command_line = 2048;

// Longest AUTH command or SASL continuation line: RFC 4954 section 4 raises
// the command line limit to 12288 octets for the initial response.
inline constexpr std::size_t smtp_auth_line = 12288;


// Local part of an address: RFC 5321 section 4.5.3.1.1.
inline constexpr std::size_t local_part = 64;

// Domain of an address: RFC 5321 section 4.5.3.1.2.
inline constexpr std::size_t domain = 255;

// One label of a domain: RFC 1035 section 2.3.4.
inline constexpr std::size_t domain_label = 63;

// A whole reverse- or forward-path, punctuation included: RFC 5321 section
// 4.5.3.1.3.
inline constexpr std::size_t path = 256;

// Recipients accepted for one message. RFC 5321 section 4.5.3.1.8 requires
// at least 100; 1000 matches Postfix and bounds the envelope in memory
// (qmail had no bound: CVE-2005-1515).
inline constexpr std::size_t recipients_per_message = 1000;

// SMTP protocol errors tolerated on one connection before we disconnect, so
// that garbage cannot keep a cell busy forever.
inline constexpr std::size_t smtp_errors_per_connection = 10;

// Failed AUTH attempts on one connection before we disconnect: each costs
// an argon2id verification (about 64 MiB and 0.1 s), and a password guesser
// must reconnect (and meet the broker's per-IP limit) after three.
inline constexpr std::size_t smtp_auth_failures = 3;

// --- messages ----------------------------------------------------------------

// Message size when control/databytes is absent or 0. qmail's default was
// "no limit", which lets one client fill the disk; 32 MiB carries any
// legitimate attachment that mail can carry after base64 growth.
inline constexpr std::uint64_t message_size_default = 32ULL * 1024 * 1024;

// Ceiling for databytes: no configuration may raise the message size past
// 1 GiB. It keeps every offset inside 31 bits even for external tools that
// still use int, and bounds the disk one message can take.
inline constexpr std::uint64_t message_size_ceiling = 1ULL << 30;

// Total size of a message's header section that programs parsing headers
// (qmail-inject, qmail-local's Delivered-To scan) hold in memory. Generous
// for long DKIM and ARC chains, small enough for a cell's address space.
inline constexpr std::size_t header_section = 256 * 1024;

// One header field (with its continuation lines) that a header parser keeps.
inline constexpr std::size_t header_field = 64 * 1024;

// Received: and Delivered-To: fields after which a message is considered
// looping; the value qmail uses (MAXHOPS 100).
inline constexpr std::size_t hop_count = 100;

// --- queue ------------------------------------------------------------------

// One address in a qmail-queue envelope. qmail-queue refuses addresses of
// 1000 bytes or more with exit code 11 (its ADDR buffer is 1003 bytes).
inline constexpr std::size_t envelope_address = 1000;

// Recipients in one qmail-queue envelope. Above SMTP's per-message limit,
// because local injectors (mailing list managers) send to many at once;
// bounds the envelope and the todo/local/remote files at about 10 MB.
inline constexpr std::size_t queue_recipients = 10000;

// A queue record file (todo, intd, info, local, remote) that a tool reads
// into memory: every recipient at its longest, with room to spare.
inline constexpr std::size_t queue_record_file = 16 * 1024 * 1024;

// What qmail-queue accepts beyond databytes: the Received: and other
// header fields that programs between the client and the queue add.
inline constexpr std::uint64_t queue_header_allowance = 64 * 1024;

// Injections one qmail-queue cell holds at once (each holds two pipes and
// two files). Past that in every cell, the broker refuses as busy (a
// temporary failure).
inline constexpr std::size_t queue_jobs_in_flight = 64;

// qmail-queue cells the broker runs side by side. Each injection goes to
// the busiest cell below queue_jobs_in_flight, so that one cell's batches
// (and group commits) are as large as the load allows; the second takes
// over when the first is full or is being restarted (measured: bench/inject).
inline constexpr std::size_t queue_cells = 2;

// Children one zygote forks before it retires (docs/cells.md, "Connection
// cells are forked"). Forked cells share their zygote's address-space
// layout; a fresh zygote, with a layout of its own, takes over after this
// many, and the retired one ends when its last child has. Each kind has
// two zygotes: one forks while the other stands by.
inline constexpr std::size_t zygote_children = 1000;

// Delivery cells of one kind (qmail-local, qmail-remote) the broker runs at
// once, whatever qmail-send asks: qmail's conf-spawn, the most
// concurrencylocal and concurrencyremote could give a spawner. Past it a
// spawn request is refused as busy (temporary).
inline constexpr std::size_t delivery_cells = 120;

// Program deliveries (qmail-command cells, one per "|command" line being
// run) at once. Each runs for one qmail-local, which waits for it, so this
// is never more than delivery_cells; past it spawn-command is refused as
// busy (temporary: qmail-send retries the delivery).
inline constexpr std::size_t command_cells = delivery_cells;

// The frame a program delivery's cell is given (core/command_job.h): a
// .qmail line (dot_qmail_file) and qmail-command(8)'s variables.
inline constexpr std::size_t command_job = 256 * 1024;

// How long qmail-local waits for a program it started. qmail has no limit;
// a day, as qmail-local's alarm around a Maildir write, then the program is
// a temporary failure (and its cell is killed when qmail-local ends).
inline constexpr std::uint64_t command_seconds = 86400;

// qmail-remote: one line of a server's reply, line end included (RFC 5321
// section 4.5.3.1.5 sets 512; servers add long enhanced-status texts; the
// same 2048 as smtp_command_line), and the lines of one reply (an EHLO
// reply lists about a dozen extensions).
inline constexpr std::size_t smtp_reply_line = 2048;
inline constexpr std::size_t smtp_reply_lines = 100;

// qmail-remote: MX records kept from one DNS answer (the most preferred),
// and addresses kept from one A or AAAA answer. Real domains publish a
// handful; 64 hosts at 64 addresses bound one delivery's plan.
inline constexpr std::size_t dns_mx_records = 64;
inline constexpr std::size_t dns_addresses = 64;

// qmail-remote: addresses tried per delivery (qmail tried every one; a long
// MX list of dead hosts would hold the cell for hours).
inline constexpr std::size_t remote_targets = 16;

// Local injectors (bin/qmail-queue) one uid other than root may have
// connected at once, so that one user cannot take every injection slot.
inline constexpr std::size_t queue_injectors_per_user = 16;

// An injection whose writer sends nothing for this long is abandoned
// (exit 52). Longer than qmail-smtpd's default 1200-second read timeout.
inline constexpr std::uint64_t queue_job_idle_seconds = 3600;

// qmail-queue's own alarm (DEATH in qmail-queue.c): no injection lasts
// longer, and qmail-send's 36-hour cleanup is longer still.
inline constexpr std::uint64_t queue_job_lifetime_seconds = 86400;

// --- configuration files -------------------------------------------------------

// A control file read into memory. Long lists belong in a cdb
// (morercpthosts.cdb, users/cdb); 1 MiB is thousands of lines.
inline constexpr std::size_t control_file = 1024 * 1024;

// users/assign: one line per user or prefix; compiled to users/cdb by
// qcell's qmail-newu. 16 MiB is a hundred thousand users.
inline constexpr std::size_t users_assign_file = 16 * 1024 * 1024;

// One line of a control file after trimming (a domain, an address, a route).
inline constexpr std::size_t control_line = 1024;

// A .qmail file: a handful of delivery instructions. 64 KiB is hundreds of
// lines and keeps the parser's memory small inside a user's cell.
inline constexpr std::size_t dot_qmail_file = 64 * 1024;

// A policy file in policy/: a page of text.
inline constexpr std::size_t policy_file = 64 * 1024;

// --- framing ------------------------------------------------------------------

// Digits in a netstring length. Ten digits express every size below our
// message ceiling; an eleventh digit is refused before any arithmetic.
inline constexpr std::size_t netstring_length_digits = 10;

// One request frame from a cell to the broker: a command and a few names.
inline constexpr std::size_t broker_request = 4096;

// One log line a cell sends to the broker; longer lines are cut and marked.
inline constexpr std::size_t log_line = 1024;

// Bytes read from a descriptor per read(2) by the line reader: the unit of
// memory it holds beyond the longest line.
inline constexpr std::size_t read_chunk = 16 * 1024;

// --- the table, for documentation and tests -------------------------------------

struct LimitEntry {
  std::string_view name;
  std::uint64_t value;
  std::string_view unit;
  std::string_view reason;
};

inline constexpr LimitEntry table[] = {
    {"smtp_command_line", smtp_command_line, "bytes", "RFC 5321 4.5.3.1.4 plus room for extensions"},
    {"smtp_auth_line", smtp_auth_line, "bytes", "RFC 4954 section 4"},
    {"local_part", local_part, "bytes", "RFC 5321 4.5.3.1.1"},
    {"domain", domain, "bytes", "RFC 5321 4.5.3.1.2"},
    {"domain_label", domain_label, "bytes", "RFC 1035 2.3.4"},
    {"path", path, "bytes", "RFC 5321 4.5.3.1.3"},
    {"recipients_per_message", recipients_per_message, "recipients", "RFC 5321 4.5.3.1.8 minimum is 100"},
    {"smtp_errors_per_connection", smtp_errors_per_connection, "errors", "garbage cannot hold a cell"},
    {"smtp_auth_failures", smtp_auth_failures, "attempts", "password guessing costs a reconnection"},
    {"message_size_default", message_size_default, "bytes", "databytes absent or 0"},
    {"message_size_ceiling", message_size_ceiling, "bytes", "no configuration goes higher"},
    {"header_section", header_section, "bytes", "headers held in memory"},
    {"header_field", header_field, "bytes", "one field with continuations"},
    {"hop_count", hop_count, "fields", "qmail's MAXHOPS"},
    {"envelope_address", envelope_address, "bytes", "qmail-queue exit 11 past it"},
    {"queue_recipients", queue_recipients, "recipients", "qmail-queue exit 13 past it"},
    {"queue_record_file", queue_record_file, "bytes", "a queue file a tool reads"},
    {"queue_header_allowance", queue_header_allowance, "bytes", "headers added after databytes is checked"},
    {"queue_jobs_in_flight", queue_jobs_in_flight, "injections", "held at once by each queue cell"},
    {"queue_cells", queue_cells, "cells", "the second takes over when one is full or restarting"},
    {"zygote_children", zygote_children, "cells", "forked before a fresh zygote (fresh layout) takes over"},
    {"delivery_cells", delivery_cells, "cells", "qmail's conf-spawn; past it spawn-local is refused as busy"},
    {"command_cells", command_cells, "cells", "one per qmail-local at most; past it spawn-command is busy"},
    {"command_job", command_job, "bytes", "a .qmail line and qmail-command's variables"},
    {"command_seconds", command_seconds, "seconds", "qmail-local's alarm around a Maildir write"},
    {"smtp_reply_line", smtp_reply_line, "bytes", "one line of a remote server's reply"},
    {"smtp_reply_lines", smtp_reply_lines, "lines", "one reply of a remote server"},
    {"dns_mx_records", dns_mx_records, "records", "MX records kept from one answer"},
    {"dns_addresses", dns_addresses, "addresses", "addresses kept from one A or AAAA answer"},
    {"remote_targets", remote_targets, "addresses", "tried per remote delivery"},
    {"queue_injectors_per_user", queue_injectors_per_user, "injections", "one user cannot take every slot"},
    {"queue_job_idle_seconds", queue_job_idle_seconds, "seconds", "longer than timeoutsmtpd"},
    {"queue_job_lifetime_seconds", queue_job_lifetime_seconds, "seconds", "qmail-queue's alarm"},
    {"control_file", control_file, "bytes", "long lists belong in cdb"},
    {"control_line", control_line, "bytes", "one trimmed line"},
    {"users_assign_file", users_assign_file, "bytes", "a hundred thousand users"},
    {"dot_qmail_file", dot_qmail_file, "bytes", "a handful of instructions"},
    {"policy_file", policy_file, "bytes", "a page of text"},
    {"netstring_length_digits", netstring_length_digits, "digits", "refused before arithmetic"},
    {"broker_request", broker_request, "bytes", "one cell-to-broker frame"},
    {"log_line", log_line, "bytes", "one log event"},
    {"read_chunk", read_chunk, "bytes", "line reader's unit of reading"},
};

static_assert(local_part < path && domain < path);
static_assert(smtp_auth_line > smtp_command_line);
static_assert(message_size_default <= message_size_ceiling);
static_assert(control_line < control_file);
static_assert(queue_recipients * (envelope_address + 2) < queue_record_file);
static_assert(queue_job_lifetime_seconds < 36 * 3600);  // qmail-send's cleanup age
static_assert(queue_injectors_per_user < queue_jobs_in_flight);
static_assert(command_cells <= delivery_cells);
static_assert(dot_qmail_file < command_job);

}  // namespace qcell::limits
