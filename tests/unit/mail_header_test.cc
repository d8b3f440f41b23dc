// mail_header_test.cc — parse_header_section (fields, continuations, the three
// ways a header section ends, the mbox From line, both limits at their exact
// boundaries, a prefix of a longer stream) and parse_address_list (display
// names, comments, quoted strings, groups, angle addresses, source routes,
// white space between addresses, every AddressListError) with the
// formatting functions.
#include "core/mail_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/byte_buffer.h"

namespace qcell {
namespace {

HeaderSection section_of(std::string_view message, const HeaderOptions& options = {}) {
  auto parsed = parse_header_section(as_bytes(message), options);
  if (!parsed.ok()) {
    ADD_FAILURE() << "refused: " << describe(parsed.error());
    return {};
  }
  return std::move(parsed.value());
}

HeaderError header_error_of(std::string_view message, const HeaderOptions& options) {
  auto parsed = parse_header_section(as_bytes(message), options);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly";
    return static_cast<HeaderError>(-1);
  }
  return parsed.error();
}

TEST(HeaderSection, SplitsFieldsAndFindsBlankLine) {
  const std::string message = "Subject: hello\nTo: a@b\n\nbody\n";
  const HeaderSection section = section_of(message);
  ASSERT_EQ(section.fields.size(), 2u);
  EXPECT_EQ(section.fields[0].raw, "Subject: hello");
  EXPECT_EQ(section.fields[0].name(), "Subject");
  EXPECT_EQ(section.fields[0].value(), " hello");
  EXPECT_EQ(section.fields[1].name(), "To");
  EXPECT_EQ(section.end, HeaderEnd::blank_line);
  EXPECT_EQ(message.substr(section.body_offset), "body\n");
  EXPECT_FALSE(section.unterminated_last_line);
}

TEST(HeaderSection, ContinuationLinesBelongToTheirField) {
  const HeaderSection section = section_of("To: a@b,\n c@d,\n\te@f\nX: y\n\n");
  ASSERT_EQ(section.fields.size(), 2u);
  EXPECT_EQ(section.fields[0].raw, "To: a@b,\n c@d,\n\te@f");
  EXPECT_EQ(section.fields[0].value(), " a@b,\n c@d,\n\te@f");
  EXPECT_EQ(section.fields[1].raw, "X: y");
}

TEST(HeaderSection, SpaceBeforeColonAndEmptyValue) {
  const HeaderSection section = section_of("Subject \t: x\nEmpty:\n\n");
  ASSERT_EQ(section.fields.size(), 2u);
  EXPECT_EQ(section.fields[0].name(), "Subject");
  EXPECT_EQ(section.fields[0].value(), " x");
  EXPECT_EQ(section.fields[1].name(), "Empty");
  EXPECT_EQ(section.fields[1].value(), "");
}

TEST(HeaderSection, NameIsCaseInsensitiveForIs) {
  const HeaderSection section = section_of("rEsEnT-tO: x\n");
  ASSERT_EQ(section.fields.size(), 1u);
  EXPECT_TRUE(section.fields[0].is("Resent-To"));
  EXPECT_FALSE(section.fields[0].is("Resent-T"));
  EXPECT_FALSE(section.fields[0].is("Resent-Cc"));
}

TEST(HeaderSection, NonHeaderLineStartsTheBody) {
  const std::string message = "Subject: x\nthis is the body\nTo: not a field\n";
  const HeaderSection section = section_of(message);
  ASSERT_EQ(section.fields.size(), 1u);
  EXPECT_EQ(section.end, HeaderEnd::body_line);
  EXPECT_EQ(message.substr(section.body_offset), "this is the body\nTo: not a field\n");
}

TEST(HeaderSection, LinesThatAreNotFields) {
  // No colon, a space inside the name, a colon first, a control byte in the
  // name, a continuation before any field, CRLF as a "blank" line.
  for (std::string_view first_line :
       {"no colon here\n", "Two words: x\n", ": x\n", "Na\x01me: x\n", " indented: x\n", "\r\n"}) {
    const std::string message = std::string(first_line) + "To: a\n";
    const HeaderSection section = section_of(message);
    EXPECT_TRUE(section.fields.empty()) << first_line;
    EXPECT_EQ(section.end, HeaderEnd::body_line) << first_line;
    EXPECT_EQ(section.body_offset, 0u) << first_line;
  }
}

TEST(HeaderSection, MessageWithoutBody) {
  const std::string message = "Subject: x\nTo: y";
  const HeaderSection section = section_of(message);
  ASSERT_EQ(section.fields.size(), 2u);
  EXPECT_EQ(section.fields[1].raw, "To: y");
  EXPECT_EQ(section.end, HeaderEnd::end_of_input);
  EXPECT_EQ(section.body_offset, message.size());
  EXPECT_TRUE(section.unterminated_last_line);

  const HeaderSection terminated = section_of("Subject: x\n");
  EXPECT_EQ(terminated.end, HeaderEnd::end_of_input);
  EXPECT_FALSE(terminated.unterminated_last_line);
}

TEST(HeaderSection, EmptyMessageAndBlankFirstLine) {
  const HeaderSection empty = section_of("");
  EXPECT_TRUE(empty.fields.empty());
  EXPECT_EQ(empty.end, HeaderEnd::end_of_input);
  EXPECT_EQ(empty.body_offset, 0u);

  const HeaderSection blank = section_of("\nbody\n");
  EXPECT_TRUE(blank.fields.empty());
  EXPECT_EQ(blank.end, HeaderEnd::blank_line);
  EXPECT_EQ(blank.body_offset, 1u);
}

TEST(HeaderSection, BytesAreOpaqueInValues) {
  const std::string message = std::string("X: a\0b\r\xff\n\nbody", 14);
  const HeaderSection section = section_of(message);
  ASSERT_EQ(section.fields.size(), 1u);
  EXPECT_EQ(section.fields[0].value(), std::string(" a\0b\r\xff", 6));
}

TEST(HeaderSection, MboxFromLineOnlyWhenAsked) {
  const std::string message = "From joe@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\n";
  const HeaderSection plain = section_of(message);
  EXPECT_TRUE(plain.fields.empty());
  EXPECT_EQ(plain.end, HeaderEnd::body_line);

  HeaderOptions options;
  options.mbox_from_line = true;
  const HeaderSection mbox = section_of(message, options);
  ASSERT_EQ(mbox.fields.size(), 2u);
  EXPECT_EQ(mbox.fields[0].raw, "MBOX-Line: From joe@example.com Mon Jan  1 00:00:00 2024");
  EXPECT_EQ(mbox.fields[0].name(), "MBOX-Line");
  EXPECT_EQ(mbox.fields[0].value(), " From joe@example.com Mon Jan  1 00:00:00 2024");
  EXPECT_EQ(mbox.fields[1].name(), "Subject");
}

TEST(HeaderSection, FieldLimitAtItsBoundary) {
  HeaderOptions options;
  options.field = 20;
  // "X: " + 17 bytes = 20: accepted; 21 refused.
  const std::string exact = "X: " + std::string(17, 'a') + "\n\n";
  EXPECT_EQ(section_of(exact, options).fields.at(0).raw.size(), 20u);
  EXPECT_EQ(header_error_of("X: " + std::string(18, 'a') + "\n\n", options), HeaderError::field_too_large);
  // Continuations count, with their LF: "X: aaaa" (7) + "\n" + " " + 11 = 20.
  const std::string folded = "X: aaaa\n " + std::string(11, 'b') + "\n\n";
  EXPECT_EQ(section_of(folded, options).fields.at(0).raw.size(), 20u);
  EXPECT_EQ(header_error_of("X: aaaa\n " + std::string(12, 'b') + "\n\n", options), HeaderError::field_too_large);
}

TEST(HeaderSection, SectionLimitAtItsBoundary) {
  HeaderOptions options;
  options.section = 30;
  // Three fields of 10 bytes each (LF included) = 30: accepted.
  const std::string fields = "A: 123456\nB: 123456\nC: 123456\n";
  ASSERT_EQ(fields.size(), 30u);
  const HeaderSection section = section_of(fields + "\nbody", options);
  EXPECT_EQ(section.fields.size(), 3u);
  EXPECT_EQ(section.end, HeaderEnd::blank_line);
  // One more byte of header: refused.
  EXPECT_EQ(header_error_of("A: 1234567\nB: 123456\nC: 123456\n\nbody", options), HeaderError::section_too_large);
  // A first line longer than the section without any LF at all.
  EXPECT_EQ(header_error_of("X: " + std::string(100, 'a'), options), HeaderError::section_too_large);
  // A long body does not count.
  EXPECT_EQ(section_of("A: 1\n\n" + std::string(1000, 'b'), options).fields.size(), 1u);
}

TEST(HeaderSection, OnlyTheWindowIsExamined) {
  // A header section of 10 MiB without LF is refused after section+1 bytes,
  // whatever follows (here, bytes that would end it much later).
  HeaderOptions options;
  options.section = 64;
  std::string huge(10 * 1024 * 1024, 'a');
  huge.replace(0, 3, "X: ");
  huge += "\n\n";
  EXPECT_EQ(header_error_of(huge, options), HeaderError::section_too_large);
}

TEST(HeaderSection, DefaultLimitsComeFromLimitsH) {
  const HeaderOptions options;
  EXPECT_EQ(options.section, limits::header_section);
  EXPECT_EQ(options.field, limits::header_field);
  const std::string big = "X: " + std::string(limits::header_field - 3, 'a') + "\n\n";
  EXPECT_EQ(section_of(big).fields.size(), 1u);
  EXPECT_EQ(header_error_of("X: " + std::string(limits::header_field - 2, 'a') + "\n\n", options),
            HeaderError::field_too_large);
}

TEST(HeaderSection, DescribesEveryError) {
  EXPECT_EQ(describe(HeaderError::section_too_large), "header section too large");
  EXPECT_EQ(describe(HeaderError::field_too_large), "header field too long");
}

// --- address lists ---------------------------------------------------------------------

AddressList list_of(std::string_view value) {
  auto parsed = parse_address_list(value);
  if (!parsed.ok()) {
    ADD_FAILURE() << "refused: " << value << ": " << describe(parsed.error());
    return {};
  }
  return std::move(parsed.value());
}

AddressListError list_error_of(std::string_view value) {
  auto parsed = parse_address_list(value);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly: " << value;
    return static_cast<AddressListError>(-1);
  }
  return parsed.error();
}

