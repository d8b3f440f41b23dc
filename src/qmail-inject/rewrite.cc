// rewrite.cc — completing addresses the way qmail-inject does, and reading
// addresses given as arguments. The addresses are hostile text from the
// invoking user or the message; they are only split, checked for bytes that
// an envelope cannot carry, and extended with the configured names.
#include "qmail-inject/inject.h"

namespace qcell::inject {

namespace {

bool is_control(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 32 || byte == 127;
}

// A host as it may follow '@' in an argument: a [literal] without '[' ']'
// inside, or bytes that may appear in an atom, and dots.
bool is_argument_host(std::string_view host) noexcept {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return false;
    return host.substr(1, host.size() - 2).find_first_of("[]\\") == std::string_view::npos;
  }
  constexpr std::string_view refused = " \t()<>@,;:\\\"[]";
  return host.find_first_of(refused) == std::string_view::npos;
}

}  // namespace

std::string quote_for_message(std::string_view text, std::size_t max) {
  std::string quoted = "\"";
  const std::size_t shown = text.size() < max ? text.size() : max;
  for (std::size_t i = 0; i < shown; ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte >= 32 && byte < 127) {
      quoted += c;
    } else {
      constexpr std::string_view digits = "0123456789abcdef";
      quoted += "\\x";
      quoted += digits[byte >> 4U];
      quoted += digits[byte & 15U];
    }
  }
  quoted += '"';
  if (shown < text.size()) quoted += "...";
  return quoted;
}

void rewrite_mailbox(Mailbox& mailbox, const Settings& settings) {
  if (mailbox.is_null) return;
  if (mailbox.domain == "[]") return;  // qmail leaves user@[] alone
  if (mailbox.domain.empty()) mailbox.domain = settings.defaulthost;
  if (!mailbox.domain.empty() && mailbox.domain.back() == '+') {
    mailbox.domain.pop_back();
    while (!mailbox.domain.empty() && mailbox.domain.back() == '.') mailbox.domain.pop_back();
    if (!mailbox.domain.empty()) mailbox.domain += '.';
    mailbox.domain += settings.plusdomain;
  }
  if (!mailbox.domain.empty() && mailbox.domain.front() != '[' && mailbox.domain.find('.') == std::string::npos) {
    mailbox.domain += '.';
    mailbox.domain += settings.defaultdomain;
  }
}

Result<Mailbox, AddressListError> parse_argument_address(std::string_view text, bool allow_null) {
  Mailbox mailbox;
  if (text.size() >= 2 && text.front() == '<' && text.back() == '>') text = text.substr(1, text.size() - 2);
  for (char c : text) {
    if (is_control(c)) return fail(AddressListError::bad_character);
  }
  if (text.empty()) {
    if (!allow_null) return fail(AddressListError::empty_local_part);
    mailbox.is_null = true;
    return mailbox;
  }
  if (text.front() == '@') {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return fail(AddressListError::empty_local_part);
    text.remove_prefix(colon + 1);
    mailbox.had_source_route = true;
  }
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos) {
    mailbox.local = std::string(text);
  } else {
    mailbox.local = std::string(text.substr(0, at));
    const std::string_view host = text.substr(at + 1);
    if (host.empty()) return fail(AddressListError::missing_domain);
    if (!is_argument_host(host)) return fail(AddressListError::bad_domain);
    if (host.front() != '[' && (host.front() == '.' || host.find("..") != std::string_view::npos)) {
      return fail(AddressListError::bad_domain);
    }
    mailbox.domain = std::string(host);
  }
  if (mailbox.local.empty()) return fail(AddressListError::empty_local_part);
  return mailbox;
}

Result<std::vector<std::string>, Fatal> recipients_from_arguments(const std::vector<std::string>& recipients,
                                                                  const Settings& settings) {
  std::vector<std::string> addresses;
  addresses.reserve(recipients.size());
  for (const std::string& recipient : recipients) {
    auto mailbox = parse_argument_address(recipient, false);
    if (!mailbox) {
      return fail(Fatal{exit_permanent, "unable to parse address " + quote_for_message(recipient) + ": " +
                                            std::string(describe(mailbox.error()))});
    }
    rewrite_mailbox(*mailbox, settings);
    addresses.push_back(envelope_address(*mailbox));
  }
  return addresses;
}

Result<std::optional<std::string>, Fatal> sender_from_argument(const std::optional<std::string>& sender,
                                                               const Settings& settings) {
  if (!sender) return std::optional<std::string>{};
  auto mailbox = parse_argument_address(*sender, true);
  if (!mailbox) {
    return fail(Fatal{exit_permanent, "unable to parse sender address " + quote_for_message(*sender) + ": " +
                                          std::string(describe(mailbox.error()))});
  }
  rewrite_mailbox(*mailbox, settings);
  return std::optional<std::string>(envelope_address(*mailbox));
}

}  // namespace qcell::inject
