// compose.cc — the header qmail-inject sends, and the envelope it chooses.
//
// The header fields are hostile message text. Address fields are parsed with
// core/mail_header.h and written back completed; every other field is copied
// as it was written. Values from the environment (the user's full name) are
// quoted so that they cannot end the field or start another.
#include <array>

#include "core/utc_time.h"
#include "qmail-inject/inject.h"

namespace qcell::inject {

namespace {

// The header fields qmail-inject treats specially (qmail-header.5).
enum class Known {
  other,
  sender,
  from,
  reply_to,
  to,
  cc,
  bcc,
  date,
  message_id,
  resent_sender,
  resent_from,
  resent_reply_to,
  resent_to,
  resent_cc,
  resent_bcc,
  resent_date,
  resent_message_id,
  return_receipt_to,
  errors_to,
  apparently_to,
  return_path,
  content_length,
  count,  // number of entries, not a field
};

// What is done with a field's addresses.
enum class Role {
  none,               // not an address field: copied as written
  rewrite,            // addresses completed
  recipients,         // completed, and recipients for -h/-H (To, Cc, Bcc, Apparently-To)
  resent_recipients,  // completed, and recipients for -h/-H of a resent message
  return_path,        // completed; the first address is the sender (unless -f)
};

struct KnownField {
  std::string_view name;
  Known known;
  Role role;
  bool deleted;  // never sent on
};

constexpr KnownField known_fields[] = {
    {"Sender", Known::sender, Role::rewrite, false},
    {"From", Known::from, Role::rewrite, false},
    {"Reply-To", Known::reply_to, Role::rewrite, false},
    {"To", Known::to, Role::recipients, false},
    {"Cc", Known::cc, Role::recipients, false},
    {"Bcc", Known::bcc, Role::recipients, true},
    {"Date", Known::date, Role::none, false},
    {"Message-ID", Known::message_id, Role::none, false},
    {"Resent-Sender", Known::resent_sender, Role::rewrite, false},
    {"Resent-From", Known::resent_from, Role::rewrite, false},
    {"Resent-Reply-To", Known::resent_reply_to, Role::rewrite, false},
    {"Resent-To", Known::resent_to, Role::resent_recipients, false},
    {"Resent-Cc", Known::resent_cc, Role::resent_recipients, false},
    {"Resent-Bcc", Known::resent_bcc, Role::resent_recipients, true},
    {"Resent-Date", Known::resent_date, Role::none, false},
    {"Resent-Message-ID", Known::resent_message_id, Role::none, false},
    {"Return-Receipt-To", Known::return_receipt_to, Role::rewrite, false},
    {"Errors-To", Known::errors_to, Role::rewrite, false},
    {"Apparently-To", Known::apparently_to, Role::recipients, false},
    {"Return-Path", Known::return_path, Role::return_path, true},
    {"Content-Length", Known::content_length, Role::none, true},
};
static_assert(std::size(known_fields) + 1 == static_cast<std::size_t>(Known::count));

const KnownField* classify(const HeaderField& field) noexcept {
  for (const KnownField& known : known_fields) {
    if (field.is(known.name)) return &known;
  }
  return nullptr;
}

// A display name for a From: field: a quoted string, control bytes (which
// could end the field) turned into spaces.
std::string quoted_phrase(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 32 || byte == 127) {
      quoted += ' ';
      continue;
    }
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

// A comment holding `text`, parentheses and backslashes escaped.
std::string comment_of(std::string_view text) {
  std::string comment = "(";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 32 || byte == 127) {
      comment += ' ';
      continue;
    }
    if (c == '(' || c == ')' || c == '\\') comment += '\\';
    comment += c;
  }
  comment += ')';
  return comment;
}

std::string default_from(const Identity& identity, const Settings& settings) {
  Mailbox mailbox;
  mailbox.local = identity.user;
  mailbox.domain = identity.host.value_or("");
  if (identity.name) {
    if (identity.flags.name_comment) {
      mailbox.comments.push_back(comment_of(*identity.name));
    } else {
      mailbox.display_name = quoted_phrase(*identity.name);
      mailbox.angle = true;
    }
  }
  rewrite_mailbox(mailbox, settings);
  return format_mailbox(mailbox);
}

// The sender when neither -f nor Return-Path: gave one.
std::string default_sender(const Identity& identity, const Settings& settings, const Moment& moment) {
  Mailbox mailbox;
  mailbox.local = identity.sender_user;
  if (identity.flags.verp_per_message) {
    mailbox.local += '-';
    mailbox.local += std::to_string(moment.seconds);
    mailbox.local += '.';
    mailbox.local += std::to_string(moment.pid);
  }
  if (identity.flags.verp_per_recipient) mailbox.local += '-';
  mailbox.domain = identity.sender_host.value_or("");
  rewrite_mailbox(mailbox, settings);
  std::string sender = envelope_address(mailbox);
  if (identity.flags.verp_per_recipient) sender += "-@[]";
  return sender;
}

}  // namespace