const Mailbox& mailbox_at(const AddressList& list, std::size_t index) {
  static const Mailbox none;
  if (index >= list.size() || !std::holds_alternative<Mailbox>(list[index])) {
    ADD_FAILURE() << "no mailbox at " << index;
    return none;
  }
  return std::get<Mailbox>(list[index]);
}

TEST(AddressList, BareAddresses) {
  const AddressList list = list_of(" joe@example.com, fred ,x.y@[10.0.0.1]");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(mailbox_at(list, 0).local, "joe");
  EXPECT_EQ(mailbox_at(list, 0).domain, "example.com");
  EXPECT_FALSE(mailbox_at(list, 0).angle);
  EXPECT_EQ(mailbox_at(list, 1).local, "fred");
  EXPECT_EQ(mailbox_at(list, 1).domain, "");
  EXPECT_EQ(mailbox_at(list, 2).local, "x.y");
  EXPECT_EQ(mailbox_at(list, 2).domain, "[10.0.0.1]");
}

TEST(AddressList, DisplayNamesAndAngleAddresses) {
  const AddressList list = list_of("Joe Q. Public <joe@example.com>, \"Blow, Fred\" <fred@x.org>, <bare@y>");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(mailbox_at(list, 0).display_name, "Joe Q. Public");
  EXPECT_TRUE(mailbox_at(list, 0).angle);
  EXPECT_EQ(mailbox_at(list, 1).display_name, "\"Blow, Fred\"");
  EXPECT_EQ(mailbox_at(list, 1).local, "fred");
  EXPECT_EQ(mailbox_at(list, 2).display_name, "");
  EXPECT_TRUE(mailbox_at(list, 2).angle);
  EXPECT_EQ(format_address_list(list, 4), "Joe Q. Public <joe@example.com>, \"Blow, Fred\" <fred@x.org>, <bare@y>");
}

