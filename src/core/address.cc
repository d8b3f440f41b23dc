// address.cc — the RFC 5321 path grammar (sections 4.1.2 and 4.1.3, with the
// RFC 6531 UTF-8 extension) as a recursive-descent parser over a window of at
// most options.max_path bytes of hostile client input.
//
// Parsing happens in two passes. The first delimits the path: it looks for
// the first '>' outside a quoted string, in the first max_path bytes only, so
// an overlong path is refused before its content is examined and a 4 GiB
// input costs no more than a short one. The second pass walks the delimited
// bytes with the grammar. Both passes treat '"' and '\' the same way, so they
// agree on where every valid path ends.
//
// Deliberate departures from the RFC grammar, all in the direction of
// refusing: a general address literal may not contain '"', '<' or '>' (no
// mail system uses one, and those bytes would let programs disagree about
// where the path ends); an IPv4 literal may not have leading zeros (some
// resolvers read them as octal); a decoded local part may not be empty; a
// domainless local part may not contain '@'.
#include "core/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <optional>

#include "core/ascii.h"
#include "core/byte_buffer.h"

namespace qcell {

namespace {

using Byte = unsigned char;

constexpr bool is_alpha(Byte c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(Byte c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_let_dig(Byte c) noexcept { return is_alpha(c) || is_digit(c); }

// atext, RFC 5322 section 3.2.3.
constexpr bool is_atext(Byte c) noexcept {
  if (is_let_dig(c)) return true;
  constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
  return specials.find(static_cast<char>(c)) != std::string_view::npos;
}

// qtextSMTP, RFC 5321 section 4.1.2: printable ASCII except '"' and '\'.
constexpr bool is_qtext(Byte c) noexcept { return c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126); }

// The byte after a backslash in quoted-pairSMTP.
constexpr bool is_quoted_pair_byte(Byte c) noexcept { return c >= 32 && c <= 126; }

// dcontent, RFC 5321 section 4.1.3, without '"', '<' and '>' (see the top).
constexpr bool is_dcontent(Byte c) noexcept {
  if (c == '"' || c == '<' || c == '>') return false;
  return (c >= 33 && c <= 90) || (c >= 94 && c <= 126);
}

static_assert(is_atext('a') && is_atext('~') && !is_atext('.') && !is_atext('@') && !is_atext('"'));
static_assert(is_qtext(' ') && !is_qtext('"') && !is_qtext('\\') && !is_qtext(127) && !is_qtext(0));
static_assert(!is_dcontent('[') && !is_dcontent(']') && !is_dcontent('\\') && is_dcontent(':'));

// Length of the well-formed UTF-8 sequence starting at text[pos] (which is
// >= 0x80), or 0 if it is ill-formed: a stray continuation byte, an overlong
// form, a surrogate, a code point past U+10FFFF, or a truncated sequence.
// Unicode 15 table 3-7.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
  const auto at = [&](std::size_t offset) -> Byte { return static_cast<Byte>(text[pos + offset]); };
  const std::size_t available = text.size() - pos;
  const Byte lead = at(0);
  std::size_t length = 0;
  Byte second_min = 0x80;
  Byte second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong below U+0800
    if (lead == 0xED) second_max = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong below U+10000
    if (lead == 0xF4) second_max = 0x8F;  // past U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 overlong lead, or F5..FF
  }
  if (available < length) return 0;
  if (at(1) < second_min || at(1) > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (at(i) < 0x80 || at(i) > 0xBF) return 0;
  }
  return length;
}

// First pass: the index of the '>' that closes the path, looking only at the
// first max_path bytes. A '"' opens a quoted string anywhere (the grammar
// pass refuses one outside the local part) and a backslash inside it hides
// the next byte, exactly as in the grammar pass.
std::optional<std::size_t> find_path_end(std::string_view text, std::size_t max_path) noexcept {
  const std::size_t window = text.size() < max_path ? text.size() : max_path;
  bool quoted = false;
  for (std::size_t i = 0; i < window; ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // the escaped byte, whatever it is
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      return i;
    }
  }
  return std::nullopt;
}

