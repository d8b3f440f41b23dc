// address_test.cc — parse_path and format_path: every AddressError, the
// length limits at their exact boundaries, quoting, source routes, address
// literals, UTF-8, and a path that claims to be 4 GiB long but is only read
// up to its limit.
#include "core/address.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/limits.h"

namespace qcell {
namespace {

AddressOptions strict() { return AddressOptions{}; }

AddressOptions permissive() {
  AddressOptions options;
  options.allow_null = true;
  options.allow_no_domain = true;
  return options;
}

AddressOptions utf8() {
  AddressOptions options;
  options.allow_utf8 = true;
  return options;
}

AddressOptions wide(std::size_t max_path) {
  AddressOptions options;
  options.max_path = max_path;
  return options;
}

// The error of a parse that must fail (a success is reported and mapped to a
// value no test expects).
AddressError error_of(std::string_view input, const AddressOptions& options = strict()) {
  auto parsed = parse_path(input, options);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly: " << input;
    return static_cast<AddressError>(-1);
  }
  return parsed.error();
}

// The path of a parse that must succeed and consume the whole input.
Path path_of(std::string_view input, const AddressOptions& options = strict()) {
  auto parsed = parse_path(input, options);
  if (!parsed.ok()) {
    ADD_FAILURE() << "refused: " << input << ": " << describe(parsed.error());
    return {};
  }
  EXPECT_EQ(parsed->consumed, input.size()) << input;
  return parsed->path;
}

bool accepts(std::string_view input, const AddressOptions& options = strict()) {
  return parse_path(input, options).ok();
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

// Labels of 62 joined by dots, then a last label of 1 to 63, making a domain
// of `length` bytes (at least 1).
std::string domain_of_length(std::size_t length) {
  std::string domain;
  while (length - domain.size() > 63) domain += repeat('d', 62) + ".";
  domain += repeat('e', length - domain.size());
  return domain;
}

// --- simple paths -------------------------------------------------------------

TEST(AddressParse, SimpleMailbox) {
  Path p = path_of("<user@example.com>");
  EXPECT_EQ(p.local, "user");
  EXPECT_EQ(p.domain, "example.com");
  EXPECT_FALSE(p.is_null);
  EXPECT_FALSE(p.was_quoted);
  EXPECT_FALSE(p.had_source_route);
  EXPECT_EQ(p.envelope(), "user@example.com");
}

TEST(AddressParse, PreservesCase) {
  Path p = path_of("<User.Name@Example.COM>");
  EXPECT_EQ(p.local, "User.Name");
  EXPECT_EQ(p.domain, "Example.COM");
}

TEST(AddressParse, AcceptsEveryAtextCharacter) {
  Path p = path_of("<!#$%&'*+-/=?^_`{|}~.a1@x>");
  EXPECT_EQ(p.local, "!#$%&'*+-/=?^_`{|}~.a1");
}

TEST(AddressParse, SingleLabelDomainAndDigits) {
  EXPECT_EQ(path_of("<a@localhost>").domain, "localhost");
  EXPECT_EQ(path_of("<a@123.example>").domain, "123.example");
  EXPECT_EQ(path_of("<a@x-y.z>").domain, "x-y.z");
  EXPECT_EQ(path_of("<a@x--y.z>").domain, "x--y.z");
}

TEST(AddressParse, ConsumedStopsAtCloseBracketBeforeParameters) {
  auto parsed = parse_path("<a@b> SIZE=10 BODY=8BITMIME", strict());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->consumed, 5u);
  EXPECT_EQ(parsed->path.envelope(), "a@b");
}

TEST(AddressParse, BytesAfterCloseBracketAreNotExamined) {
  std::string input = "<a@b>";
  input.push_back('\0');
  input += "\xff\xfe garbage \"unterminated";
  auto parsed = parse_path(input, strict());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->consumed, 5u);
}

TEST(AddressParse, ByteSpanOverload) {
  const char raw[] = "<a@b>";
  auto parsed = parse_path(std::as_bytes(std::span(raw, 5)), strict());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path.envelope(), "a@b");
}

// --- null path and domainless mailbox -------------------------------------------

