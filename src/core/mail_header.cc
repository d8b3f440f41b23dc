// mail_header.cc — the header-section splitter and the address-list parser.
//
// The splitter walks lines of at most options.section bytes in total; a field
// grows only while it stays within options.field bytes. The address-list
// parser works in two passes over a value of at most limits::header_field
// bytes: a tokenizer (atoms, quoted strings, domain literals, comments and
// the specials < > @ , ; : .) that refuses control bytes and unterminated
// constructs, then a parser over the token indices with no recursion, whose
// memory is proportional to the number of tokens.
#include "core/mail_header.h"

#include <cstdint>
#include <optional>

#include "core/ascii.h"
#include "core/byte_buffer.h"
#include "core/size_math.h"

namespace qcell {

namespace {

using Byte = unsigned char;

constexpr Byte to_byte(char c) noexcept { return static_cast<Byte>(c); }
constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

// A field-name byte: printable US-ASCII except ':' (RFC 5322 section 3.6.8).
constexpr bool is_name_byte(char c) noexcept { return to_byte(c) > 32 && to_byte(c) < 127 && c != ':'; }

// The length of the field name if `line` is a header field line (name, optional
// white space, ':'), else nullopt.
std::optional<std::size_t> field_name_length(std::string_view line) noexcept {
  std::size_t i = 0;
  while (i < line.size() && is_name_byte(line[i])) ++i;
  if (i == 0) return std::nullopt;
  std::size_t j = i;
  while (j < line.size() && is_wsp(line[j])) ++j;
  if (j >= line.size() || line[j] != ':') return std::nullopt;
  return i;
}

}  // namespace

std::string_view describe(HeaderError error) noexcept {
  switch (error) {
    case HeaderError::section_too_large: return "header section too large";
    case HeaderError::field_too_large: return "header field too long";
  }
  return "unknown header error";
}

bool HeaderField::is(std::string_view other) const noexcept { return equals_ignoring_ascii_case(name(), other); }

Result<HeaderSection, HeaderError> parse_header_section(std::span<const std::byte> message,
                                                        const HeaderOptions& options) {
  const std::string_view all = as_text(message);
  // Never look past one byte more than the section may hold.
  const std::size_t window_size = size_add(options.section, 1).value_or(options.section);
  const std::string_view text = all.substr(0, window_size < all.size() ? window_size : all.size());
  constexpr std::string_view mbox_prefix = "From ";
  constexpr std::string_view mbox_name = "MBOX-Line";

  HeaderSection section;
  HeaderField* current = nullptr;
  std::size_t pos = 0;
  for (;;) {
    if (pos >= all.size()) {
      section.end = HeaderEnd::end_of_input;
      section.body_offset = all.size();
      return section;
    }
    // A header section that has not ended within the window is too large.
    if (pos >= text.size()) return fail(HeaderError::section_too_large);
    const std::size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos && text.size() < all.size()) {
      return fail(HeaderError::section_too_large);
    }
    const std::size_t line_end = newline == std::string_view::npos ? text.size() : newline;
    const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    const std::string_view line = text.substr(pos, line_end - pos);

    if (line.empty()) {
      section.end = HeaderEnd::blank_line;
      section.body_offset = next;
      return section;
    }
    if (is_wsp(line.front()) && current != nullptr) {
      const auto grown = size_sum({current->raw.size(), 1, line.size()});
      if (!grown || *grown > options.field) return fail(HeaderError::field_too_large);
      current->raw += '\n';
      current->raw += line;
    } else if (options.mbox_from_line && line.substr(0, mbox_prefix.size()) == mbox_prefix) {
      const auto size = size_sum({mbox_name.size(), 2, line.size()});
      if (!size || *size > options.field) return fail(HeaderError::field_too_large);
      HeaderField field;
      field.raw.reserve(*size);
      field.raw += mbox_name;
      field.raw += ": ";
      field.raw += line;
      field.name_length = mbox_name.size();
      field.value_offset = mbox_name.size() + 1;
      current = &section.fields.emplace_back(std::move(field));
    } else if (auto name_length = field_name_length(line)) {
      if (line.size() > options.field) return fail(HeaderError::field_too_large);
      HeaderField field;
      field.raw = std::string(line);
      field.name_length = *name_length;
      field.value_offset = line.find(':') + 1;
      current = &section.fields.emplace_back(std::move(field));
    } else {
      section.end = HeaderEnd::body_line;
      section.body_offset = pos;
      return section;
    }
    if (next > options.section) return fail(HeaderError::section_too_large);
    section.unterminated_last_line = newline == std::string_view::npos;
    pos = next;
  }
}