// Which bytes may end a domain.
enum class DomainEnd { mailbox, route };

class Parser {
 public:
  Parser(std::string_view text, const AddressOptions& options) noexcept : text_(text), options_(options) {}

  Result<ParsedPath, AddressError> parse_path();

 private:
  [[nodiscard]] bool at_end() const noexcept { return pos_ >= text_.size(); }
  [[nodiscard]] Byte peek() const noexcept { return static_cast<Byte>(text_[pos_]); }
  [[nodiscard]] bool next_is(char c) const noexcept { return !at_end() && text_[pos_] == c; }

  Status<AddressError> parse_source_route();
  Status<AddressError> parse_local_part(Path& path);
  Status<AddressError> parse_quoted_string(Path& path);
  Status<AddressError> parse_dot_string(Path& path);
  Result<std::string_view, AddressError> parse_domain(DomainEnd end);
  Status<AddressError> parse_label(std::size_t& label_length);
  Result<std::string_view, AddressError> parse_address_literal();

  std::string_view text_;  // '<' ... '>' (or the whole input when it has no '>')
  const AddressOptions& options_;
  std::size_t pos_ = 0;
};

Result<ParsedPath, AddressError> Parser::parse_path() {
  // The caller has checked the '<'.
  pos_ = 1;
  ParsedPath parsed;
  Path& path = parsed.path;
  if (at_end()) return fail(AddressError::missing_close_bracket);
  if (next_is('>')) {
    if (!options_.allow_null) return fail(AddressError::null_path_not_allowed);
    path.is_null = true;
    parsed.consumed = 2;
    return parsed;
  }
  if (next_is('@')) {
    if (auto route = parse_source_route(); !route) return fail(route.error());
    path.had_source_route = true;
  }
  if (auto local = parse_local_part(path); !local) return fail(local.error());
  if (at_end()) return fail(AddressError::missing_close_bracket);

  if (next_is('@')) {
    ++pos_;
    if (next_is('[')) {
      auto literal = parse_address_literal();
      if (!literal) return fail(literal.error());
      path.domain.assign(literal.value());
      if (at_end()) return fail(AddressError::missing_close_bracket);
      if (!next_is('>')) return fail(AddressError::trailing_garbage_inside_brackets);
    } else {
      auto domain = parse_domain(DomainEnd::mailbox);
      if (!domain) return fail(domain.error());
      path.domain.assign(domain.value());
      if (at_end()) return fail(AddressError::missing_close_bracket);
    }
  } else if (!options_.allow_no_domain) {
    return fail(AddressError::missing_at_sign);
  } else if (path.local.find('@') != std::string::npos) {
    return fail(AddressError::at_sign_in_domainless_local_part);
  }

  // Here the byte at pos_ is '>'. The first pass stopped at the first '>'
  // outside quotes, and so does the grammar, so it is the last byte of text_.
  if (!next_is('>') || pos_ + 1 != text_.size()) return fail(AddressError::trailing_garbage_inside_brackets);
  parsed.consumed = text_.size();
  return parsed;
}

// A-d-l = At-domain *( "," At-domain ) ":", validated and discarded.
Status<AddressError> Parser::parse_source_route() {
  for (;;) {
    ++pos_;  // the '@'
    auto domain = parse_domain(DomainEnd::route);
    if (!domain) return fail(AddressError::bad_source_route);
    if (at_end()) return fail(AddressError::missing_close_bracket);
    const Byte c = peek();
    ++pos_;
    if (c == ':') return {};
    // "<@example.com>" is a mailbox whose local part was left out.
    if (c == '>') return fail(AddressError::empty_local_part);
    // c is ',' (parse_domain stops nowhere else).
    if (!next_is('@')) return fail(AddressError::bad_source_route);
  }
}

