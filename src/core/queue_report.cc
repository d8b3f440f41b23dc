// queue_report.cc — text and JSON output of the queue tools. Every byte of
// an address or file name is escaped or replaced before it is printed.
#include "core/queue_report.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace qcell::queue {

namespace {

constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct tm utc(std::int64_t seconds) {
  struct tm parts {};
  const auto t = static_cast<time_t>(seconds);
  if (::gmtime_r(&t, &parts) == nullptr) parts = {};
  return parts;
}

void append_u_escape(std::string& out, std::uint32_t unit) {
  char text[8];
  std::snprintf(text, sizeof text, "\\u%04x", static_cast<unsigned>(unit & 0xffffU));
  out += text;
}

// Length of the well-formed UTF-8 sequence at `at` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), and its code point; 0 when
// the byte does not start one.
std::size_t utf8_sequence(std::string_view s, std::size_t at, std::uint32_t& code) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])); };
  const std::uint32_t b0 = byte(at);
  std::size_t length = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2, code = b0 & 0x1f, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3, code = b0 & 0x0f, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4, code = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (at + length > s.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const std::uint32_t b = byte(at + i);
    if ((b & 0xc0) != 0x80) return 0;
    code = (code << 6) | (b & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

std::string number(std::uint64_t value) { return std::to_string(value); }

void append_field(std::string& out, std::string_view key, std::string_view json_value) {
  if (out.size() > 1) out += ',';
  out += json_string(key);
  out += ':';
  out += json_value;
}

}  // namespace

std::string json_string(std::string_view bytes) {
  std::string out = "\"";
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            append_u_escape(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    std::uint32_t code = 0;
    const std::size_t length = utf8_sequence(bytes, i, code);
    if (length == 0) {
      append_u_escape(out, 0xdc00U | c);  // an invalid byte: surrogateescape
      ++i;
      continue;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      append_u_escape(out, 0xd800U | (code >> 10));
      append_u_escape(out, 0xdc00U | (code & 0x3ffU));
    } else {
      append_u_escape(out, code);
    }
    i += length;
  }
  out += '"';
  return out;
}

std::string text_name(std::string_view bytes) {
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c > 0x20 && c < 0x7f) {
      out += ch;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    }
  }
  if (out.empty()) out = "\\x";  // never an empty field
  return out;
}

std::string printable(std::string_view bytes) {
  std::string out(bytes);
  for (char& ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 32 || c > 126) ch = '_';
  }
  return out;
}

std::string qread_date(std::int64_t seconds) {
  const struct tm t = utc(seconds);
  char text[64];
  std::snprintf(text, sizeof text, "%d %s %d %02d:%02d:%02d", t.tm_mday, month_names[t.tm_mon % 12], t.tm_year + 1900,
                t.tm_hour, t.tm_min, t.tm_sec);
  return text;
}

std::string iso_date(std::int64_t seconds) {
  const struct tm t = utc(seconds);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec);
  return text;
}

std::string qread_lines(const Message& message) {
  std::string out = printable(qread_date(message.birth) + " GMT  #" + number(message.id) + "  " + number(message.size) +
                              "  <" + message.sender.value_or("") + "> ");
  if (message.has(Dir::bounce)) out += " bouncing";
  out += '\n';
  for (Channel channel : {Channel::local, Channel::remote}) {
    for (const Recipient& recipient : message.recipients) {
      if (recipient.channel != channel) continue;
      if (recipient.done) out += "  done";
      out += '\t';
      out += channel_name(channel);
      out += '\t';
      out += printable(recipient.address);
      out += '\n';
    }
  }
  return out;
}

std::string message_summary(const Message& message) {
  std::size_t done = 0;
  for (const Recipient& r : message.recipients) done += r.done ? 1 : 0;
  std::string out = "#" + number(message.id) + "  " + std::string(state_name(message.state)) + "  " +
                    qread_date(message.birth) + " GMT  " + number(message.size) + "  ";
  out += message.sender ? "<" + printable(*message.sender) + ">" : std::string("?");
  out += "  " + number(message.recipients.size()) + " recipients (" + number(done) + " done)";
  if (message.has(Dir::bounce)) out += "  bouncing";
  if (!message.problems.empty()) out += "  " + number(message.problems.size()) + " problems";
  out += '\n';
  return out;
}

std::string message_detail(const Message& message) {
  std::string out = "message #" + number(message.id) + "\n";
  out += "state: " + std::string(state_name(message.state)) + "\n";
  out += "birth: " + qread_date(message.birth) + " GMT (" + iso_date(message.birth) + ")\n";
  out += "size: " + number(message.size) + "\n";
  out += "files:";
  for (const DirEntry& entry : dir_table()) {
    if (entry.dir == Dir::pid || entry.dir == Dir::lock || !message.has(entry.dir)) continue;
    out += ' ';
    out += MessagePath(entry.dir, message.id).view();
  }
  out += '\n';
  out += message.sender ? "sender: <" + printable(*message.sender) + ">\n" : std::string("sender: unknown\n");
  for (const Recipient& r : message.recipients) {
    out += "recipient: " + std::string(channel_name(r.channel)) + (r.done ? " done " : " todo ") +
           printable(r.address) + "\n";
  }
  for (const FileProblem& p : message.problems) out += "problem: " + text_name(p.path) + ": " + p.problem + "\n";
  return out;
}