// --- address lists -------------------------------------------------------------------

namespace {

enum class TokenKind { atom, quoted, literal, comment, special };

struct Token {
  TokenKind kind = TokenKind::atom;
  std::string_view text;  // as written: quotes, brackets and parentheses included
  bool space_before = false;

  [[nodiscard]] bool is_special(char c) const noexcept { return kind == TokenKind::special && text.front() == c; }
  [[nodiscard]] bool is_word() const noexcept { return kind == TokenKind::atom || kind == TokenKind::quoted; }
};

constexpr std::string_view specials = "<>@,;:.";

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// A control byte that may not appear in a header value (folding white space aside).
constexpr bool is_forbidden(char c) noexcept { return (to_byte(c) < 32 && !is_space(c)) || to_byte(c) == 127; }
// Bytes an atom may hold: everything but white space, controls, specials and
// the bracketing characters. Bytes >= 0x80 are allowed (RFC 6532).
constexpr bool is_atom_byte(char c) noexcept {
  if (is_space(c) || is_forbidden(c)) return false;
  if (specials.find(c) != std::string_view::npos) return false;
  return c != '(' && c != ')' && c != '"' && c != '[' && c != ']' && c != '\\';
}

static_assert(is_atom_byte('a') && is_atom_byte('+') && is_atom_byte('=') && is_atom_byte('\x80'));
static_assert(!is_atom_byte('.') && !is_atom_byte('@') && !is_atom_byte(' ') && !is_atom_byte('\0'));

// Finds the end of a quoted string or domain literal that starts at text[pos]
// (the opening byte), honouring backslash escapes; returns the index past the
// closing byte. Inside, any byte but NUL is taken as it is (qmail did too).
Result<std::size_t, AddressListError> find_closing(std::string_view text, std::size_t pos, char close,
                                                   AddressListError unterminated) noexcept {
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      ++i;  // the escaped byte, whatever it is but NUL
      if (i >= text.size()) break;
      if (to_byte(text[i]) == 0) return fail(AddressListError::bad_character);
      continue;
    }
    if (to_byte(c) == 0) return fail(AddressListError::bad_character);
    if (c == close) return i + 1;
  }
  return fail(unterminated);
}

Result<std::vector<Token>, AddressListError> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  bool space = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    Token token;
    token.space_before = space;
    std::size_t end = pos + 1;
    if (is_space(c)) {
      space = true;
      ++pos;
      continue;
    }
    if (is_forbidden(c)) return fail(AddressListError::bad_character);
    if (c == '"') {
      auto close = find_closing(text, pos, '"', AddressListError::unterminated_quoted_string);
      if (!close) return fail(close.error());
      token.kind = TokenKind::quoted;
      end = *close;
    } else if (c == '[') {
      auto close = find_closing(text, pos, ']', AddressListError::unterminated_domain_literal);
      if (!close) return fail(close.error());
      for (std::size_t i = pos + 1; i + 1 < *close; ++i) {
        if (text[i] == '[') return fail(AddressListError::unexpected_character);
      }
      token.kind = TokenKind::literal;
      end = *close;
    } else if (c == '(') {
      std::size_t depth = 1;
      std::size_t i = pos + 1;
      for (; i < text.size() && depth > 0; ++i) {
        if (text[i] == '\\') {
          ++i;
        } else if (text[i] == '(') {
          ++depth;
        } else if (text[i] == ')') {
          --depth;
        } else if (to_byte(text[i]) == 0) {
          return fail(AddressListError::bad_character);
        }
      }
      if (depth > 0) return fail(AddressListError::unterminated_comment);
      token.kind = TokenKind::comment;
      end = i;
    } else if (specials.find(c) != std::string_view::npos) {
      token.kind = TokenKind::special;
    } else if (c == ')' || c == ']' || c == '\\') {
      return fail(AddressListError::unexpected_character);
    } else {
      while (end < text.size() && is_atom_byte(text[end])) ++end;
      token.kind = TokenKind::atom;
    }
    token.text = text.substr(pos, end - pos);
    tokens.push_back(token);
    space = token.kind == TokenKind::comment;  // a comment separates words like white space
    pos = end;
  }
  return tokens;
}