TEST(AddressList, CommentsAreKeptWithTheirMailbox) {
  const AddressList list = list_of("joe@x (Joe Blow), (before) fred@y (after) (two), Ann <ann@z> (note)");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(mailbox_at(list, 0).comments, std::vector<std::string>{"(Joe Blow)"});
  EXPECT_EQ(mailbox_at(list, 1).comments, (std::vector<std::string>{"(before)", "(after)", "(two)"}));
  EXPECT_EQ(mailbox_at(list, 2).comments, std::vector<std::string>{"(note)"});
  EXPECT_EQ(format_mailbox(mailbox_at(list, 1)), "fred@y (before) (after) (two)");
}

TEST(AddressList, CommentsAroundCommasAreNotLost) {
  const AddressList list = list_of("(lead), a@x (one) , (two) b@y, g: (three), c@z (four), ; (five), -");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(mailbox_at(list, 0).comments, (std::vector<std::string>{"(lead)", "(one)"}));
  EXPECT_EQ(mailbox_at(list, 1).comments, std::vector<std::string>{"(two)"});
  const auto& group = std::get<AddressGroup>(list[2]);
  ASSERT_EQ(group.members.size(), 1u);
  EXPECT_EQ(group.members[0].comments, (std::vector<std::string>{"(three)", "(four)"}));
  EXPECT_EQ(group.comments, std::vector<std::string>{"(five)"});
  EXPECT_EQ(format_address_list(list, 0), "a@x (lead) (one), b@y (two), g: c@z (three) (four); (five), -");
}

