// mail_header.h — the header section of an RFC 5322 message: splitting it
// into fields the way qmail-inject reads it, and parsing the address lists
// of To:, Cc:, Bcc:, From:, Reply-To:, Return-Path: and the Resent- fields
// into mailboxes and groups; and writing an address list back as text.
//
// The message comes from a local user or a remote peer and is hostile: it may
// be larger than memory, hold NUL bytes, lines without an end, or quoting and
// comment tricks. Both parsers are pure: they read a bounded window of their
// input (options.section for the header section; limits::header_field for one
// address list), allocate only in proportion to that window, and answer with
// a value or one specific error.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/limits.h"
#include "core/result.h"

namespace qcell {

// --- the header section ------------------------------------------------------------

enum class HeaderError {
  section_too_large,  // the header fields take more than options.section bytes
  field_too_large,    // one field, with its continuation lines, exceeds options.field bytes
};

std::string_view describe(HeaderError error) noexcept;

struct HeaderOptions {
  std::size_t section = limits::header_section;
  std::size_t field = limits::header_field;
  // qmail-inject's treatment of an mbox "From " line inside the header
  // section: it becomes a field "MBOX-Line: From ...". When false, such a
  // line is not a header field and starts the body.
  bool mbox_from_line = false;
};

// How the header section ended.
enum class HeaderEnd {
  blank_line,    // an empty line; the body follows it
  body_line,     // a line that is neither a field nor a continuation starts the body
  end_of_input,  // the message ended inside the header section: it has no body
};

struct HeaderField {
  // The field exactly as written, continuation lines (with their LF) included,
  // without the LF that ends it. Never longer than options.field.
  std::string raw;
  std::size_t name_length = 0;   // raw[0, name_length) is the name, without spaces before the ':'
  std::size_t value_offset = 0;  // raw[value_offset, end) is everything after the ':'

  [[nodiscard]] std::string_view name() const noexcept { return std::string_view(raw).substr(0, name_length); }
  [[nodiscard]] std::string_view value() const noexcept { return std::string_view(raw).substr(value_offset); }
  // Whether the name equals `other`, ignoring ASCII case.
  [[nodiscard]] bool is(std::string_view other) const noexcept;
};

struct HeaderSection {
  std::vector<HeaderField> fields;
  HeaderEnd end = HeaderEnd::end_of_input;
  // Offset of the first body byte in the message: after the blank line, at
  // the body line, or the message size when there is no body.
  std::size_t body_offset = 0;
  // The last field's line had no LF (only with HeaderEnd::end_of_input).
  bool unterminated_last_line = false;
};

// Splits the header section off `message`. A line is a field when it is a
// name of bytes 33..126 (no ':'), optional spaces or tabs, then ':'; a line
// that starts with a space or tab continues the field before it. The first
// line that is neither (a line starting with a space before any field
// included) ends the header section and belongs to the body. Lines end at
// LF; CR is an ordinary byte, as it is for qmail.
//
// Only the first options.section + 1 bytes of `message` are examined, so the
// message may be a prefix of a longer stream: when the result's end is
// end_of_input, reading more could extend the header section.
Result<HeaderSection, HeaderError> parse_header_section(std::span<const std::byte> message,
                                                        const HeaderOptions& options = {});

// --- address lists (RFC 5322 section 3.4, with the obsolete forms of 4.4) ---------------

enum class AddressListError {
  too_long,                     // the value is longer than limits::header_field
  bad_character,                // a NUL or another control byte outside a quoted string or comment
  unterminated_quoted_string,   // "... without its closing quote
  unterminated_comment,         // ( ... without its closing parenthesis
  unterminated_domain_literal,  // [ ... without its closing bracket
  unterminated_angle_address,   // < ... without its closing >
  unexpected_character,         // a '>', ']' or '\' outside where it belongs
  unexpected_semicolon,         // a ';' outside a group
  unexpected_colon,             // a ':' that starts neither a group nor ends a source route
  nested_group,                 // a group inside a group
  unterminated_group,           // "name: a, b" without the ';'
  empty_local_part,             // "@example.com", "<@example.com>"
  missing_domain,               // "user@" with nothing after the '@'
  bad_domain,                   // an empty label, a quoted string, or a '\' inside a [literal]
  extra_at_sign,                // "a@b@c"
  bad_source_route,             // "<@relay joe@example.com>": a route that does not end in ':'
  bad_angle_address,            // "<a@b c>": bytes between the address and the '>'
};

std::string_view describe(AddressListError error) noexcept;

struct Mailbox {
  // The display name as written, words joined by single spaces; quoted words
  // keep their quotes. Empty when there is none.
  std::string display_name;
  // Decoded: quotes removed, quoted pairs unescaped, folding removed.
  std::string local;
  // As written without whitespace and comments ("example.com", "[10.0.0.1]");
  // empty for an address without '@'.
  std::string domain;
  // Every comment of the mailbox as written, parentheses included.
  std::vector<std::string> comments;
  bool angle = false;             // written in angle brackets
  bool is_null = false;           // "<>"
  bool had_source_route = false;  // a route "@a,@b:" was present and has been dropped

  bool operator==(const Mailbox&) const = default;
};

struct AddressGroup {
  std::string name;  // as written, like Mailbox::display_name
  std::vector<Mailbox> members;
  std::vector<std::string> comments;  // comments not attached to a member

  bool operator==(const AddressGroup&) const = default;
};

using AddressListItem = std::variant<Mailbox, AddressGroup>;
using AddressList = std::vector<AddressListItem>;

// Parses a field value as a list of mailboxes and groups. Empty elements
// ("a,,b") are skipped; as qmail-inject does, two addresses separated only by
// white space ("joe fred") are read as two list elements. A value of only
// white space and comments yields an empty list.
Result<AddressList, AddressListError> parse_address_list(std::string_view value);
Result<AddressList, AddressListError> parse_address_list(std::span<const std::byte> value);

// Calls `visit(Mailbox&)` for every mailbox of the list, group members included.
template <class Visit>
void for_each_mailbox(AddressList& list, Visit&& visit) {
  for (AddressListItem& item : list) {
    if (auto* mailbox = std::get_if<Mailbox>(&item)) {
      visit(*mailbox);
    } else {
      for (Mailbox& member : std::get<AddressGroup>(item).members) visit(member);
    }
  }
}

// The address as an envelope holds it: local@domain, local alone without a
// domain, "" for the null address. The local part is not quoted.
std::string envelope_address(const Mailbox& mailbox);

// local@domain as it appears in a header: the local part is quoted (with '"'
// and '\' escaped) unless it is a dot-atom.
std::string format_addr_spec(std::string_view local, std::string_view domain);

// One mailbox: "Name <local@domain> (comment)", "local@domain (comment)", "<>".
std::string format_mailbox(const Mailbox& mailbox);

// Column past which format_address_list starts a new line (RFC 5322 section
// 2.1.1 asks for lines of at most 78 characters where possible).
inline constexpr std::size_t header_fold_column = 78;

// The list as a field value, elements separated by ", "; when an element
// would reach past header_fold_column the separator is ",\n  " instead.
// first_column is where the value starts on the field's first line.
std::string format_address_list(const AddressList& list, std::size_t first_column);

}  // namespace qcell