std::string message_json(const Message& message) {
  std::string out = "{";
  append_field(out, "id", number(message.id));
  append_field(out, "state", json_string(state_name(message.state)));
  append_field(out, "birth", std::to_string(message.birth));
  append_field(out, "date", json_string(iso_date(message.birth)));
  append_field(out, "size", number(message.size));
  append_field(out, "sender", message.sender ? json_string(*message.sender) : "null");
  append_field(out, "bounce", message.has(Dir::bounce) ? "true" : "false");
  std::string files = "[";
  for (const DirEntry& entry : dir_table()) {
    if (entry.dir == Dir::pid || entry.dir == Dir::lock || !message.has(entry.dir)) continue;
    if (files.size() > 1) files += ',';
    files += json_string(entry.name);
  }
  append_field(out, "files", files + "]");
  std::string recipients = "[";
  for (const Recipient& r : message.recipients) {
    if (recipients.size() > 1) recipients += ',';
    recipients += "{\"channel\":" + json_string(channel_name(r.channel)) + ",\"address\":" + json_string(r.address) +
                  ",\"done\":" + (r.done ? "true" : "false") + "}";
  }
  append_field(out, "recipients", recipients + "]");
  std::string problems = "[";
  for (const FileProblem& p : message.problems) {
    if (problems.size() > 1) problems += ',';
    problems += "{\"path\":" + json_string(p.path) + ",\"problem\":" + json_string(p.problem) + "}";
  }
  append_field(out, "problems", problems + "]");
  out += "}\n";
  return out;
}

std::string finding_text(const Finding& finding) {
  return std::string(finding_name(finding.kind)) + " " + text_name(finding.path) + " " + printable(finding.action) +
         "\n";
}

std::string finding_json(const Finding& finding) {
  std::string out = "{";
  append_field(out, "kind", json_string(finding_name(finding.kind)));
  append_field(out, "path", json_string(finding.path));
  append_field(out, "outcome", json_string(outcome_name(finding.outcome)));
  append_field(out, "repairable",
               finding_kinds()[static_cast<std::size_t>(finding.kind)].repairable ? "true" : "false");
  append_field(out, "action", json_string(finding.action));
  out += "}\n";
  return out;
}

QueueCounts count_messages(const QueueIndex& index) {
  QueueCounts counts;
  for (const auto& [id, files] : index.messages) {
    const bool mess = files.has(Dir::mess);
    const bool todo = files.has(Dir::todo);
    const bool info = files.has(Dir::info);
    counts.messages += mess ? 1 : 0;
    counts.todo += todo ? 1 : 0;
    if (!mess) {
      counts.broken += (todo || info) ? 1 : 0;
    } else if (!todo && !info) {
      ++counts.injecting;
    } else if (!todo) {
      ++counts.queued;
    }
  }
  return counts;
}

std::string qstat_text(std::uint64_t messages, std::uint64_t not_preprocessed) {
  return "messages in queue: " + number(messages) +
         "\nmessages in queue but not yet preprocessed: " + number(not_preprocessed) + "\n";
}

std::string counts_text(const QueueCounts& counts) {
  return qstat_text(counts.messages, counts.todo) + "injecting: " + number(counts.injecting) +
         "\ntodo: " + number(counts.todo) + "\nqueued: " + number(counts.queued) +
         "\nbroken: " + number(counts.broken) + "\n";
}

std::string counts_json(const QueueCounts& counts) {
  std::string out = "{";
  append_field(out, "messages", number(counts.messages));
  append_field(out, "todo", number(counts.todo));
  append_field(out, "injecting", number(counts.injecting));
  append_field(out, "queued", number(counts.queued));
  append_field(out, "broken", number(counts.broken));
  out += "}\n";
  return out;
}

int run_qread(const DirFd& queue, int out_fd, int err_fd) {
  auto ids = list_ids(queue, Dir::info);
  if (!ids) {
    (void)write_full(err_fd, "qmail-qread: fatal: " + describe(ids.error()) + "\n");
    return 111;
  }
  std::sort(ids->begin(), ids->end());
  for (std::uint64_t id : *ids) {
    const Message message = read_message(queue, id);
    const bool readable =
        message.has(Dir::mess) && message.has(Dir::info) && message.sender.has_value() &&
        std::none_of(message.problems.begin(), message.problems.end(), [&](const FileProblem& p) {
          return p.path == MessagePath(Dir::mess, id).view() || p.path == MessagePath(Dir::info, id).view();
        });
    if (!readable) {
      (void)write_full(err_fd, "qmail-qread: warning: trouble with #" + number(id) + "\n");
      continue;
    }
    if (auto written = write_full(out_fd, qread_lines(message)); !written) return 111;
    if (!message.problems.empty()) {
      (void)write_full(err_fd, "qmail-qread: warning: trouble with #" + number(id) + "\n");
    }
  }
  return 0;
}

int run_qstat(const DirFd& queue, int out_fd, int err_fd) {
  auto messages = list_ids(queue, Dir::mess);
  if (!messages) {
    (void)write_full(err_fd, "qmail-qstat: fatal: " + describe(messages.error()) + "\n");
    return 111;
  }
  auto todo = list_ids(queue, Dir::todo);
  if (!todo) {
    (void)write_full(err_fd, "qmail-qstat: fatal: " + describe(todo.error()) + "\n");
    return 111;
  }
  if (auto written = write_full(out_fd, qstat_text(messages->size(), todo->size())); !written) return 111;
  return 0;
}

Result<DirFd, int> open_queue(const char* root) {
  auto base = open_directory(root);
  if (!base) return fail(base.error());
  auto queue = open_directory_beneath(*base, "queue");
  if (!queue && queue.error() == ENOTDIR) {
    // O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink: tell the two apart.
    struct stat st {};
    if (::fstatat(base->get(), "queue", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) return fail(ELOOP);
  }
  return queue;
}

}  // namespace qcell::queue