TEST(AddressList, NestedCommentsAndEscapes) {
  const AddressList list = list_of("joe(a (nested) \\) comment)@x");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(mailbox_at(list, 0).local, "joe");
  EXPECT_EQ(mailbox_at(list, 0).domain, "x");
  EXPECT_EQ(mailbox_at(list, 0).comments, std::vector<std::string>{"(a (nested) \\) comment)"});
}

TEST(AddressList, QuotedLocalPartsAreDecoded) {
  const AddressList list = list_of("\"joe blow\"@x, \"a\\\"b\\\\c\"@y, \"folded\n line\"@z");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(mailbox_at(list, 0).local, "joe blow");
  EXPECT_EQ(mailbox_at(list, 1).local, "a\"b\\c");
  EXPECT_EQ(mailbox_at(list, 2).local, "folded line");
  EXPECT_EQ(format_mailbox(mailbox_at(list, 0)), "\"joe blow\"@x");
  EXPECT_EQ(format_mailbox(mailbox_at(list, 1)), "\"a\\\"b\\\\c\"@y");
  // A quoted dot-atom is written without quotes.
  EXPECT_EQ(format_mailbox(mailbox_at(list_of("\"joe\"@x"), 0)), "joe@x");
}

TEST(AddressList, Groups) {
  const AddressList list = list_of("Friends: a@x, Bob <b@y>;, undisclosed-recipients:;, c@z");
  ASSERT_EQ(list.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<AddressGroup>(list[0]));
  const auto& friends = std::get<AddressGroup>(list[0]);
  EXPECT_EQ(friends.name, "Friends");
  ASSERT_EQ(friends.members.size(), 2u);
  EXPECT_EQ(friends.members[1].display_name, "Bob");
  const auto& empty = std::get<AddressGroup>(list[1]);
  EXPECT_EQ(empty.name, "undisclosed-recipients");
  EXPECT_TRUE(empty.members.empty());
  EXPECT_EQ(mailbox_at(list, 2).local, "c");
  EXPECT_EQ(format_address_list(list, 0), "Friends: a@x, Bob <b@y>;, undisclosed-recipients: ;, c@z");

  std::vector<std::string> all;
  AddressList copy = list;
  for_each_mailbox(copy, [&](Mailbox& mailbox) { all.push_back(envelope_address(mailbox)); });
  EXPECT_EQ(all, (std::vector<std::string>{"a@x", "b@y", "c@z"}));
}

TEST(AddressList, RecipientListNotShown) {
  const AddressList list = list_of(" recipient list not shown: ;");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(std::get<AddressGroup>(list[0]).name, "recipient list not shown");
  EXPECT_EQ(format_address_list(list, 4), "recipient list not shown: ;");
}

TEST(AddressList, SourceRoutesAreDropped) {
  const AddressList list = list_of("<@relay1.example,@relay2.example:joe@x.org>, @r.example:fred@y");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_TRUE(mailbox_at(list, 0).had_source_route);
  EXPECT_EQ(envelope_address(mailbox_at(list, 0)), "joe@x.org");
  EXPECT_EQ(format_mailbox(mailbox_at(list, 0)), "<joe@x.org>");
  EXPECT_TRUE(mailbox_at(list, 1).had_source_route);
  EXPECT_EQ(envelope_address(mailbox_at(list, 1)), "fred@y");
}

