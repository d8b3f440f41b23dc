// mail_header.cc (fuzz) — drives parse_header_section and parse_address_list
// with hostile bytes and traps when a result breaks an invariant: fields
// within their limits and made of a valid name and a colon, continuation
// lines only after LF + white space, a body offset at a line start inside the
// input, the same fields from the header section alone, and address lists
// that survive format_address_list and parse back to the same addresses.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.h"
#include "core/mail_header.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


std::vector<std::string> addresses_of(qcell::AddressList list) {
  std::vector<std::string> addresses;
  qcell::for_each_mailbox(list, [&](qcell::Mailbox& mailbox) {
    require(mailbox.is_null || !mailbox.local.empty());
    for (char c : mailbox.local) require(c != '\0' && c != '\n' && c != '\r');
    for (char c : mailbox.domain) require(c != '\0' && c != '\n' && c != ' ');
    addresses.push_back(qcell::envelope_address(mailbox));
  });
  return addresses;
}

void check_address_list(std::string_view value) {
  auto parsed = qcell::parse_address_list(value);
  if (!parsed.ok()) {
    require(!qcell::describe(parsed.error()).empty());
    return;
  }
  const std::vector<std::string> first = addresses_of(*parsed);
  const std::string formatted = qcell::format_address_list(*parsed, 4);
  auto again = qcell::parse_address_list(formatted);
  require(again.ok());
  require(addresses_of(*again) == first);
  require(qcell::format_address_list(*again, 4) == formatted);
}

void check_section(std::string_view text, const qcell::HeaderOptions& options) {
  auto parsed = qcell::parse_header_section(qcell::as_bytes(text), options);
  if (!parsed.ok()) {
    require(!qcell::describe(parsed.error()).empty());
    return;
  }
  const qcell::HeaderSection& section = *parsed;
  require(section.body_offset <= text.size());
  std::size_t total = 0;
  for (const qcell::HeaderField& field : section.fields) {
    require(field.raw.size() <= options.field);
    require(field.name_length > 0 && field.value_offset > field.name_length);
    require(field.raw[field.value_offset - 1] == ':');
    for (char c : field.name()) {
      const auto byte = static_cast<unsigned char>(c);
      require(byte > 32 && byte < 127 && c != ':');
    }
    for (std::size_t i = 0; i < field.raw.size(); ++i) {
      if (field.raw[i] == '\n')
        require(i + 1 < field.raw.size() && (field.raw[i + 1] == ' ' || field.raw[i + 1] == '\t'));
    }
    // An mbox "From " line is kept with "MBOX-Line: " in front, bytes the
    // input did not have; the section limit counts input bytes.
    const bool mbox_line = options.mbox_from_line && field.raw.rfind("MBOX-Line: From ", 0) == 0;
    total += field.raw.size() + 1 - (mbox_line ? 11 : 0);
    check_address_list(field.value());
  }
  require(total <= options.section + 1);
  switch (section.end) {
    case qcell::HeaderEnd::blank_line:
      require(section.body_offset >= 1 && text[section.body_offset - 1] == '\n');
      require(section.body_offset == 1 || text[section.body_offset - 2] == '\n');
      break;
    case qcell::HeaderEnd::body_line:
      require(section.body_offset == 0 || text[section.body_offset - 1] == '\n');
      require(section.body_offset < text.size());
      break;
    case qcell::HeaderEnd::end_of_input: require(section.body_offset == text.size()); break;
  }
  // The header section alone (up to its end) gives the same fields.
  if (section.end != qcell::HeaderEnd::end_of_input) {
    auto alone = qcell::parse_header_section(qcell::as_bytes(text.substr(0, section.body_offset)), options);
    require(alone.ok());
    require(alone->fields.size() == section.fields.size());
    for (std::size_t i = 0; i < section.fields.size(); ++i) require(alone->fields[i].raw == section.fields[i].raw);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_section(text, qcell::HeaderOptions{});
  qcell::HeaderOptions small;
  small.section = 200;
  small.field = 64;
  small.mbox_from_line = true;
  check_section(text, small);
  check_address_list(text);
  return 0;
}
