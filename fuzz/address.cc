// address.cc (fuzz) — drives parse_path with hostile bytes under several
// option sets and traps when a parsed path breaks an invariant: the length
// limits, the bytes each part may hold, bytes after '>' being ignored,
// permissive options accepting what strict ones accept, and format_path
// followed by parse_path giving back the same local part and domain.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/address.h"
#include "core/limits.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using qcell::AddressOptions;
using qcell::Path;


AddressOptions make_options(bool allow_null, bool allow_no_domain, bool allow_utf8, std::size_t max_path) {
  AddressOptions options;
  options.allow_null = allow_null;
  options.allow_no_domain = allow_no_domain;
  options.allow_utf8 = allow_utf8;
  options.max_path = max_path;
  return options;
}

bool is_label_byte(unsigned char c, bool allow_utf8) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         (allow_utf8 && c >= 0x80);
}

void check_path(const Path& path, const AddressOptions& options) {
  if (path.is_null) {
    require(options.allow_null);
    require(path.local.empty() && path.domain.empty() && !path.was_quoted);
    require(path.envelope().empty());
    return;
  }
  require(!path.local.empty());
  require(path.local.size() <= qcell::limits::local_part);
  require(path.domain.size() <= qcell::limits::domain);
  for (char c : path.local) {
    const auto byte = static_cast<unsigned char>(c);
    require(byte != 0 && byte != '\r' && byte != '\n');
    require(options.allow_utf8 || byte < 0x80);
  }
  if (path.domain.empty()) {
    require(options.allow_no_domain);
    require(path.local.find('@') == std::string::npos);
    require(path.envelope() == path.local);
  } else if (path.domain.front() == '[') {
    require(path.domain.size() >= 3 && path.domain.back() == ']');
    for (char c : path.domain) {
      const auto byte = static_cast<unsigned char>(c);
      require(byte > 32 && byte < 127 && c != '"' && c != '<' && c != '>' && c != '\\');
    }
  } else {
    require(path.domain.front() != '.' && path.domain.back() != '.');
    require(path.domain.front() != '-' && path.domain.back() != '-');
    require(path.domain.find("..") == std::string::npos);
    for (char c : path.domain) require(is_label_byte(static_cast<unsigned char>(c), options.allow_utf8));
  }
  if (!path.domain.empty()) require(path.envelope() == path.local + "@" + path.domain);
}

bool same_address(const Path& a, const Path& b) {
  return a.local == b.local && a.domain == b.domain && a.is_null == b.is_null;
}

// Parses under `options`, checks the result, and returns whether it parsed
// (with the path in `out`).
bool run(std::string_view input, const AddressOptions& options, Path& out) {
  auto parsed = qcell::parse_path(input, options);
  if (!parsed.ok()) {
    require(!qcell::describe(parsed.error()).empty());
    if (parsed.error() == qcell::AddressError::path_too_long) require(input.size() > options.max_path);
    return false;
  }
  const std::size_t consumed = parsed->consumed;
  require(consumed >= 2 && consumed <= input.size() && consumed <= options.max_path);
  require(input.front() == '<' && input[consumed - 1] == '>');
  check_path(parsed->path, options);

  // Bytes after the '>' are not examined.
  auto prefix = qcell::parse_path(input.substr(0, consumed), options);
  require(prefix.ok() && prefix->consumed == consumed && prefix->path == parsed->path);

  // Re-encoding never grows the path, and parses back to the same address.
  const std::string encoded = qcell::format_path(parsed->path);
  require(encoded.size() <= consumed);
  auto again = qcell::parse_path(encoded, options);
  require(again.ok());
  require(again->consumed == encoded.size());
  require(same_address(again->path, parsed->path));
  require(!again->path.had_source_route);
  require(qcell::format_path(again->path) == encoded);

  out = parsed->path;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The span overload is the primary one; the string_view one must agree.
  {
    const auto options = make_options(false, false, false, qcell::limits::path);
    auto from_bytes = qcell::parse_path(std::as_bytes(std::span(data, size)), options);
    auto from_text = qcell::parse_path(input, options);
    require(from_bytes.ok() == from_text.ok());
    if (from_bytes.ok()) {
      require(from_bytes->path == from_text->path && from_bytes->consumed == from_text->consumed);
    } else {
      require(from_bytes.error() == from_text.error());
    }
  }

  Path strict_path;
  Path utf8_path;
  Path permissive_path;
  Path everything_path;
  Path short_path;
  Path wide_path;
  const bool strict_ok = run(input, make_options(false, false, false, qcell::limits::path), strict_path);
  const bool permissive_ok = run(input, make_options(true, true, false, qcell::limits::path), permissive_path);
  const bool utf8_ok = run(input, make_options(false, false, true, qcell::limits::path), utf8_path);
  const bool everything_ok = run(input, make_options(true, true, true, qcell::limits::path), everything_path);
  const bool short_ok = run(input, make_options(false, false, false, 32), short_path);
  const bool wide_ok = run(input, make_options(true, true, true, 1000), wide_path);

  // What a stricter option set accepts, a looser one accepts identically.
  if (strict_ok) {
    require(permissive_ok && same_address(permissive_path, strict_path));
    require(utf8_ok && same_address(utf8_path, strict_path));
  }
  if (permissive_ok) require(everything_ok && same_address(everything_path, permissive_path));
  if (utf8_ok) require(everything_ok && same_address(everything_path, utf8_path));
  if (short_ok) require(strict_ok && same_address(strict_path, short_path));
  if (everything_ok) require(wide_ok && same_address(wide_path, everything_path));
  return 0;
}