TEST(AddressList, WhiteSpaceBetweenAddressesSeparatesThem) {
  const AddressList list = list_of("joe fred@x <ann@y> bob");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(envelope_address(mailbox_at(list, 0)), "joe");
  EXPECT_EQ(envelope_address(mailbox_at(list, 1)), "fred@x");
  EXPECT_EQ(envelope_address(mailbox_at(list, 2)), "ann@y");
  EXPECT_EQ(envelope_address(mailbox_at(list, 3)), "bob");
  EXPECT_EQ(format_address_list(list, 4), "joe, fred@x, <ann@y>, bob");
}

TEST(AddressList, ObsoleteWhiteSpaceAroundDotsAndAt) {
  const AddressList list = list_of("joe . blow @ example . com");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(envelope_address(mailbox_at(list, 0)), "joe.blow@example.com");
}

TEST(AddressList, NullAddress) {
  const AddressList list = list_of(" <>");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(mailbox_at(list, 0).is_null);
  EXPECT_EQ(envelope_address(mailbox_at(list, 0)), "");
  EXPECT_EQ(format_mailbox(mailbox_at(list, 0)), "<>");
}

TEST(AddressList, EmptyElementsAndCommentOnlyValues) {
  EXPECT_TRUE(list_of("").empty());
  EXPECT_TRUE(list_of("  \t\n ").empty());
  EXPECT_TRUE(list_of(" (nobody)").empty());
  EXPECT_EQ(list_of(",,a@b,,").size(), 1u);
}

TEST(AddressList, EightBitBytesAreAtomText) {
  const AddressList list = list_of("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc.example>");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(mailbox_at(list, 0).display_name, "J\xc3\xb6rg");
  EXPECT_EQ(mailbox_at(list, 0).domain, "b\xc3\xbc.example");
}

TEST(AddressList, WhiteSpaceInsideADomainLiteralIsFolding) {
  const AddressList list = list_of("a@[ 10.0.0.1\n ], b@[: 10.0.0.::1]");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(mailbox_at(list, 0).domain, "[10.0.0.1]");
  EXPECT_EQ(mailbox_at(list, 1).domain, "[:10.0.0.::1]");
}

TEST(AddressList, FinalDotInDomainIsKept) {
  EXPECT_EQ(envelope_address(mailbox_at(list_of("a@example.com."), 0)), "a@example.com.");
}

TEST(AddressList, EveryError) {
  EXPECT_EQ(list_error_of(std::string(limits::header_field + 1, 'a')), AddressListError::too_long);
  EXPECT_EQ(list_error_of(std::string("a\0b@c", 5)), AddressListError::bad_character);
  EXPECT_EQ(list_error_of("a\x01@b"), AddressListError::bad_character);
  EXPECT_EQ(list_error_of(std::string("\"a\0\"@b", 6)), AddressListError::bad_character);
  EXPECT_EQ(list_error_of("\"abc@d"), AddressListError::unterminated_quoted_string);
  EXPECT_EQ(list_error_of("\"abc\\\"@d"), AddressListError::unterminated_quoted_string);
  EXPECT_EQ(list_error_of("a@b (comment"), AddressListError::unterminated_comment);
  EXPECT_EQ(list_error_of("a@b (x (y)"), AddressListError::unterminated_comment);
  EXPECT_EQ(list_error_of("a@[1.2.3.4"), AddressListError::unterminated_domain_literal);
  EXPECT_EQ(list_error_of("Joe <joe@x"), AddressListError::unterminated_angle_address);
  EXPECT_EQ(list_error_of("Joe <"), AddressListError::unterminated_angle_address);
  EXPECT_EQ(list_error_of("a@b>"), AddressListError::unexpected_character);
  EXPECT_EQ(list_error_of("a@b)"), AddressListError::unexpected_character);
  EXPECT_EQ(list_error_of("a\\b@c"), AddressListError::unexpected_character);
  EXPECT_EQ(list_error_of("a@[1[2]"), AddressListError::unexpected_character);
  EXPECT_EQ(list_error_of("a@b; c@d"), AddressListError::unexpected_semicolon);
  EXPECT_EQ(list_error_of(";"), AddressListError::unexpected_semicolon);
  EXPECT_EQ(list_error_of(": a"), AddressListError::unexpected_colon);
  EXPECT_EQ(list_error_of("a@b: c"), AddressListError::unexpected_colon);
  EXPECT_EQ(list_error_of("g: h: a;;"), AddressListError::nested_group);
  EXPECT_EQ(list_error_of("g: a@b, c@d"), AddressListError::unterminated_group);
  EXPECT_EQ(list_error_of("@example.com"), AddressListError::empty_local_part);
  EXPECT_EQ(list_error_of("\"\"@example.com"), AddressListError::empty_local_part);
  EXPECT_EQ(list_error_of("a@b\"\""), AddressListError::empty_local_part);
  EXPECT_EQ(list_error_of("<@example.com>"), AddressListError::bad_source_route);
  EXPECT_EQ(list_error_of("Joe <@x.org:>"), AddressListError::empty_local_part);
  EXPECT_EQ(list_error_of("joe@"), AddressListError::missing_domain);
  EXPECT_EQ(list_error_of("joe@, b"), AddressListError::missing_domain);
  EXPECT_EQ(list_error_of("joe@a..b"), AddressListError::bad_domain);
  EXPECT_EQ(list_error_of("joe@.b"), AddressListError::bad_domain);
  EXPECT_EQ(list_error_of("joe@\"b\""), AddressListError::bad_domain);
  EXPECT_EQ(list_error_of("joe@[\\ ]"), AddressListError::bad_domain);
  EXPECT_EQ(list_error_of("a@b@c"), AddressListError::extra_at_sign);
  EXPECT_EQ(list_error_of("<a@b@c>"), AddressListError::extra_at_sign);
  EXPECT_EQ(list_error_of("<@a joe@b>"), AddressListError::bad_source_route);
  EXPECT_EQ(list_error_of("<a@b c>"), AddressListError::bad_angle_address);
}

