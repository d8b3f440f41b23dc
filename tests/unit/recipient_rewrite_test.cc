// recipient_rewrite_test.cc — qmail-send's recipient rewriting: envnoathost,
// the percent hack, locals, and virtualdomains' search order.
#include "core/recipient_rewrite.h"

#include <gtest/gtest.h>

namespace qcell {
namespace {

RewriteRules rules() {
  RewriteRules r;
  r.envnoathost = "mx.example";
  r.locals = {"mx.example", "Example.ORG"};
  r.percenthack = {"gw.example", "inner.example"};
  r.virtualdomains = {{"postmaster@virt.example", "admin"},
                      {"virt.example", "joe"},
                      {"plain.sub.example", ""},
                      {".sub.example", "subs"},
                      {"", "catchall"}};
  return r;
}

TEST(RecipientRewrite, NoAtGetsEnvnoathost) {
  RewriteRules r = rules();
  EXPECT_EQ(rewrite_recipient("joe", r).address, "joe@mx.example");
  EXPECT_EQ(rewrite_recipient("joe", r).destination, Destination::local);
}

TEST(RecipientRewrite, LocalsAreCaseInsensitiveAndLeaveTheAddressAlone) {
  Rewritten local = rewrite_recipient("Joe@EXAMPLE.org", rules());
  EXPECT_EQ(local.destination, Destination::local);
  EXPECT_EQ(local.address, "Joe@EXAMPLE.org");
}

TEST(RecipientRewrite, PercentHackTurnsTheLastPercentIntoTheAt) {
  RewriteRules r = rules();
  r.virtualdomains.clear();
  Rewritten once = rewrite_recipient("a%far.example@gw.example", r);
  EXPECT_EQ(once.address, "a@far.example");
  EXPECT_EQ(once.destination, Destination::remote);
  // Repeated while the new domain is listed too.
  EXPECT_EQ(rewrite_recipient("a%mx.example%inner.example@gw.example", r).address, "a@mx.example");
  EXPECT_EQ(rewrite_recipient("a%mx.example%inner.example@gw.example", r).destination, Destination::local);
  // No '%' left: stays as it is.
  EXPECT_EQ(rewrite_recipient("plain@gw.example", r).address, "plain@gw.example");
  // Not a percenthack domain: the '%' stays.
  EXPECT_EQ(rewrite_recipient("a%b@elsewhere.example", r).address, "a%b@elsewhere.example");
}

TEST(RecipientRewrite, VirtualDomainsSearchFromTheWholeAddressDown) {
  const RewriteRules r = rules();
  // user@domain beats domain.
  EXPECT_EQ(rewrite_recipient("postmaster@virt.example", r).address, "admin-postmaster@virt.example");
  EXPECT_EQ(rewrite_recipient("Postmaster@VIRT.example", r).address, "admin-Postmaster@VIRT.example");
  EXPECT_EQ(rewrite_recipient("bob@virt.example", r).address, "joe-bob@virt.example");
  EXPECT_EQ(rewrite_recipient("bob@virt.example", r).destination, Destination::local);
  // .suffix, at each dot after the '@'.
  EXPECT_EQ(rewrite_recipient("x@a.b.sub.example", r).address, "subs-x@a.b.sub.example");
  // An empty prepend ends the search: remote, even with a catch-all.
  EXPECT_EQ(rewrite_recipient("x@plain.sub.example", r).destination, Destination::remote);
  EXPECT_EQ(rewrite_recipient("x@plain.sub.example", r).address, "x@plain.sub.example");
  // The catch-all takes every other domain.
  EXPECT_EQ(rewrite_recipient("x@anywhere.example", r).address, "catchall-x@anywhere.example");
}

TEST(RecipientRewrite, LocalsComeBeforeVirtualDomains) {
  RewriteRules r = rules();
  r.virtualdomains.emplace_back("mx.example", "never");
  EXPECT_EQ(rewrite_recipient("joe@mx.example", r).address, "joe@mx.example");
}

TEST(RecipientRewrite, WithoutAMatchItIsRemote) {
  RewriteRules r = rules();
  r.virtualdomains.clear();
  Rewritten remote = rewrite_recipient("someone@far.example", r);
  EXPECT_EQ(remote.destination, Destination::remote);
  EXPECT_EQ(remote.address, "someone@far.example");
  // The last '@' separates the domain, as in qmail.
  EXPECT_EQ(rewrite_recipient("a@b@mx.example", r).destination, Destination::local);
}

TEST(RecipientRewrite, VirtualDomainsLinesNeedAColon) {
  auto parsed = parse_virtualdomains({"virt.example:joe", ":catchall", "user@x.example:u", "a:b:c"});
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 4U);
  EXPECT_EQ((*parsed)[1], (std::pair<std::string, std::string>{"", "catchall"}));
  EXPECT_EQ((*parsed)[3], (std::pair<std::string, std::string>{"a", "b:c"}));
  auto bad = parse_virtualdomains({"virt.example:joe", "nocolon"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().first, VirtualDomainsError::missing_colon);
  EXPECT_EQ(bad.error().second, 2U);
}

}  // namespace
}  // namespace qcell

namespace qcell {
namespace {

TEST(StripVirtualPrepend, RemovesTheDomainsPrependAsQmailSendDoes) {
  const RewriteRules r = rules();
  EXPECT_EQ(strip_virtual_prepend("joe-bob@virt.example", r), "bob@virt.example");
  EXPECT_EQ(strip_virtual_prepend("joe-bob@VIRT.example", r), "bob@VIRT.example");
  EXPECT_EQ(strip_virtual_prepend("subs-ann@a.sub.example", r), "ann@a.sub.example");
  EXPECT_EQ(strip_virtual_prepend("catchall-x@other.test", r), "x@other.test");
  // Round trip with the rewriting.
  EXPECT_EQ(strip_virtual_prepend(rewrite_recipient("bob@virt.example", r).address, r), "bob@virt.example");
}

TEST(StripVirtualPrepend, LeavesOtherAddressesAlone) {
  const RewriteRules r = rules();
  EXPECT_EQ(strip_virtual_prepend("bob@virt.example", r), "bob@virt.example");     // no prepend
  EXPECT_EQ(strip_virtual_prepend("joebob@virt.example", r), "joebob@virt.example");  // no dash after it
  EXPECT_EQ(strip_virtual_prepend("joe-@virt.example", r), "@virt.example");  // as qmail: the local part goes
  EXPECT_EQ(strip_virtual_prepend("x@plain.sub.example", r), "x@plain.sub.example");  // empty prepend
  EXPECT_EQ(strip_virtual_prepend("no-at-sign", r), "no-at-sign");
  RewriteRules none;
  EXPECT_EQ(strip_virtual_prepend("joe-bob@virt.example", none), "joe-bob@virt.example");
}

}  // namespace
}  // namespace qcell