// The content of a quoted string: quotes removed, quoted pairs unescaped,
// folding (CR and LF) removed.
void append_unquoted(std::string& out, std::string_view quoted) {
  const std::string_view inner = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    char c = inner[i];
    if (c == '\\' && i + 1 < inner.size()) c = inner[++i];
    if (c == '\r' || c == '\n') continue;
    out += c;
  }
}

class ListParser {
 public:
  explicit ListParser(const std::vector<Token>& tokens) noexcept : tokens_(tokens) {}

  Result<AddressList, AddressListError> parse();

 private:
  // Index of the first non-comment token at or after i (tokens_.size() if none).
  [[nodiscard]] std::size_t significant(std::size_t i) const noexcept {
    while (i < tokens_.size() && tokens_[i].kind == TokenKind::comment) ++i;
    return i;
  }
  [[nodiscard]] bool special_at(std::size_t i, char c) const noexcept {
    return i < tokens_.size() && tokens_[i].is_special(c);
  }
  // The comments among tokens [from, to).
  void collect_comments(std::size_t from, std::size_t to, std::vector<std::string>& out) const {
    for (std::size_t i = from; i < to && i < tokens_.size(); ++i) {
      if (tokens_[i].kind == TokenKind::comment) out.emplace_back(tokens_[i].text);
    }
  }
  // The phrase made of the words and dots among tokens [from, to), comments left out.
  [[nodiscard]] std::string phrase(std::size_t from, std::size_t to) const;

  // Parses one list element starting at pos_ (after any separator) into
  // `out`; in a group, stops before the ';'.
  Status<AddressListError> parse_element(bool in_group, AddressList& out);
  Status<AddressListError> parse_group(std::size_t start, std::size_t colon, AddressList& out);
  Result<Mailbox, AddressListError> parse_angle(std::size_t start, std::size_t open);
  Result<Mailbox, AddressListError> parse_bare(std::size_t start, std::size_t first);
  // "@a,@b:" at index i (an '@'); returns the index past the ':'.
  Result<std::size_t, AddressListError> skip_route(std::size_t i) const;
  // local-part ["@" domain] from index i; sets local and domain of `mailbox`
  // and returns the index past the last token used.
  Result<std::size_t, AddressListError> parse_addr_spec(std::size_t i, Mailbox& mailbox) const;
  // After an element: checks what follows and consumes a ','.
  Status<AddressListError> finish_element(bool in_group);

  // Moves the comments waiting for the next element (those before a ','
  // that no element precedes) to the front of `out`.
  void take_carried(std::vector<std::string>& out) {
    out.insert(out.begin(), carried_.begin(), carried_.end());
    carried_.clear();
  }
  // Skips the ',' at `comma`; comments before it go to `last` if there is
  // one, else to the next element.
  void skip_comma(std::size_t comma, std::vector<std::string>* last) {
    collect_comments(pos_, comma, last != nullptr ? *last : carried_);
    pos_ = comma + 1;
  }

  const std::vector<Token>& tokens_;
  std::size_t pos_ = 0;
  std::vector<std::string> carried_;
};

std::vector<std::string>& comments_of(AddressListItem& item) {
  return std::visit([](auto& alternative) -> std::vector<std::string>& { return alternative.comments; }, item);
}

std::string ListParser::phrase(std::size_t from, std::size_t to) const {
  std::string text;
  for (std::size_t i = from; i < to; ++i) {
    const Token& token = tokens_[i];
    if (token.kind == TokenKind::comment) continue;
    if (!text.empty() && token.space_before && !token.is_special('.')) text += ' ';
    text += token.text;
  }
  return text;
}

Result<AddressList, AddressListError> ListParser::parse() {
  AddressList list;
  for (;;) {
    const std::size_t next = significant(pos_);
    if (next >= tokens_.size()) break;
    if (tokens_[next].is_special(',')) {
      skip_comma(next, list.empty() ? nullptr : &comments_of(list.back()));
      continue;
    }
    if (auto status = parse_element(false, list); !status) return fail(status.error());
  }
  // Comments after the last element belong to it.
  if (!list.empty()) collect_comments(pos_, tokens_.size(), comments_of(list.back()));
  return list;
}