Status<AddressError> Parser::parse_local_part(Path& path) {
  const std::size_t start = pos_;
  auto status = next_is('"') ? parse_quoted_string(path) : parse_dot_string(path);
  if (!status) return status;
  // Counted as written on the wire, quotes and backslashes included.
  if (pos_ - start > limits::local_part) return fail(AddressError::local_part_too_long);
  if (path.local.empty()) return fail(AddressError::empty_local_part);
  return {};
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE, decoded into path.local.
Status<AddressError> Parser::parse_quoted_string(Path& path) {
  path.was_quoted = true;
  ++pos_;  // the opening '"'
  for (;;) {
    if (at_end()) return fail(AddressError::unterminated_quoted_string);
    const Byte c = peek();
    if (c == '"') {
      ++pos_;
      break;
    }
    if (c == '\\') {
      ++pos_;
      if (at_end()) return fail(AddressError::unterminated_quoted_string);
      if (!is_quoted_pair_byte(peek())) return fail(AddressError::bad_quoted_character);
      path.local.push_back(static_cast<char>(peek()));
      ++pos_;
    } else if (is_qtext(c)) {
      path.local.push_back(static_cast<char>(c));
      ++pos_;
    } else if (c >= 0x80 && options_.allow_utf8) {
      const std::size_t length = utf8_sequence_length(text_, pos_);
      if (length == 0) return fail(AddressError::bad_utf8);
      path.local.append(text_.substr(pos_, length));
      pos_ += length;
    } else {
      return fail(AddressError::bad_quoted_character);
    }
  }
  if (!at_end() && !next_is('@') && !next_is('>')) return fail(AddressError::bad_local_part_character);
  return {};
}

// Dot-string = Atom *("." Atom), stored as written.
Status<AddressError> Parser::parse_dot_string(Path& path) {
  const std::size_t start = pos_;
  for (;;) {
    const std::size_t atom_start = pos_;
    while (!at_end()) {
      const Byte c = peek();
      if (is_atext(c)) {
        ++pos_;
      } else if (c >= 0x80 && options_.allow_utf8) {
        const std::size_t length = utf8_sequence_length(text_, pos_);
        if (length == 0) return fail(AddressError::bad_utf8);
        pos_ += length;
      } else {
        break;
      }
    }
    const bool empty_atom = pos_ == atom_start;
    const bool at_boundary = at_end() || next_is('@') || next_is('>');
    if (empty_atom) {
      if (pos_ == start && at_boundary) return fail(AddressError::empty_local_part);
      if (at_boundary || next_is('.')) return fail(AddressError::bad_dot_string);
      return fail(AddressError::bad_local_part_character);
    }
    if (!next_is('.')) break;
    ++pos_;
  }
  if (!at_end() && !next_is('@') && !next_is('>')) return fail(AddressError::bad_local_part_character);
  path.local.assign(text_.substr(start, pos_ - start));
  return {};
}

// One sub-domain: Let-dig [Ldh-str], or a U-label with options.allow_utf8.
// Stops at the first byte that cannot be in a label.
Status<AddressError> Parser::parse_label(std::size_t& label_length) {
  const std::size_t start = pos_;
  while (!at_end()) {
    const Byte c = peek();
    if (is_let_dig(c) || c == '-') {
      ++pos_;
    } else if (c >= 0x80 && options_.allow_utf8) {
      const std::size_t length = utf8_sequence_length(text_, pos_);
      if (length == 0) return fail(AddressError::bad_utf8);
      pos_ += length;
    } else {
      break;
    }
  }
  label_length = pos_ - start;
  if (label_length > limits::domain_label) return fail(AddressError::label_too_long);
  if (label_length > 0 && (text_[start] == '-' || text_[pos_ - 1] == '-')) {
    return fail(AddressError::bad_label_hyphen);
  }
  return {};
}

// Domain = sub-domain *("." sub-domain), without a trailing dot. It must be
// followed by '>' (or ',' ':' '>' in a source route) or by the end of text_.
Result<std::string_view, AddressError> Parser::parse_domain(DomainEnd end) {
  const std::size_t start = pos_;
  const auto at_terminator = [&]() {
    if (at_end() || next_is('>')) return true;
    return end == DomainEnd::route && (next_is(',') || next_is(':'));
  };
  for (;;) {
    std::size_t label_length = 0;
    if (auto label = parse_label(label_length); !label) return fail(label.error());
    if (!at_end() && !next_is('.') && !at_terminator()) return fail(AddressError::bad_domain_character);
    if (label_length == 0) {
      if (pos_ == start && at_terminator()) return fail(AddressError::empty_domain);
      return fail(AddressError::empty_domain_label);
    }
    if (!next_is('.')) break;
    ++pos_;
  }
  const std::size_t length = pos_ - start;
  if (length > limits::domain) return fail(AddressError::domain_too_long);
  return text_.substr(start, length);
}

// Snum "." Snum "." Snum "." Snum, each 0..255 without leading zeros.
bool is_ipv4_literal(std::string_view text) noexcept {
  std::size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return false;
      ++pos;
    }
    const std::size_t start = pos;
    unsigned value = 0;
    while (pos < text.size() && is_digit(static_cast<Byte>(text[pos])) && pos - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || value > 255) return false;
    if (digits > 1 && text[start] == '0') return false;
  }
  return pos == text.size();
}