std::string format_date(std::int64_t seconds) {
  constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const UtcTime date = utc_from_seconds(seconds);
  const auto two_digits = [](unsigned value) {
    std::string digits = std::to_string(value);
    return digits.size() < 2 ? "0" + digits : digits;
  };
  std::string text = std::to_string(date.day);
  text += ' ';
  text += months.at(date.month - 1);
  text += ' ';
  text += std::to_string(date.year);
  text += ' ';
  text += two_digits(date.hour);
  text += ':';
  text += two_digits(date.minute);
  text += ':';
  text += two_digits(date.second);
  text += " -0000";
  return text;
}

Result<Prepared, Fatal> prepare_message(const HeaderSection& section, RecipientSource source,
                                        const std::vector<std::string>& argument_recipients,
                                        const std::optional<std::string>& argument_sender, const Settings& settings,
                                        const Identity& identity, const Moment& moment) {
  const InjectFlags& flags = identity.flags;
  std::array<bool, static_cast<std::size_t>(Known::count)> seen{};
  const auto was_seen = [&](Known known) { return seen.at(static_cast<std::size_t>(known)); };
  std::string kept;  // the fields of the message that are sent on, rewritten
  std::vector<std::string> header_recipients;
  std::vector<std::string> resent_recipients;
  std::optional<std::string> sender = argument_sender;

  for (const HeaderField& field : section.fields) {
    const KnownField* known = classify(field);
    const Known kind = known != nullptr ? known->known : Known::other;
    if (flags.delete_from && kind == Known::from) continue;
    if (flags.delete_message_id && kind == Known::message_id) continue;
    if (flags.ignore_return_path && kind == Known::return_path) continue;
    seen.at(static_cast<std::size_t>(kind)) = true;

    std::string text;
    if (known != nullptr && known->role != Role::none) {
      auto list = parse_address_list(field.value());
      if (!list) {
        return fail(Fatal{exit_permanent, "unable to parse the addresses of a " + std::string(known->name) +
                                              " field (" + std::string(describe(list.error())) +
                                              "): " + quote_for_message(field.raw)});
      }
      bool first = true;
      for_each_mailbox(*list, [&](Mailbox& mailbox) {
        rewrite_mailbox(mailbox, settings);
        if (mailbox.is_null && known->role != Role::return_path) return;
        if (known->role == Role::recipients) header_recipients.push_back(envelope_address(mailbox));
        if (known->role == Role::resent_recipients) resent_recipients.push_back(envelope_address(mailbox));
        if (known->role == Role::return_path && first && !sender) {
          sender = envelope_address(mailbox);
          if (flags.verp_per_recipient && !sender->empty()) *sender += "-@[]";
        }
        first = false;
      });
      if (list->empty()) {
        text = field.raw;
      } else {
        text = std::string(field.name());
        text += ": ";
        text += format_address_list(*list, field.name().size() + 2);
      }
    } else {
      text = field.raw;
    }
    if (known != nullptr && known->deleted) continue;
    kept += text;
    kept += '\n';
  }

  const bool resent = was_seen(Known::resent_sender) || was_seen(Known::resent_from) ||
                      was_seen(Known::resent_reply_to) || was_seen(Known::resent_to) || was_seen(Known::resent_cc) ||
                      was_seen(Known::resent_bcc) || was_seen(Known::resent_date) || was_seen(Known::resent_message_id);

  Prepared prepared;
  prepared.envelope.sender = sender ? *sender : default_sender(identity, settings, moment);

  const std::string_view prefix = resent ? "Resent-" : "";
  std::string& header = prepared.header;
  if (!was_seen(resent ? Known::resent_date : Known::date)) {
    header += prefix;
    header += "Date: " + format_date(moment.seconds) + "\n";
  }
  if (!was_seen(resent ? Known::resent_message_id : Known::message_id)) {
    header += prefix;
    header += "Message-ID: <" + std::to_string(moment.seconds) + "." + std::to_string(moment.pid) + ".qmail@" +
              settings.idhost + ">\n";
  }
  if (!was_seen(resent ? Known::resent_from : Known::from)) {
    header += prefix;
    header += "From: " + default_from(identity, settings) + "\n";
  }
  if (resent ? !was_seen(Known::resent_to) && !was_seen(Known::resent_cc)
             : !was_seen(Known::to) && !was_seen(Known::cc)) {
    header += prefix;
    header += "Cc: recipient list not shown: ;\n";
  }
  header += kept;

  const RecipientSource effective =
      source == RecipientSource::arguments_or_header
          ? (argument_recipients.empty() ? RecipientSource::header : RecipientSource::arguments)
          : source;
  if (effective != RecipientSource::header) prepared.envelope.recipients = argument_recipients;
  if (effective != RecipientSource::arguments) {
    const auto& from_header = resent ? resent_recipients : header_recipients;
    prepared.envelope.recipients.insert(prepared.envelope.recipients.end(), from_header.begin(), from_header.end());
  }
  return prepared;
}

}  // namespace qcell::inject
