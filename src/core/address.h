// address.h — parses an RFC 5321 path ("<user@example.com>", "<>",
// "<@relay.example:user@example.com>") from an SMTP MAIL or RCPT command into
// its local part and domain, and encodes a parsed path back to wire form.
//
// The input comes straight from an SMTP client and is hostile: it may be
// gigabytes long, hold NUL bytes, malformed UTF-8 or quoting tricks meant to
// make two programs disagree about where the address ends. The parser reads
// at most options.max_path bytes of it whatever its size, allocates only
// strings bounded by that, and answers with a value or one specific error.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/result.h"

namespace qcell {

enum class AddressError {
  missing_open_bracket,              // the input does not start with '<'
  missing_close_bracket,             // the input ends before the '>'
  path_too_long,                     // no '>' within options.max_path bytes
  null_path_not_allowed,             // "<>" where a mailbox is required
  empty_local_part,                  // "<@example.com>", "<\"\"@example.com>"
  local_part_too_long,               // more than limits::local_part bytes as written
  bad_local_part_character,          // a byte that is not atext, '.' or '@' outside quotes
  bad_dot_string,                    // a leading, trailing or doubled dot in the local part
  unterminated_quoted_string,        // the input ends inside "..."
  bad_quoted_character,              // a control byte, or a backslash before one, inside "..."
  missing_at_sign,                   // no '@' and options.allow_no_domain is false
  empty_domain,                      // "<user@>"
  domain_too_long,                   // more than limits::domain bytes as written
  label_too_long,                    // a label of more than limits::domain_label bytes
  bad_domain_character,              // a byte that is not a letter, digit, '-' or '.'
  bad_label_hyphen,                  // a label starting or ending with '-'
  bad_address_literal,               // "[...]" that is not IPv4, IPv6: or tag:content
  bad_source_route,                  // a malformed "@host,@host:" prefix
  bad_utf8,                          // ill-formed UTF-8 (only with options.allow_utf8)
  trailing_garbage_inside_brackets,  // bytes between the mailbox and the '>'
  empty_domain_label,                // a leading, trailing or doubled dot in the domain
  at_sign_in_domainless_local_part,  // "<\"a@b\">": would read as a mailbox at domain b
};

// A specific English sentence for each error, for logs and SMTP replies.
std::string_view describe(AddressError error) noexcept;

struct AddressOptions {
  bool allow_null = false;       // accept "<>" (MAIL FROM, bounces)
  bool allow_no_domain = false;  // accept "<postmaster>" and qmail's local-only recipients
  bool allow_utf8 = false;       // SMTPUTF8 (RFC 6531): well-formed UTF-8 in local part and domain
  // Longest path, brackets and source route included. The caller may raise it
  // (RFC 5321 4.5.3.1 lets a server accept more); the work and memory spent on
  // one input stay proportional to it.
  std::size_t max_path = limits::path;
};

struct Path {
  // Decoded: quotes removed and quoted pairs unescaped, as qmail does
  // ("a b"@x has the local part `a b`). Never holds NUL, CR or LF.
  std::string local;
  // As written, case preserved; an address literal keeps its brackets
  // ("[127.0.0.1]"). Empty for the null path and for a domainless mailbox.
  std::string domain;
  bool is_null = false;
  bool was_quoted = false;
  bool had_source_route = false;  // a source route was validated and discarded

  // The address as qmail's envelope holds it: local@domain, local alone when
  // there is no domain, "" for the null path.
  [[nodiscard]] std::string envelope() const;

  bool operator==(const Path&) const = default;
};

struct ParsedPath {
  Path path;
  std::size_t consumed = 0;  // bytes up to and including the '>'; ESMTP parameters follow
};

// Parses the path at the start of `input` (which must begin with '<'). Bytes
// after the closing '>' are not examined.
Result<ParsedPath, AddressError> parse_path(std::span<const std::byte> input, const AddressOptions& options);
Result<ParsedPath, AddressError> parse_path(std::string_view input, const AddressOptions& options);

// Encodes a path in RFC 5321 form "<local@domain>", quoting the local part
// when it is not a valid dot-string ('"' and '\' escaped with a backslash);
// "<>" for the null path. The source route is not reproduced. A Path that
// parse_path produced re-parses, with the same options, to the same local
// part and domain; other Paths may yield a string that does not parse.
std::string format_path(const Path& path);

}  // namespace qcell