TEST(AddressParse, NullPathOnlyWhenAllowed) {
  EXPECT_EQ(error_of("<>"), AddressError::null_path_not_allowed);
  auto parsed = parse_path("<> SIZE=1", permissive());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->path.is_null);
  EXPECT_EQ(parsed->consumed, 2u);
  EXPECT_EQ(parsed->path.envelope(), "");
  EXPECT_EQ(format_path(parsed->path), "<>");
}

TEST(AddressParse, DomainlessMailboxOnlyWhenAllowed) {
  EXPECT_EQ(error_of("<postmaster>"), AddressError::missing_at_sign);
  Path p = path_of("<postmaster>", permissive());
  EXPECT_EQ(p.local, "postmaster");
  EXPECT_EQ(p.domain, "");
  EXPECT_FALSE(p.is_null);
  EXPECT_EQ(p.envelope(), "postmaster");
}

TEST(AddressParse, DomainlessLocalPartMustNotHideAnAtSign) {
  // Its envelope "a@victim.example" would name a remote mailbox while the
  // parsed domain says local: a relay-check bypass.
  EXPECT_EQ(error_of("<\"a@victim.example\">", permissive()), AddressError::at_sign_in_domainless_local_part);
  // With a domain the last '@' decides, as in qmail.
  Path p = path_of("<\"a@b\"@c>");
  EXPECT_EQ(p.local, "a@b");
  EXPECT_EQ(p.domain, "c");
}

// --- quoted local parts -----------------------------------------------------------

TEST(AddressParse, QuotedLocalPartIsDecoded) {
  Path p = path_of("<\"a b\"@x>");
  EXPECT_EQ(p.local, "a b");
  EXPECT_TRUE(p.was_quoted);
  EXPECT_EQ(p.envelope(), "a b@x");
}

TEST(AddressParse, QuotedPairsAreUnescaped) {
  EXPECT_EQ(path_of(R"(<"a\"b"@x>)").local, "a\"b");
  EXPECT_EQ(path_of(R"(<"a\\b"@x>)").local, "a\\b");
  EXPECT_EQ(path_of(R"(<"\a\ \~"@x>)").local, "a ~");
  EXPECT_EQ(path_of(R"(<"<>,;:@[]"@x>)").local, "<>,;:@[]");
}

TEST(AddressParse, QuotedCloseBracketDoesNotEndThePath) {
  auto parsed = parse_path(R"(<"a>b"@x> SIZE=1)", strict());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path.local, "a>b");
  EXPECT_EQ(parsed->consumed, 9u);
  auto escaped = parse_path(R"(<"a\">"@x>)", strict());
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->path.local, "a\">");
}

TEST(AddressParse, QuotedStringErrors) {
  EXPECT_EQ(error_of("<\"abc"), AddressError::unterminated_quoted_string);
  EXPECT_EQ(error_of("<\"abc\\"), AddressError::unterminated_quoted_string);
  EXPECT_EQ(error_of(std::string("<\"a\0b\"@x>", 9)), AddressError::bad_quoted_character);
  EXPECT_EQ(error_of("<\"a\tb\"@x>"), AddressError::bad_quoted_character);
  EXPECT_EQ(error_of("<\"a\rb\"@x>"), AddressError::bad_quoted_character);
  EXPECT_EQ(error_of("<\"a\x7f\"@x>"), AddressError::bad_quoted_character);
  EXPECT_EQ(error_of("<\"a\\\nb\"@x>"), AddressError::bad_quoted_character);
  EXPECT_EQ(error_of("<\"a\xc3\xa9\"@x>"), AddressError::bad_quoted_character);
  EXPECT_EQ(error_of("<\"a\"b@x>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("<a\"b\"@x>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("<\"\"@x>"), AddressError::empty_local_part);
}

// --- dot-strings --------------------------------------------------------------------