Status<AddressListError> ListParser::parse_element(bool in_group, AddressList& out) {
  const std::size_t start = pos_;
  const std::size_t first = significant(start);
  // Scan a phrase (words and dots) to see what it leads to.
  std::size_t after = first;
  while (after < tokens_.size() && (tokens_[after].is_word() || tokens_[after].is_special('.'))) {
    after = significant(after + 1);
  }
  if (special_at(after, '<')) {
    auto mailbox = parse_angle(start, after);
    if (!mailbox) return fail(mailbox.error());
    out.emplace_back(std::move(mailbox.value()));
  } else if (special_at(after, ':') && after != first) {
    if (in_group) return fail(AddressListError::nested_group);
    return parse_group(start, after, out);
  } else {
    auto mailbox = parse_bare(start, first);
    if (!mailbox) return fail(mailbox.error());
    out.emplace_back(std::move(mailbox.value()));
  }
  return finish_element(in_group);
}

Status<AddressListError> ListParser::finish_element(bool in_group) {
  const std::size_t next = significant(pos_);
  if (next >= tokens_.size()) return {};
  const Token& token = tokens_[next];
  if (token.is_special(',')) {
    pos_ = next + 1;
    return {};
  }
  if (token.is_special(';')) {
    if (!in_group) return fail(AddressListError::unexpected_semicolon);
    return {};  // the group consumes it
  }
  if (token.is_special('>')) return fail(AddressListError::unexpected_character);
  if (token.is_special(':')) return fail(AddressListError::unexpected_colon);
  if (token.is_special('@')) return fail(AddressListError::extra_at_sign);
  return {};  // a word or '<': white space separated two addresses
}

Status<AddressListError> ListParser::parse_group(std::size_t start, std::size_t colon, AddressList& out) {
  AddressGroup group;
  group.name = phrase(start, colon);
  collect_comments(start, colon, group.comments);
  take_carried(group.comments);
  pos_ = colon + 1;
  AddressList members;
  for (;;) {
    const std::size_t next = significant(pos_);
    if (next >= tokens_.size()) return fail(AddressListError::unterminated_group);
    if (tokens_[next].is_special(',')) {
      skip_comma(next, members.empty() ? nullptr : &comments_of(members.back()));
      continue;
    }
    if (tokens_[next].is_special(';')) {
      take_carried(group.comments);
      collect_comments(pos_, next, members.empty() ? group.comments : comments_of(members.back()));
      pos_ = next + 1;
      break;
    }
    if (auto status = parse_element(true, members); !status) return fail(status.error());
  }
  for (AddressListItem& member : members) group.members.push_back(std::move(std::get<Mailbox>(member)));
  out.emplace_back(std::move(group));
  return {};
}

Result<std::size_t, AddressListError> ListParser::skip_route(std::size_t i) const {
  for (;;) {
    // i is at an '@': a domain follows.
    std::size_t j = significant(i + 1);
    if (j >= tokens_.size() || !(tokens_[j].kind == TokenKind::atom || tokens_[j].kind == TokenKind::literal)) {
      return fail(AddressListError::bad_source_route);
    }
    j = significant(j + 1);
    while (special_at(j, '.')) {
      j = significant(j + 1);
      if (j >= tokens_.size() || tokens_[j].kind != TokenKind::atom) return fail(AddressListError::bad_source_route);
      j = significant(j + 1);
    }
    if (special_at(j, ':')) return j + 1;
    if (!special_at(j, ',')) return fail(AddressListError::bad_source_route);
    j = significant(j + 1);
    if (!special_at(j, '@')) return fail(AddressListError::bad_source_route);
    i = j;
  }
}