TEST(AddressList, DescribesEveryError) {
  for (int code = 0; code <= static_cast<int>(AddressListError::bad_angle_address); ++code) {
    const std::string_view text = describe(static_cast<AddressListError>(code));
    EXPECT_FALSE(text.empty());
    EXPECT_NE(text, "unknown address list error") << code;
  }
}

TEST(AddressList, SpanOverloadAgrees) {
  const std::string value = "Joe <joe@x>, fred";
  auto from_text = parse_address_list(value);
  auto from_bytes = parse_address_list(as_bytes(value));
  ASSERT_TRUE(from_text.ok() && from_bytes.ok());
  EXPECT_EQ(*from_text, *from_bytes);
}

TEST(AddressList, FormattingFoldsLongLists) {
  AddressList list;
  for (int i = 0; i < 6; ++i) {
    Mailbox mailbox;
    mailbox.local = "recipient" + std::to_string(i);
    mailbox.domain = "example.com";
    list.emplace_back(mailbox);
  }
  // "To: " then 6 addresses of 23 bytes: three fit on a line of 78.
  EXPECT_EQ(format_address_list(list, 4),
            "recipient0@example.com, recipient1@example.com, recipient2@example.com,\n"
            "  recipient3@example.com, recipient4@example.com, recipient5@example.com");
}

TEST(AddressList, FormatAddrSpecQuotesWhatIsNotADotAtom) {
  EXPECT_EQ(format_addr_spec("joe", "x"), "joe@x");
  EXPECT_EQ(format_addr_spec("joe.blow", ""), "joe.blow");
  EXPECT_EQ(format_addr_spec("a..b", "x"), "\"a..b\"@x");
  EXPECT_EQ(format_addr_spec(".a", "x"), "\".a\"@x");
  EXPECT_EQ(format_addr_spec("a b", "x"), "\"a b\"@x");
  EXPECT_EQ(format_addr_spec("a@b", "x"), "\"a@b\"@x");
  EXPECT_EQ(format_addr_spec("", "x"), "\"\"@x");
}

TEST(AddressList, FormattedListsParseBackToTheSameAddresses) {
  for (std::string_view value :
       {"Joe Q. Public <joe@example.com>, fred (Fred) , \"a b\"@c", "g: a@b, \"x\\\"y\"@z;, <@r:q@w>", "joe fred@x"}) {
    const AddressList first = list_of(value);
    const AddressList again = list_of(format_address_list(first, 4));
    ASSERT_EQ(first.size(), again.size()) << value;
    AddressList first_copy = first;
    AddressList again_copy = again;
    std::vector<std::string> a;
    std::vector<std::string> b;
    for_each_mailbox(first_copy, [&](Mailbox& m) { a.push_back(envelope_address(m)); });
    for_each_mailbox(again_copy, [&](Mailbox& m) { b.push_back(envelope_address(m)); });
    EXPECT_EQ(a, b) << value;
  }
}

}  // namespace
}  // namespace qcell