TEST(AddressParse, DotStringErrors) {
  EXPECT_EQ(error_of("<.a@x>"), AddressError::bad_dot_string);
  EXPECT_EQ(error_of("<a.@x>"), AddressError::bad_dot_string);
  EXPECT_EQ(error_of("<a..b@x>"), AddressError::bad_dot_string);
  EXPECT_EQ(error_of("<a b@x>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("< a@x>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("<a(b)@x>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("<a\\b@x>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of(std::string("<a\0@x>", 6)), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("<a\xc3\xa9@x>"), AddressError::bad_local_part_character);
}

TEST(AddressParse, EmptyLocalPart) {
  EXPECT_EQ(error_of("<@x>"), AddressError::empty_local_part);
  EXPECT_EQ(error_of("<@a:@x>"), AddressError::empty_local_part);
}

// --- framing --------------------------------------------------------------------------

TEST(AddressParse, MissingBrackets) {
  EXPECT_EQ(error_of(""), AddressError::missing_open_bracket);
  EXPECT_EQ(error_of("a@b"), AddressError::missing_open_bracket);
  EXPECT_EQ(error_of(" <a@b>"), AddressError::missing_open_bracket);
  EXPECT_EQ(error_of("<"), AddressError::missing_close_bracket);
  EXPECT_EQ(error_of("<a"), AddressError::missing_close_bracket);
  EXPECT_EQ(error_of("<a@b"), AddressError::missing_close_bracket);
  EXPECT_EQ(error_of("<a@b.example"), AddressError::missing_close_bracket);
  EXPECT_EQ(error_of("<a@[1.2.3.4]"), AddressError::missing_close_bracket);
  EXPECT_EQ(error_of("<@a,@b"), AddressError::missing_close_bracket);
}

TEST(AddressParse, NoSpacesOutsideQuotes) {
  EXPECT_EQ(error_of("<a@b >"), AddressError::bad_domain_character);
  EXPECT_EQ(error_of("<a @b>"), AddressError::bad_local_part_character);
  EXPECT_EQ(error_of("<a@ b>"), AddressError::bad_domain_character);
  EXPECT_EQ(error_of("<a@[1.2.3.4] >"), AddressError::trailing_garbage_inside_brackets);
}

TEST(AddressParse, TrailingGarbageAfterAddressLiteral) {
  EXPECT_EQ(error_of("<a@[1.2.3.4]x>"), AddressError::trailing_garbage_inside_brackets);
  EXPECT_EQ(error_of("<a@[1.2.3.4].x>"), AddressError::trailing_garbage_inside_brackets);
}

// --- domains ------------------------------------------------------------------------------

TEST(AddressParse, DomainErrors) {
  EXPECT_EQ(error_of("<a@>"), AddressError::empty_domain);
  EXPECT_EQ(error_of("<a@b.>"), AddressError::empty_domain_label);
  EXPECT_EQ(error_of("<a@.b>"), AddressError::empty_domain_label);
  EXPECT_EQ(error_of("<a@b..c>"), AddressError::empty_domain_label);
  EXPECT_EQ(error_of("<a@b_c>"), AddressError::bad_domain_character);
  EXPECT_EQ(error_of("<a@b@c>"), AddressError::bad_domain_character);
  EXPECT_EQ(error_of("<a@\"b\">"), AddressError::bad_domain_character);
  EXPECT_EQ(error_of(std::string("<a@b\0c>", 7)), AddressError::bad_domain_character);
  EXPECT_EQ(error_of("<a@b\xc3\xa9>"), AddressError::bad_domain_character);
  EXPECT_EQ(error_of("<a@-b.c>"), AddressError::bad_label_hyphen);
  EXPECT_EQ(error_of("<a@b-.c>"), AddressError::bad_label_hyphen);
  EXPECT_EQ(error_of("<a@b.c->"), AddressError::bad_label_hyphen);
  EXPECT_EQ(error_of("<a@->"), AddressError::bad_label_hyphen);
}

// --- limits at their boundaries ----------------------------------------------------

TEST(AddressLimits, LocalPartOf64AcceptedAnd65Refused) {
  EXPECT_EQ(path_of("<" + repeat('l', 64) + "@x>").local.size(), 64u);
  EXPECT_EQ(error_of("<" + repeat('l', 65) + "@x>"), AddressError::local_part_too_long);
}

TEST(AddressLimits, QuotedLocalPartIsCountedAsWritten) {
  // 62 bytes inside the quotes: 64 on the wire.
  EXPECT_EQ(path_of("<\"" + repeat('q', 62) + "\"@x>").local.size(), 62u);
  EXPECT_EQ(error_of("<\"" + repeat('q', 63) + "\"@x>"), AddressError::local_part_too_long);
  // 31 escaped bytes: 62 inside the quotes, 64 on the wire, 31 decoded.
  std::string escaped;
  for (int i = 0; i < 31; ++i) escaped += "\\q";
  EXPECT_EQ(path_of("<\"" + escaped + "\"@x>").local.size(), 31u);
  EXPECT_EQ(error_of("<\"" + escaped + "\\q\"@x>"), AddressError::local_part_too_long);
}

TEST(AddressLimits, LabelOf63AcceptedAnd64Refused) {
  EXPECT_EQ(path_of("<a@" + repeat('l', 63) + ".example>").domain.size(), 63u + 8u);
  EXPECT_EQ(error_of("<a@" + repeat('l', 64) + ".example>"), AddressError::label_too_long);
  EXPECT_EQ(error_of("<a@example." + repeat('l', 64) + ">"), AddressError::label_too_long);
}

TEST(AddressLimits, DomainOf255AcceptedAnd256Refused) {
  // A domain of 255 does not fit in a 256-byte path, so widen the path.
  const std::string d255 = repeat('d', 63) + "." + repeat('d', 63) + "." + repeat('d', 63) + "." + repeat('d', 63);
  ASSERT_EQ(d255.size(), 255u);
  EXPECT_EQ(path_of("<a@" + d255 + ">", wide(1000)).domain, d255);
  const std::string d256 = domain_of_length(256);
  ASSERT_EQ(d256.size(), 256u);
  EXPECT_EQ(error_of("<a@" + d256 + ">", wide(1000)), AddressError::domain_too_long);
  // In a default-sized path the path limit is the one that bites first.
  EXPECT_EQ(error_of("<a@" + d255 + ">"), AddressError::path_too_long);
}

TEST(AddressLimits, AddressLiteralCountsTowardsDomainLength) {
  const std::string tag_content = "x:" + repeat('c', 251);  // 253 inside, 255 with brackets
  EXPECT_EQ(path_of("<a@[" + tag_content + "]>", wide(1000)).domain.size(), 255u);
  EXPECT_EQ(error_of("<a@[" + tag_content + "c]>", wide(1000)), AddressError::domain_too_long);
}

TEST(AddressLimits, PathOf256AcceptedAnd257Refused) {
  // '<' + 64 + '@' + 189 + '>' = 256.
  const std::string local = repeat('l', 64);
  const std::string p256 = "<" + local + "@" + domain_of_length(189) + ">";
  ASSERT_EQ(p256.size(), 256u);
  auto parsed = parse_path(p256, strict());
  ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
  EXPECT_EQ(parsed->consumed, 256u);
  const std::string p257 = "<" + local + "@" + domain_of_length(190) + ">";
  ASSERT_EQ(p257.size(), 257u);
  EXPECT_EQ(error_of(p257), AddressError::path_too_long);
  // The limit applies to the path, not to parameters after it.
  EXPECT_TRUE(accepts(p256 + " SIZE=" + repeat('9', 1000)));
}

TEST(AddressLimits, SourceRouteCountsTowardsPathLength) {
  const std::string mailbox = "a@" + domain_of_length(200);
  EXPECT_TRUE(accepts("<" + mailbox + ">"));
  EXPECT_EQ(error_of("<@" + domain_of_length(60) + ":" + mailbox + ">"), AddressError::path_too_long);
}

TEST(AddressLimits, LengthIsCheckedBeforeContent) {
  // A bad character early in an overlong path still reports the length.
  EXPECT_EQ(error_of("<a b" + repeat('c', 300) + "@x>"), AddressError::path_too_long);
  EXPECT_EQ(error_of("<" + repeat('\0', 300) + ">"), AddressError::path_too_long);
}

TEST(AddressLimits, CallerMayLowerTheLimit) {
  EXPECT_TRUE(accepts("<ab@cd>", wide(7)));
  EXPECT_EQ(error_of("<ab@cd>", wide(6)), AddressError::path_too_long);
  EXPECT_EQ(error_of("<>", wide(0)), AddressError::path_too_long);
}

TEST(AddressLimits, TenMegabytesAfterOpenBracketIsPathTooLong) {
  const std::string huge = "<" + repeat('a', 10 * 1024 * 1024);
  EXPECT_EQ(error_of(huge), AddressError::path_too_long);
  EXPECT_EQ(error_of(huge + ">"), AddressError::path_too_long);
  const std::string quoted = "<\"" + repeat('a', 10 * 1024 * 1024);
  EXPECT_EQ(error_of(quoted), AddressError::path_too_long);
}

TEST(AddressLimits, NeverReadsPastMaxPathEvenIfTheSpanClaimsGigabytes) {
  // The path's first max_path bytes end exactly at an inaccessible page; the
  // span claims 4 GiB. Reading one byte more than max_path would fault.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* map = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* base = static_cast<std::byte*>(map);
  ASSERT_EQ(::mprotect(base + page, page, PROT_NONE), 0);
  for (const char* fill : {"a", "\"", "\\"}) {
    std::byte* start = base + page - limits::path;
    std::memset(start, fill[0], limits::path);
    start[0] = std::byte{'<'};
    std::span<const std::byte> claimed(start, std::size_t{1} << 32);
    auto parsed = parse_path(claimed, strict());
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error(), AddressError::path_too_long) << fill;
  }
  ::munmap(map, 2 * page);
}

// --- source routes ------------------------------------------------------------------------

TEST(AddressParse, SourceRouteIsValidatedAndDiscarded) {
  Path p = path_of("<@a.example,@b.example:user@c.example>");
  EXPECT_EQ(p.local, "user");
  EXPECT_EQ(p.domain, "c.example");
  EXPECT_TRUE(p.had_source_route);
  EXPECT_EQ(p.envelope(), "user@c.example");
  EXPECT_EQ(format_path(p), "<user@c.example>");
  EXPECT_TRUE(path_of("<@a:\"q r\"@b>").was_quoted);
  EXPECT_EQ(path_of("<@a:postmaster>", permissive()).envelope(), "postmaster");
}

TEST(AddressParse, BadSourceRoutes) {
  EXPECT_EQ(error_of("<@:a@b>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@a,:u@b>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@a,b:u@c>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@a,,@b:u@c>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@-a:u@c>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@a.:u@c>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@[1.2.3.4]:u@c>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@a b:u@c>"), AddressError::bad_source_route);
  EXPECT_EQ(error_of("<@a;@b:u@c>"), AddressError::bad_source_route);
}

// --- address literals ---------------------------------------------------------------------

TEST(AddressLiteral, IPv4) {
  EXPECT_EQ(path_of("<a@[127.0.0.1]>").domain, "[127.0.0.1]");
  EXPECT_TRUE(accepts("<a@[0.0.0.0]>"));
  EXPECT_TRUE(accepts("<a@[255.255.255.255]>"));
  EXPECT_TRUE(accepts("<a@[10.0.100.9]>"));
  for (const char* bad : {"<a@[256.0.0.1]>", "<a@[1.2.3]>", "<a@[1.2.3.4.5]>", "<a@[01.2.3.4]>", "<a@[1.2.3.00]>",
                          "<a@[1.2.3.]>", "<a@[.1.2.3]>", "<a@[1..2.3]>", "<a@[1.2.3.4a]>", "<a@[1234.1.1.1]>",
                          "<a@[]>", "<a@[1.2.3.4>", "<a@[1.2.3.-4]>", "<a@[ 1.2.3.4]>", "<a@[1.2[3.4]>"}) {
    EXPECT_EQ(error_of(bad), AddressError::bad_address_literal) << bad;
  }
}

TEST(AddressLiteral, IPv6) {
  EXPECT_EQ(path_of("<a@[IPv6:::1]>").domain, "[IPv6:::1]");
  EXPECT_TRUE(accepts("<a@[IPv6:2001:db8::1]>"));
  EXPECT_TRUE(accepts("<a@[ipv6:2001:DB8:0:0:0:0:0:1]>"));
  EXPECT_TRUE(accepts("<a@[IPv6:::ffff:192.0.2.1]>"));
  EXPECT_TRUE(accepts("<a@[IPv6:0000:0000:0000:0000:0000:ffff:192.168.100.228]>"));
  for (const char* bad : {"<a@[IPv6:]>", "<a@[IPv6:1:2:3:4:5:6:7:8:9]>", "<a@[IPv6:2001:db8:::1]>",
                          "<a@[IPv6:12345::1]>", "<a@[IPv6:g::1]>", "<a@[IPv6:1::2::3]>", "<a@[IPv6:::1%eth0]>",
                          "<a@[IPv6:::ffff:256.0.0.1]>", "<a@[IPv6:1.2.3.4]>", "<a@[::1]>"}) {
    EXPECT_EQ(error_of(bad), AddressError::bad_address_literal) << bad;
  }
  // Longer than any IPv6 text form: refused before inet_pton sees it.
  EXPECT_EQ(error_of("<a@[IPv6:" + repeat('0', 60) + "::1]>"), AddressError::bad_address_literal);
}

TEST(AddressLiteral, General) {
  EXPECT_EQ(path_of("<a@[x-tag:any!content]>").domain, "[x-tag:any!content]");
  EXPECT_TRUE(accepts("<a@[Tag9:a:b:c]>"));
  for (const char* bad : {"<a@[tag:]>", "<a@[:x]>", "<a@[tag-:x]>", "<a@[t_g:x]>", "<a@[tag:a b]>", "<a@[tag:a\"b]>",
                          "<a@[tag:a<b]>", "<a@[tag:a>b]>", "<a@[tag:a\\b]>"}) {
    EXPECT_EQ(error_of(bad), AddressError::bad_address_literal) << bad;
  }
}

// --- UTF-8 -----------------------------------------------------------------------------------

TEST(AddressUtf8, AcceptedOnlyWithAllowUtf8) {
  const std::string address =
      "<j\xc3\xb6rg@b\xc3\xbc"
      "cher.example>";
  EXPECT_EQ(error_of(address), AddressError::bad_local_part_character);
  Path p = path_of(address, utf8());
  EXPECT_EQ(p.local, "j\xc3\xb6rg");
  EXPECT_EQ(p.domain,
            "b\xc3\xbc"
            "cher.example");
  EXPECT_EQ(format_path(p), address);
  // Quoted string, 3- and 4-byte sequences, U+10FFFF.
  EXPECT_EQ(path_of("<\"\xe2\x82\xac \xf0\x9f\x98\x80\"@x>", utf8()).local, "\xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_TRUE(accepts("<\xf4\x8f\xbf\xbf@x>", utf8()));
  EXPECT_TRUE(accepts("<a@\xe4\xbe\x8b.\xe6\xb5\x8b\xe8\xaf\x95>", utf8()));
  EXPECT_TRUE(accepts("<\xed\x9f\xbf@x>", utf8()));  // U+D7FF, just below the surrogates
}

TEST(AddressUtf8, MalformedSequencesAreRefused) {
  for (const char* bad :
       {"\xc0\x80", "\xc1\xbf", "\x80", "\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
        "\xff", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28"}) {
    EXPECT_EQ(error_of("<a" + std::string(bad) + "@x>", utf8()), AddressError::bad_utf8) << "local";
    EXPECT_EQ(error_of("<\"a" + std::string(bad) + "\"@x>", utf8()), AddressError::bad_utf8) << "quoted";
    EXPECT_EQ(error_of("<a@x" + std::string(bad) + ".example>", utf8()), AddressError::bad_utf8) << "domain";
  }
  // A sequence cut short by the end of the input.
  EXPECT_EQ(error_of("<a@x\xe2\x82", utf8()), AddressError::bad_utf8);
}

TEST(AddressUtf8, LabelLengthCountsBytes) {
  const std::string label = repeat('a', 61) + "\xc3\xa9";  // 63 bytes
  EXPECT_TRUE(accepts("<a@" + label + ".x>", utf8()));
  EXPECT_EQ(error_of("<a@a" + label + ".x>", utf8()), AddressError::label_too_long);
}

// --- describe --------------------------------------------------------------------------------

constexpr AddressError all_errors[] = {
    AddressError::missing_open_bracket,
    AddressError::missing_close_bracket,
    AddressError::path_too_long,
    AddressError::null_path_not_allowed,
    AddressError::empty_local_part,
    AddressError::local_part_too_long,
    AddressError::bad_local_part_character,
    AddressError::bad_dot_string,
    AddressError::unterminated_quoted_string,
    AddressError::bad_quoted_character,
    AddressError::missing_at_sign,
    AddressError::empty_domain,
    AddressError::domain_too_long,
    AddressError::label_too_long,
    AddressError::bad_domain_character,
    AddressError::bad_label_hyphen,
    AddressError::bad_address_literal,
    AddressError::bad_source_route,
    AddressError::bad_utf8,
    AddressError::trailing_garbage_inside_brackets,
    AddressError::empty_domain_label,
    AddressError::at_sign_in_domainless_local_part,
};

TEST(AddressDescribe, EveryErrorHasItsOwnSentence) {
  std::set<std::string_view> seen;
  for (AddressError error : all_errors) {
    const std::string_view text = describe(error);
    EXPECT_FALSE(text.empty());
    EXPECT_NE(text, describe(static_cast<AddressError>(-1)));
    EXPECT_TRUE(seen.insert(text).second) << text;
  }
  EXPECT_EQ(seen.size(), std::size(all_errors));
  EXPECT_EQ(static_cast<int>(AddressError::at_sign_in_domainless_local_part) + 1,
            static_cast<int>(std::size(all_errors)))
      << "all_errors must list every enumerator";
}

TEST(AddressDescribe, EveryErrorIsProducedBySomeInput) {
  struct Case {
    std::string input;
    AddressOptions options;
  };
  const std::vector<Case> cases = {
      {"a@b", strict()},
      {"<a@b", strict()},
      {"<" + repeat('a', 300) + ">", strict()},
      {"<>", strict()},
      {"<\"\"@b>", strict()},
      {"<" + repeat('a', 65) + "@b>", strict()},
      {"<a b@c>", strict()},
      {"<a..b@c>", strict()},
      {"<\"ab", strict()},
      {"<\"a\tb\"@c>", strict()},
      {"<ab>", strict()},
      {"<a@>", strict()},
      {"<a@" + domain_of_length(256) + ">", wide(1000)},
      {"<a@" + repeat('a', 64) + ">", strict()},
      {"<a@b!c>", strict()},
      {"<a@b->", strict()},
      {"<a@[1.2.3.256]>", strict()},
      {"<@a;u@b>", strict()},
      {"<a\xc0\x80@b>", utf8()},
      {"<a@[1.2.3.4]x>", strict()},
      {"<a@b..c>", strict()},
      {"<\"a@b\">", permissive()},
  };
  ASSERT_EQ(cases.size(), std::size(all_errors));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(error_of(cases[i].input, cases[i].options), all_errors[i]) << describe(all_errors[i]);
  }
}

// --- format_path ---------------------------------------------------------------------------

TEST(AddressFormat, DotStringIsNotQuoted) {
  EXPECT_EQ(format_path(path_of("<a.b+c@x.example>")), "<a.b+c@x.example>");
  EXPECT_EQ(format_path(path_of("<\"abc\"@x>")), "<abc@x>");
  EXPECT_EQ(format_path(path_of("<a@[IPv6:::1]>")), "<a@[IPv6:::1]>");
  EXPECT_EQ(format_path(path_of("<postmaster>", permissive())), "<postmaster>");
}

TEST(AddressFormat, QuotesAndEscapesWhenNeeded) {
  Path p;
  p.local = "a b";
  p.domain = "x";
  EXPECT_EQ(format_path(p), "<\"a b\"@x>");
  p.local = "a\"b\\c";
  EXPECT_EQ(format_path(p), R"(<"a\"b\\c"@x>)");
  p.local = ".a";
  EXPECT_EQ(format_path(p), "<\".a\"@x>");
  p.local = "a..b";
  EXPECT_EQ(format_path(p), "<\"a..b\"@x>");
  p.local = "a@b";
  EXPECT_EQ(format_path(p), "<\"a@b\"@x>");
}

TEST(AddressFormat, RoundTrips) {
  const std::vector<std::string> inputs = {
      "<a@b>",
      "<\"a b\"@x>",
      R"(<"a\"b"@x>)",
      R"(<"a\\b"@x>)",
      R"(<"\a\b\c"@x>)",
      "<\".leading\"@x>",
      "<\"<>\"@x>",
      "<@r1,@r2:u@d.example>",
      "<a@[1.2.3.4]>",
      "<a@[IPv6:2001:db8::1]>",
      "<a@[tag:content]>",
      "<\"" + repeat('q', 62) + "\"@x>",
  };
  for (const std::string& input : inputs) {
    auto first = parse_path(input, strict());
    ASSERT_TRUE(first.ok()) << input;
    const std::string encoded = format_path(first->path);
    EXPECT_LE(encoded.size(), input.size()) << input;
    auto second = parse_path(encoded, strict());
    ASSERT_TRUE(second.ok()) << encoded;
    EXPECT_EQ(second->path.local, first->path.local) << input;
    EXPECT_EQ(second->path.domain, first->path.domain) << input;
    EXPECT_EQ(second->consumed, encoded.size());
    EXPECT_EQ(format_path(second->path), encoded);
  }
}

}  // namespace
}  // namespace qcell