Result<std::size_t, AddressListError> ListParser::parse_addr_spec(std::size_t i, Mailbox& mailbox) const {
  // local-part: words and dots; a word directly after a word ends it.
  bool have_word = false;
  bool last_was_word = false;
  std::size_t end = i;
  for (std::size_t j = significant(i); j < tokens_.size(); j = significant(j + 1)) {
    const Token& token = tokens_[j];
    if (token.is_word()) {
      if (last_was_word) break;
      if (token.kind == TokenKind::quoted) {
        append_unquoted(mailbox.local, token.text);
      } else {
        mailbox.local += token.text;
      }
      have_word = true;
      last_was_word = true;
    } else if (token.is_special('.')) {
      mailbox.local += '.';
      last_was_word = false;
    } else {
      break;
    }
    end = j + 1;
  }
  // "" alone decodes to nothing: refused like an absent local part.
  if (!have_word || mailbox.local.empty()) return fail(AddressListError::empty_local_part);
  const std::size_t at = significant(end);
  if (!special_at(at, '@')) return end;

  // domain: a literal, or atoms separated by single dots (a final dot allowed).
  std::size_t j = significant(at + 1);
  if (j >= tokens_.size()) return fail(AddressListError::missing_domain);
  if (tokens_[j].kind == TokenKind::literal) {
    // A quoted pair in a literal (obsolete syntax; no address uses one) is
    // refused. White space inside the brackets is folding, not part of it.
    if (tokens_[j].text.find('\\') != std::string_view::npos) return fail(AddressListError::bad_domain);
    for (char c : tokens_[j].text) {
      if (!is_space(c)) mailbox.domain += c;
    }
    return j + 1;
  }
  if (tokens_[j].kind == TokenKind::quoted || tokens_[j].is_special('.')) return fail(AddressListError::bad_domain);
  if (tokens_[j].kind != TokenKind::atom) return fail(AddressListError::missing_domain);
  mailbox.domain = tokens_[j].text;
  end = j + 1;
  for (;;) {
    const std::size_t dot = significant(end);
    if (!special_at(dot, '.')) break;
    mailbox.domain += '.';
    end = dot + 1;
    const std::size_t label = significant(end);
    if (label < tokens_.size() && tokens_[label].kind == TokenKind::atom) {
      mailbox.domain += tokens_[label].text;
      end = label + 1;
    } else if (label < tokens_.size() &&
               (tokens_[label].is_special('.') || tokens_[label].kind != TokenKind::special)) {
      return fail(AddressListError::bad_domain);  // "a..b", "a.\"b\"", "a.[b]"
    } else {
      break;  // a final dot
    }
  }
  return end;
}

Result<Mailbox, AddressListError> ListParser::parse_angle(std::size_t start, std::size_t open) {
  Mailbox mailbox;
  mailbox.angle = true;
  mailbox.display_name = phrase(start, open);
  std::size_t i = significant(open + 1);
  if (i >= tokens_.size()) return fail(AddressListError::unterminated_angle_address);
  if (tokens_[i].is_special('>')) {
    mailbox.is_null = true;
  } else {
    if (tokens_[i].is_special('@')) {
      auto past_route = skip_route(i);
      if (!past_route) return fail(past_route.error());
      mailbox.had_source_route = true;
      i = *past_route;
    }
    auto end = parse_addr_spec(i, mailbox);
    if (!end) return fail(end.error());
    i = significant(*end);
    if (i >= tokens_.size()) return fail(AddressListError::unterminated_angle_address);
    if (!tokens_[i].is_special('>')) {
      if (tokens_[i].is_special('@')) return fail(AddressListError::extra_at_sign);
      return fail(AddressListError::bad_angle_address);
    }
  }
  // Comments before the element, inside the brackets and right after '>'.
  pos_ = significant(i + 1);
  collect_comments(start, pos_, mailbox.comments);
  take_carried(mailbox.comments);
  return mailbox;
}

Result<Mailbox, AddressListError> ListParser::parse_bare(std::size_t start, std::size_t first) {
  Mailbox mailbox;
  std::size_t i = first;
  if (special_at(i, '@')) {
    auto past_route = skip_route(i);
    if (!past_route) {
      // "@example.com" alone: an address without a local part.
      return fail(past_route.error() == AddressListError::bad_source_route ? AddressListError::empty_local_part
                                                                           : past_route.error());
    }
    mailbox.had_source_route = true;
    i = *past_route;
  }
  if (const std::size_t next = significant(i); next < tokens_.size()) {
    const Token& token = tokens_[next];
    if (token.is_special('>')) return fail(AddressListError::unexpected_character);
    if (token.is_special(';')) return fail(AddressListError::unexpected_semicolon);
    if (token.is_special(':')) return fail(AddressListError::unexpected_colon);
  }
  auto end = parse_addr_spec(i, mailbox);
  if (!end) return fail(end.error());
  pos_ = significant(*end);
  collect_comments(start, pos_, mailbox.comments);
  take_carried(mailbox.comments);
  return mailbox;
}