// The part after "IPv6:", checked by inet_pton on a bounded, terminated copy.
bool is_ipv6_literal(std::string_view text) noexcept {
  std::array<char, INET6_ADDRSTRLEN> copy{};
  if (text.empty() || text.size() >= copy.size()) return false;
  std::memcpy(copy.data(), text.data(), text.size());
  in6_addr address{};
  return ::inet_pton(AF_INET6, copy.data(), &address) == 1;
}

// Standardized-tag = Ldh-str: letters, digits and '-', ending in a letter or digit.
bool is_standardized_tag(std::string_view tag) noexcept {
  if (tag.empty()) return false;
  for (char c : tag) {
    if (!is_let_dig(static_cast<Byte>(c)) && c != '-') return false;
  }
  return tag.back() != '-';
}

// address-literal = "[" ( IPv4 / "IPv6:" IPv6 / tag ":" 1*dcontent ) "]",
// returned with its brackets.
Result<std::string_view, AddressError> Parser::parse_address_literal() {
  const std::size_t start = pos_;
  ++pos_;  // the '['
  const std::size_t content_start = pos_;
  while (!at_end() && is_dcontent(peek())) ++pos_;
  if (!next_is(']')) return fail(AddressError::bad_address_literal);
  const std::string_view content = text_.substr(content_start, pos_ - content_start);
  ++pos_;  // the ']'

  const std::size_t colon = content.find(':');
  if (colon == std::string_view::npos) {
    if (!is_ipv4_literal(content)) return fail(AddressError::bad_address_literal);
  } else {
    const std::string_view tag = content.substr(0, colon);
    const std::string_view rest = content.substr(colon + 1);
    if (equals_ignoring_ascii_case(tag, "IPv6")) {
      if (!is_ipv6_literal(rest)) return fail(AddressError::bad_address_literal);
    } else if (!is_standardized_tag(tag) || rest.empty()) {
      return fail(AddressError::bad_address_literal);
    }
  }
  const std::size_t length = pos_ - start;
  if (length > limits::domain) return fail(AddressError::domain_too_long);
  return text_.substr(start, length);
}

// Dot-string test for format_path: the bytes the parser accepts unquoted
// (UTF-8 bytes included; whether they are allowed is the parser's business).
bool is_dot_string(std::string_view local) noexcept {
  if (local.empty() || local.front() == '.' || local.back() == '.') return false;
  char previous = '\0';
  for (char c : local) {
    const auto byte = static_cast<Byte>(c);
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!is_atext(byte) && byte < 0x80) {
      return false;
    }
    previous = c;
  }
  return true;
}