bool is_dot_atom(std::string_view text) noexcept {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = 0;
  for (char c : text) {
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!is_atom_byte(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

}  // namespace

std::string_view describe(AddressListError error) noexcept {
  switch (error) {
    case AddressListError::too_long: return "address list too long";
    case AddressListError::bad_character: return "control character in address list";
    case AddressListError::unterminated_quoted_string: return "unterminated quoted string";
    case AddressListError::unterminated_comment: return "unterminated comment";
    case AddressListError::unterminated_domain_literal: return "unterminated domain literal";
    case AddressListError::unterminated_angle_address: return "missing > after <";
    case AddressListError::unexpected_character: return "unexpected > ] or \\";
    case AddressListError::unexpected_semicolon: return "; outside a group";
    case AddressListError::unexpected_colon: return "unexpected :";
    case AddressListError::nested_group: return "group inside a group";
    case AddressListError::unterminated_group: return "group without a closing ;";
    case AddressListError::empty_local_part: return "address without a local part";
    case AddressListError::missing_domain: return "no domain after @";
    case AddressListError::bad_domain: return "malformed domain";
    case AddressListError::extra_at_sign: return "more than one @ in an address";
    case AddressListError::bad_source_route: return "malformed source route";
    case AddressListError::bad_angle_address: return "text between an address and its >";
  }
  return "unknown address list error";
}

Result<AddressList, AddressListError> parse_address_list(std::string_view value) {
  if (value.size() > limits::header_field) return fail(AddressListError::too_long);
  auto tokens = tokenize(value);
  if (!tokens) return fail(tokens.error());
  ListParser parser(*tokens);
  return parser.parse();
}

Result<AddressList, AddressListError> parse_address_list(std::span<const std::byte> value) {
  return parse_address_list(as_text(value));
}

std::string envelope_address(const Mailbox& mailbox) {
  if (mailbox.is_null) return {};
  if (mailbox.domain.empty()) return mailbox.local;
  std::string address;
  address.reserve(mailbox.local.size() + 1 + mailbox.domain.size());
  address += mailbox.local;
  address += '@';
  address += mailbox.domain;
  return address;
}

std::string format_addr_spec(std::string_view local, std::string_view domain) {
  std::string text;
  if (is_dot_atom(local)) {
    text += local;
  } else {
    text += '"';
    for (char c : local) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  if (!domain.empty()) {
    text += '@';
    text += domain;
  }
  return text;
}

std::string format_mailbox(const Mailbox& mailbox) {
  std::string text;
  if (!mailbox.display_name.empty()) {
    text += mailbox.display_name;
    text += ' ';
  }
  if (mailbox.is_null) {
    text += "<>";
  } else if (mailbox.angle || !mailbox.display_name.empty()) {
    text += '<';
    text += format_addr_spec(mailbox.local, mailbox.domain);
    text += '>';
  } else {
    text += format_addr_spec(mailbox.local, mailbox.domain);
  }
  for (const std::string& comment : mailbox.comments) {
    text += ' ';
    text += comment;
  }
  return text;
}

namespace {

// Appends `piece` to `text` after a separator, folding before it when the
// current line would grow past header_fold_column.
void append_folded(std::string& text, std::size_t& column, std::string_view piece, bool first) {
  if (!first) {
    if (column + 2 + piece.size() > header_fold_column) {
      text += ",\n  ";
      column = 2;
    } else {
      text += ", ";
      column += 2;
    }
  }
  text += piece;
  const std::size_t newline = piece.rfind('\n');
  column = newline == std::string_view::npos ? column + piece.size() : piece.size() - newline - 1;
}

}  // namespace

std::string format_address_list(const AddressList& list, std::size_t first_column) {
  std::string text;
  std::size_t column = first_column;
  bool first = true;
  for (const AddressListItem& item : list) {
    std::string piece;
    if (const auto* mailbox = std::get_if<Mailbox>(&item)) {
      piece = format_mailbox(*mailbox);
    } else {
      const auto& group = std::get<AddressGroup>(item);
      piece = group.name;
      piece += ':';
      for (std::size_t i = 0; i < group.members.size(); ++i) {
        piece += i == 0 ? " " : ", ";
        piece += format_mailbox(group.members[i]);
      }
      if (group.members.empty()) piece += ' ';
      piece += ';';
      for (const std::string& comment : group.comments) {
        piece += ' ';
        piece += comment;
      }
    }
    append_folded(text, column, piece, first);
    first = false;
  }
  return text;
}

}  // namespace qcell