// describe() names these numbers in its sentences.
static_assert(limits::local_part == 64 && limits::domain == 255 && limits::domain_label == 63);

}  // namespace

std::string_view describe(AddressError error) noexcept {
  switch (error) {
    case AddressError::missing_open_bracket: return "the address does not start with '<'";
    case AddressError::missing_close_bracket: return "the address ends before its closing '>'";
    case AddressError::path_too_long: return "the address is longer than the path length limit";
    case AddressError::null_path_not_allowed: return "the null address <> is not allowed here";
    case AddressError::empty_local_part: return "the part before the '@' is empty";
    case AddressError::local_part_too_long: return "the part before the '@' is longer than 64 bytes";
    case AddressError::bad_local_part_character:
      return "the part before the '@' contains a character that must be quoted";
    case AddressError::bad_dot_string: return "the part before the '@' has a leading, trailing or doubled dot";
    case AddressError::unterminated_quoted_string: return "a quoted string in the address is not closed";
    case AddressError::bad_quoted_character: return "a quoted string in the address contains a control character";
    case AddressError::missing_at_sign: return "the address has no '@' and domain";
    case AddressError::empty_domain: return "the domain after the '@' is empty";
    case AddressError::domain_too_long: return "the domain is longer than 255 bytes";
    case AddressError::label_too_long: return "a part of the domain between dots is longer than 63 bytes";
    case AddressError::bad_domain_character:
      return "the domain contains a character other than letters, digits, '-' and '.'";
    case AddressError::bad_label_hyphen: return "a part of the domain starts or ends with '-'";
    case AddressError::bad_address_literal: return "the address literal in brackets is not a valid IP address";
    case AddressError::bad_source_route: return "the source route before ':' is malformed";
    case AddressError::bad_utf8: return "the address contains malformed UTF-8";
    case AddressError::trailing_garbage_inside_brackets: return "unexpected characters follow the address before '>'";
    case AddressError::empty_domain_label: return "the domain has a leading, trailing or doubled dot";
    case AddressError::at_sign_in_domainless_local_part:
      return "an address without a domain must not contain a quoted '@'";
  }
  return "unknown address error";
}

std::string Path::envelope() const {
  if (is_null) return {};
  if (domain.empty()) return local;
  std::string out = local;
  out.push_back('@');
  out.append(domain);
  return out;
}

Result<ParsedPath, AddressError> parse_path(std::span<const std::byte> input, const AddressOptions& options) {
  const std::string_view text = as_text(input);
  // One byte, so a command without brackets ("MAIL FROM:user@host") gets the
  // right answer rather than a complaint about its length.
  if (text.empty() || text.front() != '<') return fail(AddressError::missing_open_bracket);
  // The length limit comes before any look at the content.
  const auto end = find_path_end(text, options.max_path);
  if (!end && text.size() > options.max_path) return fail(AddressError::path_too_long);
  // Without a '>' the input is short, and the grammar pass finds the most
  // specific error in it (at worst missing_close_bracket).
  const std::string_view region = end ? text.substr(0, *end + 1) : text;
  return Parser(region, options).parse_path();
}

Result<ParsedPath, AddressError> parse_path(std::string_view input, const AddressOptions& options) {
  return parse_path(as_bytes(input), options);
}

std::string format_path(const Path& path) {
  if (path.is_null) return "<>";
  std::string out;
  out.push_back('<');
  if (is_dot_string(path.local)) {
    out.append(path.local);
  } else {
    out.push_back('"');
    for (char c : path.local) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  if (!path.domain.empty()) {
    out.push_back('@');
    out.append(path.domain);
  }
  out.push_back('>');
  return out;
}

}  // namespace qcell
