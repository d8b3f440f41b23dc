// inject_test.cc — qmail-inject's logic without a process: every flag, every
// environment variable, the control files and their overrides, each address
// rewriting rule, header deletion and the added fields, resent messages,
// recipient selection (-a -A -h -H, Bcc included), the limits, and the exact
// bytes inject() sends for -n and to a queue.
#include "qmail-inject/inject.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "core/queue_exit.h"

namespace qcell::inject {
namespace {

Settings test_settings() {
  Settings settings;
  settings.defaulthost = "host.example";
  settings.defaultdomain = "example.com";
  settings.plusdomain = "plus.example";
  settings.idhost = "id.example";
  return settings;
}

Identity test_identity() {
  Identity identity;
  identity.user = "joe";
  identity.sender_user = "joe";
  return identity;
}

constexpr Moment test_moment{1700000000, 4242};
constexpr std::string_view test_date = "14 Nov 2023 22:13:20 -0000";

// --- arguments ---------------------------------------------------------------------

Result<Arguments, Fatal> arguments_of(std::vector<const char*> words) { return parse_arguments(words); }

TEST(InjectArguments, Defaults) {
  auto parsed = arguments_of({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->print_only);
  EXPECT_EQ(parsed->source, RecipientSource::arguments_or_header);
  EXPECT_FALSE(parsed->sender.has_value());
  EXPECT_TRUE(parsed->recipients.empty());
}

TEST(InjectArguments, EachFlag) {
  EXPECT_TRUE(arguments_of({"-n"})->print_only);
  EXPECT_FALSE(arguments_of({"-n", "-N"})->print_only);
  EXPECT_EQ(arguments_of({"-a"})->source, RecipientSource::arguments);
  EXPECT_EQ(arguments_of({"-h"})->source, RecipientSource::header);
  EXPECT_EQ(arguments_of({"-H"})->source, RecipientSource::both);
  EXPECT_EQ(arguments_of({"-h", "-A"})->source, RecipientSource::arguments_or_header);
  // Grouped, the last one wins.
  auto grouped = arguments_of({"-nah"});
  ASSERT_TRUE(grouped.ok());
  EXPECT_TRUE(grouped->print_only);
  EXPECT_EQ(grouped->source, RecipientSource::header);
}

TEST(InjectArguments, SenderForms) {
  EXPECT_EQ(arguments_of({"-fjoe@x"})->sender, "joe@x");
  EXPECT_EQ(arguments_of({"-f", "joe@x"})->sender, "joe@x");
  EXPECT_EQ(arguments_of({"-f", ""})->sender, "");
  EXPECT_EQ(arguments_of({"-nfjoe"})->sender, "joe");
  auto with_recipients = arguments_of({"-f", "s@x", "a@b", "c"});
  ASSERT_TRUE(with_recipients.ok());
  EXPECT_EQ(with_recipients->recipients, (std::vector<std::string>{"a@b", "c"}));
}

TEST(InjectArguments, OptionsEndAtDashDashOrFirstRecipient) {
  auto dashes = arguments_of({"-a", "--", "-n", "x"});
  ASSERT_TRUE(dashes.ok());
  EXPECT_FALSE(dashes->print_only);
  EXPECT_EQ(dashes->recipients, (std::vector<std::string>{"-n", "x"}));
  auto first = arguments_of({"a@b", "-n"});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->print_only);
  EXPECT_EQ(first->recipients, (std::vector<std::string>{"a@b", "-n"}));
  EXPECT_EQ(arguments_of({"-"})->recipients, std::vector<std::string>{"-"});
}

TEST(InjectArguments, UsageErrors) {
  auto unknown = arguments_of({"-x"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().exit_code, 100);
  EXPECT_EQ(unknown.error().message, "unknown option -x; usage: qmail-inject [-nNaAhH] [-fsender] [recipient ...]");
  auto missing = arguments_of({"-n", "-f"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().exit_code, 100);
  EXPECT_EQ(missing.error().message,
            "option -f needs a sender address; usage: qmail-inject [-nNaAhH] [-fsender] [recipient ...]");
}

// --- environment ---------------------------------------------------------------------

Environment environment_of(const std::map<std::string, std::string>& variables) {
  return read_environment([&](const char* name) -> const char* {
    auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

TEST(InjectEnvironment, ReadsEveryVariableAndTreatsEmptyAsUnset) {
  const std::map<std::string, std::string> variables = {
      {"QMAILINJECT", "cf"},
      {"QMAILUSER", "qu"},
      {"MAILUSER", "mu"},
      {"USER", "u"},
      {"LOGNAME", "l"},
      {"QMAILHOST", "qh"},
      {"MAILHOST", "mh"},
      {"QMAILNAME", "qn"},
      {"MAILNAME", "mn"},
      {"NAME", "n"},
      {"QMAILSUSER", "su"},
      {"QMAILSHOST", "sh"},
      {"QMAILDEFAULTDOMAIN", "dd"},
      {"QMAILDEFAULTHOST", "dh"},
      {"QMAILPLUSDOMAIN", "pd"},
      {"QMAILIDHOST", "ih"},
      {"QMAILQUEUE", "/q"},
      {"QCELL_ROOT", "/r"},
  };
  const Environment environment = environment_of(variables);
  EXPECT_EQ(environment.qmailinject, "cf");
  EXPECT_EQ(environment.qmailuser, "qu");
  EXPECT_EQ(environment.mailuser, "mu");
  EXPECT_EQ(environment.user, "u");
  EXPECT_EQ(environment.logname, "l");
  EXPECT_EQ(environment.qmailhost, "qh");
  EXPECT_EQ(environment.mailhost, "mh");
  EXPECT_EQ(environment.qmailname, "qn");
  EXPECT_EQ(environment.mailname, "mn");
  EXPECT_EQ(environment.name, "n");
  EXPECT_EQ(environment.qmailsuser, "su");
  EXPECT_EQ(environment.qmailshost, "sh");
  EXPECT_EQ(environment.qmaildefaultdomain, "dd");
  EXPECT_EQ(environment.qmaildefaulthost, "dh");
  EXPECT_EQ(environment.qmailplusdomain, "pd");
  EXPECT_EQ(environment.qmailidhost, "ih");
  EXPECT_EQ(environment.qmailqueue, "/q");
  EXPECT_EQ(environment.qcell_root, "/r");
  EXPECT_EQ(root_directory(environment), "/r");

  const Environment empty = environment_of({{"QMAILUSER", ""}, {"USER", "u"}, {"QCELL_ROOT", ""}});
  EXPECT_FALSE(empty.qmailuser.has_value());
  EXPECT_EQ(identity_from(empty).user, "u");
  EXPECT_EQ(root_directory(empty), "/var/qmail");
}

TEST(InjectEnvironment, UserPrecedence) {
  EXPECT_EQ(
      identity_from(environment_of({{"QMAILUSER", "a"}, {"MAILUSER", "b"}, {"USER", "c"}, {"LOGNAME", "d"}})).user,
      "a");
  EXPECT_EQ(identity_from(environment_of({{"MAILUSER", "b"}, {"USER", "c"}, {"LOGNAME", "d"}})).user, "b");
  EXPECT_EQ(identity_from(environment_of({{"USER", "c"}, {"LOGNAME", "d"}})).user, "c");
  EXPECT_EQ(identity_from(environment_of({{"LOGNAME", "d"}})).user, "d");
  EXPECT_EQ(identity_from(environment_of({})).user, "anonymous");
}

TEST(InjectEnvironment, HostNameAndSenderPrecedence) {
  const Identity both = identity_from(environment_of({{"QMAILHOST", "qh"}, {"MAILHOST", "mh"}}));
  EXPECT_EQ(both.host, "qh");
  EXPECT_EQ(identity_from(environment_of({{"MAILHOST", "mh"}})).host, "mh");
  EXPECT_FALSE(identity_from(environment_of({})).host.has_value());

  EXPECT_EQ(identity_from(environment_of({{"QMAILNAME", "a"}, {"MAILNAME", "b"}, {"NAME", "c"}})).name, "a");
  EXPECT_EQ(identity_from(environment_of({{"MAILNAME", "b"}, {"NAME", "c"}})).name, "b");
  EXPECT_EQ(identity_from(environment_of({{"NAME", "c"}})).name, "c");
  EXPECT_FALSE(identity_from(environment_of({})).name.has_value());

  // The sender defaults to the From: user and host.
  const Identity plain = identity_from(environment_of({{"USER", "u"}, {"MAILHOST", "h"}}));
  EXPECT_EQ(plain.sender_user, "u");
  EXPECT_EQ(plain.sender_host, "h");
  const Identity separate =
      identity_from(environment_of({{"USER", "u"}, {"MAILHOST", "h"}, {"QMAILSUSER", "su"}, {"QMAILSHOST", "sh"}}));
  EXPECT_EQ(separate.sender_user, "su");
  EXPECT_EQ(separate.sender_host, "sh");
}

TEST(InjectEnvironment, QmailInjectLetters) {
  const InjectFlags all = parse_inject_flags("csfirm");
  EXPECT_TRUE(all.name_comment && all.ignore_return_path && all.delete_from && all.delete_message_id &&
              all.verp_per_recipient && all.verp_per_message);
  const InjectFlags none = parse_inject_flags("xyz");
  EXPECT_FALSE(none.name_comment || none.ignore_return_path || none.delete_from || none.delete_message_id ||
               none.verp_per_recipient || none.verp_per_message);
  EXPECT_TRUE(parse_inject_flags("c").name_comment);
  EXPECT_TRUE(parse_inject_flags("s").ignore_return_path);
  EXPECT_TRUE(parse_inject_flags("f").delete_from);
  EXPECT_TRUE(parse_inject_flags("i").delete_message_id);
  EXPECT_TRUE(parse_inject_flags("r").verp_per_recipient);
  EXPECT_TRUE(parse_inject_flags("m").verp_per_message);
  EXPECT_TRUE(identity_from(environment_of({{"QMAILINJECT", "i"}})).flags.delete_message_id);
}

// --- control files ---------------------------------------------------------------------

class ControlDirectory {
 public:
  ControlDirectory() {
    char pattern[] = "/tmp/qcell-inject-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ControlDirectory() {
    if (std::system(("rm -rf '" + path_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot clean %s\n", path_.c_str());
  }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ + "/" + name) << content;
  }
  [[nodiscard]] DirFd open() const {
    auto dir = open_directory(path_.c_str());
    if (!dir) std::abort();
    return std::move(dir.value());
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(InjectSettings, MeFillsEverything) {
  ControlDirectory control;
  control.write("me", "me.example\n");
  auto settings = load_settings(control.open(), Environment{});
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  EXPECT_EQ(settings->defaulthost, "me.example");
  EXPECT_EQ(settings->defaultdomain, "me.example");
  EXPECT_EQ(settings->plusdomain, "me.example");
  EXPECT_EQ(settings->idhost, "me.example");
}

TEST(InjectSettings, EachFileAndEachOverride) {
  ControlDirectory control;
  control.write("me", "me.example\n");
  control.write("defaulthost", "dh.example  \n");
  control.write("defaultdomain", "dd.example\n");
  control.write("plusdomain", "pd.example\n");
  control.write("idhost", "ih.example\n");
  auto files = load_settings(control.open(), Environment{});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->defaulthost, "dh.example");
  EXPECT_EQ(files->defaultdomain, "dd.example");
  EXPECT_EQ(files->plusdomain, "pd.example");
  EXPECT_EQ(files->idhost, "ih.example");

  Environment environment;
  environment.qmaildefaulthost = "e-dh";
  environment.qmaildefaultdomain = "e-dd";
  environment.qmailplusdomain = "e-pd";
  environment.qmailidhost = "e-ih";
  auto overridden = load_settings(control.open(), environment);
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->defaulthost, "e-dh");
  EXPECT_EQ(overridden->defaultdomain, "e-dd");
  EXPECT_EQ(overridden->plusdomain, "e-pd");
  EXPECT_EQ(overridden->idhost, "e-ih");
}

TEST(InjectSettings, MeIsNeededOnlyForWhatIsMissing) {
  ControlDirectory control;
  control.write("defaulthost", "dh\n");
  control.write("defaultdomain", "dd\n");
  control.write("plusdomain", "pd\n");
  control.write("idhost", "ih\n");
  EXPECT_TRUE(load_settings(control.open(), Environment{}).ok());

  ControlDirectory bare;
  bare.write("defaulthost", "dh\n");
  auto missing = load_settings(bare.open(), Environment{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().exit_code, 111);
  EXPECT_EQ(missing.error().message, "unable to read control/me: required file is missing");
}

TEST(InjectSettings, UnreadableFileIsTemporary) {
  ControlDirectory control;
  control.write("me", "me.example\n");
  ASSERT_EQ(::mkdir((control.path() + "/idhost").c_str(), 0755), 0);
  auto settings = load_settings(control.open(), Environment{});
  ASSERT_FALSE(settings.ok());
  EXPECT_EQ(settings.error().exit_code, 111);
  EXPECT_EQ(settings.error().message.rfind("unable to read control/idhost: ", 0), 0u) << settings.error().message;
}

TEST(InjectSettings, EmptyFileCountsAsMissing) {
  ControlDirectory control;
  control.write("me", "me.example\n");
  control.write("defaulthost", "\n");
  auto settings = load_settings(control.open(), Environment{});
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->defaulthost, "me.example");
}

// --- rewriting -------------------------------------------------------------------------

std::string rewritten(std::string local, std::string domain, const Settings& settings = test_settings()) {
  Mailbox mailbox;
  mailbox.local = std::move(local);
  mailbox.domain = std::move(domain);
  rewrite_mailbox(mailbox, settings);
  return envelope_address(mailbox);
}

TEST(InjectRewrite, BareLocalPartGetsDefaulthost) { EXPECT_EQ(rewritten("joe", ""), "joe@host.example"); }

TEST(InjectRewrite, HostWithoutDotGetsDefaultdomain) {
  EXPECT_EQ(rewritten("joe", "box"), "joe@box.example.com");
  EXPECT_EQ(rewritten("joe", "a.b"), "joe@a.b");
  EXPECT_EQ(rewritten("joe", "[10.0.0.1]"), "joe@[10.0.0.1]");
  EXPECT_EQ(rewritten("joe", "[ipv6:::1]"), "joe@[ipv6:::1]");
}

TEST(InjectRewrite, TrailingPlusGetsPlusdomain) {
  EXPECT_EQ(rewritten("joe", "box+"), "joe@box.plus.example");
  EXPECT_EQ(rewritten("joe", "a.b+"), "joe@a.b.plus.example");
  EXPECT_EQ(rewritten("joe", "+"), "joe@plus.example");
}

TEST(InjectRewrite, DefaulthostIsItselfRewritten) {
  Settings settings = test_settings();
  settings.defaulthost = "box";
  EXPECT_EQ(rewritten("joe", "", settings), "joe@box.example.com");
  settings.defaulthost = "box+";
  EXPECT_EQ(rewritten("joe", "", settings), "joe@box.plus.example");
  // A plusdomain without a dot still gives a host with one: no defaultdomain.
  settings.plusdomain = "local";
  EXPECT_EQ(rewritten("joe", "", settings), "joe@box.local");
}

TEST(InjectRewrite, NullAndEmptyLiteralAreLeftAlone) {
  Mailbox null_address;
  null_address.is_null = true;
  rewrite_mailbox(null_address, test_settings());
  EXPECT_EQ(envelope_address(null_address), "");
  EXPECT_EQ(rewritten("joe", "[]"), "joe@[]");
}

TEST(InjectRewrite, ArgumentAddresses) {
  auto plain = parse_argument_address("joe@example.org", false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->local, "joe");
  EXPECT_EQ(plain->domain, "example.org");
  // Taken literally: the last '@' splits; spaces and quotes are local-part bytes.
  auto literal = parse_argument_address("Joe Blow \"x\"@y@example.org", false);
  ASSERT_TRUE(literal.ok());
  EXPECT_EQ(literal->local, "Joe Blow \"x\"@y");
  EXPECT_EQ(literal->domain, "example.org");
  auto bracketed = parse_argument_address("<joe@x.org>", false);
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(envelope_address(*bracketed), "joe@x.org");
  auto routed = parse_argument_address("@r1,@r2:joe@x.org", false);
  ASSERT_TRUE(routed.ok());
  EXPECT_TRUE(routed->had_source_route);
  EXPECT_EQ(envelope_address(*routed), "joe@x.org");
  EXPECT_TRUE(parse_argument_address("", true)->is_null);
  EXPECT_TRUE(parse_argument_address("<>", true)->is_null);
  EXPECT_EQ(parse_argument_address("joe@[1.2.3.4]", false)->domain, "[1.2.3.4]");

  EXPECT_EQ(parse_argument_address("", false).error(), AddressListError::empty_local_part);
  EXPECT_EQ(parse_argument_address("<>", false).error(), AddressListError::empty_local_part);
  EXPECT_EQ(parse_argument_address("@x.org", false).error(), AddressListError::empty_local_part);
  EXPECT_EQ(parse_argument_address("@x.org", false).error(), AddressListError::empty_local_part);
  EXPECT_EQ(parse_argument_address("joe@", false).error(), AddressListError::missing_domain);
  EXPECT_EQ(parse_argument_address("joe@a b", false).error(), AddressListError::bad_domain);
  EXPECT_EQ(parse_argument_address("joe@a..b", false).error(), AddressListError::bad_domain);
  EXPECT_EQ(parse_argument_address("joe@<x>", false).error(), AddressListError::bad_domain);
  EXPECT_EQ(parse_argument_address("joe@[1.2", false).error(), AddressListError::bad_domain);
  EXPECT_EQ(parse_argument_address("jo\ne@x", false).error(), AddressListError::bad_character);
  EXPECT_EQ(parse_argument_address("joe@x\r", false).error(), AddressListError::bad_character);
}

TEST(InjectRewrite, RecipientArgumentsAreRewrittenOrQuotedInTheError) {
  auto good = recipients_from_arguments({"joe", "fred@box", "ann@x.org"}, test_settings());
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, (std::vector<std::string>{"joe@host.example", "fred@box.example.com", "ann@x.org"}));

  auto bad = recipients_from_arguments({"ok", "bad\x01\"@"}, test_settings());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().exit_code, 100);
  EXPECT_EQ(bad.error().message, "unable to parse address \"bad\\x01\\\"@\": control character in address list");
}

TEST(InjectRewrite, SenderArgument) {
  EXPECT_FALSE(sender_from_argument(std::nullopt, test_settings())->has_value());
  EXPECT_EQ(**sender_from_argument(std::string("joe"), test_settings()), "joe@host.example");
  EXPECT_EQ(**sender_from_argument(std::string(""), test_settings()), "");
  EXPECT_EQ(**sender_from_argument(std::string("<>"), test_settings()), "");
  auto bad = sender_from_argument(std::string("joe@"), test_settings());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().exit_code, 100);
  EXPECT_EQ(bad.error().message, "unable to parse sender address \"joe@\": no domain after @");
}

TEST(InjectRewrite, QuoteForMessage) {
  EXPECT_EQ(quote_for_message("plain"), "\"plain\"");
  EXPECT_EQ(quote_for_message("a\"b\\c\n\xff"), "\"a\\\"b\\\\c\\x0a\\xff\"");
  EXPECT_EQ(quote_for_message("abcdef", 3), "\"abc\"...");
}

TEST(InjectDate, FormatsUtc) {
  EXPECT_EQ(format_date(0), "1 Jan 1970 00:00:00 -0000");
  EXPECT_EQ(format_date(1700000000), test_date);
  EXPECT_EQ(format_date(951782400), "29 Feb 2000 00:00:00 -0000");
  EXPECT_EQ(format_date(951868799), "29 Feb 2000 23:59:59 -0000");
  EXPECT_EQ(format_date(4102444800), "1 Jan 2100 00:00:00 -0000");
  EXPECT_EQ(format_date(-1), "31 Dec 1969 23:59:59 -0000");
}

// --- prepare_message ---------------------------------------------------------------------

struct Prepare {
  std::string header;
  std::string sender;
  std::vector<std::string> recipients;
};

Prepare prepare(std::string_view message, const Identity& identity = test_identity(),
                RecipientSource source = RecipientSource::arguments_or_header,
                const std::vector<std::string>& arguments = {}, std::optional<std::string> sender = std::nullopt) {
  HeaderOptions options;
  options.mbox_from_line = true;
  auto section = parse_header_section(as_bytes(message), options);
  if (!section) {
    ADD_FAILURE() << describe(section.error());
    return {};
  }
  auto prepared = prepare_message(*section, source, arguments, sender, test_settings(), identity, test_moment);
  if (!prepared) {
    ADD_FAILURE() << prepared.error().message;
    return {};
  }
  return {prepared->header, prepared->envelope.sender, prepared->envelope.recipients};
}

Fatal prepare_error(std::string_view message) {
  auto section = parse_header_section(as_bytes(message));
  if (!section) std::abort();
  auto prepared = prepare_message(*section, RecipientSource::arguments_or_header, {}, std::nullopt, test_settings(),
                                  test_identity(), test_moment);
  if (prepared.ok()) {
    ADD_FAILURE() << "prepared unexpectedly";
    return {};
  }
  return prepared.error();
}

const std::string added_date = "Date: " + std::string(test_date) + "\n";
const std::string added_id = "Message-ID: <1700000000.4242.qmail@id.example>\n";
const std::string added_from = "From: joe@host.example\n";
const std::string not_shown = "Cc: recipient list not shown: ;\n";

TEST(InjectPrepare, AddsDateMessageIdFromAndCc) {
  const Prepare result = prepare("Subject: hi\n");
  EXPECT_EQ(result.header, added_date + added_id + added_from + not_shown + "Subject: hi\n");
  EXPECT_EQ(result.sender, "joe@host.example");
  EXPECT_TRUE(result.recipients.empty());
}

TEST(InjectPrepare, KeepsWhatIsPresent) {
  const std::string message = "Date: yesterday\nMessage-ID: <x@y>\nFrom: Ann <ann@x.org>\nTo: bob@y.org\nSubject: hi\n";
  const Prepare result = prepare(message);
  EXPECT_EQ(result.header, message);
  EXPECT_EQ(result.recipients, std::vector<std::string>{"bob@y.org"});
}

TEST(InjectPrepare, EitherToOrCcSuppressesTheCcLine) {
  EXPECT_EQ(prepare("Cc: a@b.c\n").header.find("recipient list not shown"), std::string::npos);
  EXPECT_EQ(prepare("To: a@b.c\n").header.find("recipient list not shown"), std::string::npos);
  EXPECT_NE(prepare("Bcc: a@b.c\n").header.find(not_shown), std::string::npos);
}

TEST(InjectPrepare, RewritesAddressFields) {
  const Prepare result = prepare(
      "From: me\nSender: box\nReply-To: Me <me@box+>, plus+\nTo: joe, Fred <fred@box>\nCc: (c) ann@a.b\n"
      "Errors-To: e\nReturn-Receipt-To: r\nApparently-To: at\nX-Other: not@rewritten\n");
  EXPECT_EQ(result.header, added_date + added_id +
                               "From: me@host.example\n"
                               "Sender: box@host.example\n"
                               "Reply-To: Me <me@box.plus.example>, plus+@host.example\n"
                               "To: joe@host.example, Fred <fred@box.example.com>\n"
                               "Cc: ann@a.b (c)\n"
                               "Errors-To: e@host.example\n"
                               "Return-Receipt-To: r@host.example\n"
                               "Apparently-To: at@host.example\n"
                               "X-Other: not@rewritten\n");
}

TEST(InjectPrepare, ResentAddressFieldsAreRewritten) {
  const Prepare result = prepare("Resent-From: a\nResent-Sender: b\nResent-Reply-To: c\nResent-To: d\nResent-Cc: e\n");
  EXPECT_EQ(result.header, "Resent-Date: " + std::string(test_date) +
                               "\n"
                               "Resent-Message-ID: <1700000000.4242.qmail@id.example>\n"
                               "Resent-From: a@host.example\n"
                               "Resent-Sender: b@host.example\n"
                               "Resent-Reply-To: c@host.example\n"
                               "Resent-To: d@host.example\n"
                               "Resent-Cc: e@host.example\n");
}

TEST(InjectPrepare, DeletesBccReturnPathAndContentLength) {
  const Prepare result = prepare(
      "To: a@b.c\nBcc: secret@x.y\nResent-Bcc: s2@x.y\nReturn-Path: <rp@x.y>\nContent-Length: 12\n"
      "content-length: 13\nbcc: s3@x.y\nSubject: s\n");
  EXPECT_EQ(result.header, "Resent-Date: " + std::string(test_date) +
                               "\nResent-Message-ID: <1700000000.4242.qmail@id.example>\n"
                               "Resent-From: joe@host.example\nResent-Cc: recipient list not shown: ;\n"
                               "To: a@b.c\nSubject: s\n");
  EXPECT_EQ(result.sender, "rp@x.y");
}

TEST(InjectPrepare, NameIsCaseInsensitive) {
  const Prepare result = prepare("TO: a\nbCc: b\nfrom: x\n");
  EXPECT_EQ(result.header, added_date + added_id + "TO: a@host.example\nfrom: x@host.example\n");
}

TEST(InjectPrepare, DefaultFromForms) {
  Identity identity = test_identity();
  identity.name = "Joe Blow";
  EXPECT_NE(prepare("To: x@y.z\n", identity).header.find("From: \"Joe Blow\" <joe@host.example>\n"), std::string::npos);
  identity.flags.name_comment = true;
  EXPECT_NE(prepare("To: x@y.z\n", identity).header.find("From: joe@host.example (Joe Blow)\n"), std::string::npos);
  // Quotes, parentheses and line breaks in the name cannot escape the field.
  identity.name = "a\"b(c)\\\nBcc: evil@x";
  EXPECT_NE(prepare("To: x@y.z\n", identity).header.find("From: joe@host.example (a\"b\\(c\\)\\\\ Bcc: evil@x)\n"),
            std::string::npos);
  identity.flags.name_comment = false;
  EXPECT_NE(prepare("To: x@y.z\n", identity).header.find("From: \"a\\\"b(c)\\\\ Bcc: evil@x\" <joe@host.example>\n"),
            std::string::npos);
  // A host from QMAILHOST/MAILHOST, rewritten like any address.
  Identity hosted = test_identity();
  hosted.host = "box";
  EXPECT_NE(prepare("To: x@y.z\n", hosted).header.find("From: joe@box.example.com\n"), std::string::npos);
  // A user that is not a dot-atom is quoted.
  Identity odd = test_identity();
  odd.user = "joe blow";
  EXPECT_NE(prepare("To: x@y.z\n", odd).header.find("From: \"joe blow\"@host.example\n"), std::string::npos);
}

TEST(InjectPrepare, SenderPrecedence) {
  // -f beats Return-Path, which beats the environment.
  EXPECT_EQ(prepare("Return-Path: <rp@x.y>\n", test_identity(), RecipientSource::arguments_or_header, {},
                    std::string("f@x.y"))
                .sender,
            "f@x.y");
  EXPECT_EQ(prepare("Return-Path: <rp>\n").sender, "rp@host.example");
  EXPECT_EQ(prepare("Return-Path: <>\n").sender, "");
  EXPECT_EQ(prepare("Return-Path: <a@b.c>\nReturn-Path: <d@e.f>\n").sender, "a@b.c");
  Identity identity = test_identity();
  identity.sender_user = "su";
  identity.sender_host = "sh.example";
  EXPECT_EQ(prepare("To: x@y.z\n", identity).sender, "su@sh.example");
  identity.sender_host.reset();
  EXPECT_EQ(prepare("To: x@y.z\n", identity).sender, "su@host.example");
}

TEST(InjectPrepare, FlagSIgnoresReturnPath) {
  Identity identity = test_identity();
  identity.flags.ignore_return_path = true;
  const Prepare result = prepare("Return-Path: <rp@x.y>\nTo: a@b.c\n", identity);
  EXPECT_EQ(result.sender, "joe@host.example");
  EXPECT_EQ(result.header.find("Return-Path"), std::string::npos);
}

TEST(InjectPrepare, FlagFReplacesFrom) {
  Identity identity = test_identity();
  identity.flags.delete_from = true;
  const Prepare result = prepare("From: forged@x.y\nTo: a@b.c\n", identity);
  EXPECT_EQ(result.header, added_date + added_id + added_from + "To: a@b.c\n");
}

TEST(InjectPrepare, FlagIReplacesMessageId) {
  Identity identity = test_identity();
  identity.flags.delete_message_id = true;
  const Prepare result = prepare("Message-ID: <old@x>\nTo: a@b.c\n", identity);
  EXPECT_EQ(result.header, added_date + added_id + added_from + "To: a@b.c\n");
}

TEST(InjectPrepare, FlagsRAndMBuildVerpSenders) {
  Identity identity = test_identity();
  identity.flags.verp_per_recipient = true;
  EXPECT_EQ(prepare("To: a@b.c\n", identity).sender, "joe-@host.example-@[]");
  EXPECT_EQ(prepare("Return-Path: <rp@x.y>\n", identity).sender, "rp@x.y-@[]");
  EXPECT_EQ(prepare("Return-Path: <>\n", identity).sender, "");
  Identity message = test_identity();
  message.flags.verp_per_message = true;
  EXPECT_EQ(prepare("To: a@b.c\n", message).sender, "joe-1700000000.4242@host.example");
  message.flags.verp_per_recipient = true;
  EXPECT_EQ(prepare("To: a@b.c\n", message).sender, "joe-1700000000.4242-@host.example-@[]");
}

TEST(InjectPrepare, RecipientSources) {
  const std::string message = "To: t\nCc: c@x.y\nBcc: b@x.y\nApparently-To: a@x.y\nResent-X: no\n";
  const std::vector<std::string> header = {"t@host.example", "c@x.y", "b@x.y", "a@x.y"};
  const std::vector<std::string> arguments = {"arg@x.y"};
  // -A: arguments when there are any, else the header.
  EXPECT_EQ(prepare(message, test_identity(), RecipientSource::arguments_or_header, arguments).recipients, arguments);
  EXPECT_EQ(prepare(message, test_identity(), RecipientSource::arguments_or_header, {}).recipients, header);
  // -a: arguments only.
  EXPECT_TRUE(prepare(message, test_identity(), RecipientSource::arguments, {}).recipients.empty());
  // -h: header only.
  EXPECT_EQ(prepare(message, test_identity(), RecipientSource::header, arguments).recipients, header);
  // -H: both, arguments first.
  std::vector<std::string> both = arguments;
  both.insert(both.end(), header.begin(), header.end());
  EXPECT_EQ(prepare(message, test_identity(), RecipientSource::both, arguments).recipients, both);
}

TEST(InjectPrepare, GroupMembersAreRecipientsAndNullAddressesAreNot) {
  const Prepare result = prepare("To: team: a@x.y, b;, <>\n", test_identity(), RecipientSource::header);
  EXPECT_EQ(result.recipients, (std::vector<std::string>{"a@x.y", "b@host.example"}));
  EXPECT_NE(result.header.find("To: team: a@x.y, b@host.example;, <>\n"), std::string::npos);
}

TEST(InjectPrepare, ResentMessagesTakeResentRecipients) {
  const std::string message =
      "To: orig@x.y\nFrom: o@x.y\nDate: old\nMessage-ID: <old@x>\nResent-To: r1\nResent-Cc: r2@x.y\n"
      "Resent-Bcc: r3@x.y\n";
  const Prepare result = prepare(message, test_identity(), RecipientSource::header);
  EXPECT_EQ(result.recipients, (std::vector<std::string>{"r1@host.example", "r2@x.y", "r3@x.y"}));
  EXPECT_EQ(result.header, "Resent-Date: " + std::string(test_date) +
                               "\nResent-Message-ID: <1700000000.4242.qmail@id.example>\n"
                               "Resent-From: joe@host.example\n"
                               "To: orig@x.y\nFrom: o@x.y\nDate: old\nMessage-ID: <old@x>\n"
                               "Resent-To: r1@host.example\nResent-Cc: r2@x.y\n");
  // A resent message without Resent-To/Cc gets a Resent-Cc line.
  const Prepare bcc_only = prepare("Resent-Bcc: r@x.y\nResent-Date: d\nResent-Message-ID: <i>\nResent-From: f@x.y\n");
  EXPECT_EQ(bcc_only.header,
            "Resent-Cc: recipient list not shown: ;\nResent-Date: d\nResent-Message-ID: <i>\nResent-From: f@x.y\n");
}

TEST(InjectPrepare, EmptyAddressFieldIsKeptAsWritten) {
  const Prepare result = prepare("To:\nCc: (nobody)\n");
  EXPECT_EQ(result.header, added_date + added_id + added_from + "To:\nCc: (nobody)\n");
}

TEST(InjectPrepare, MboxLineIsKept) {
  const Prepare result = prepare("From joe Mon Jan  1 00:00:00 2024\nTo: a@b.c\n");
  EXPECT_NE(result.header.find("MBOX-Line: From joe Mon Jan  1 00:00:00 2024\nTo: a@b.c\n"), std::string::npos);
}

TEST(InjectPrepare, ContinuationLinesOfOtherFieldsAreKept) {
  const Prepare result = prepare("Subject: one\n two\nTo: a@b.c,\n d@e.f\n");
  EXPECT_EQ(result.header, added_date + added_id + added_from + "Subject: one\n two\nTo: a@b.c, d@e.f\n");
}

TEST(InjectPrepare, UnparsableAddressFieldIsPermanent) {
  const Fatal fatal = prepare_error("To: <joe@x\n");
  EXPECT_EQ(fatal.exit_code, 100);
  EXPECT_EQ(fatal.message, "unable to parse the addresses of a To field (missing > after <): \"To: <joe@x\"");
  const Fatal from = prepare_error("From: a@b@c\x7f\n");
  EXPECT_EQ(from.exit_code, 100);
  EXPECT_EQ(from.message,
            "unable to parse the addresses of a From field (control character in address list): \"From: a@b@c\\x7f\"");
}

// --- inject() ---------------------------------------------------------------------------

// A message on a descriptor (a memfd at offset 0).
UniqueFd input_of(std::string_view message) {
  UniqueFd fd(::memfd_create("message", MFD_CLOEXEC));
  if (!fd || !write_full(fd.get(), message).ok() || ::lseek(fd.get(), 0, SEEK_SET) != 0) std::abort();
  return fd;
}

class CaptureSink final : public MessageSink {
 public:
  Status<Fatal> write(std::span<const std::byte> bytes) override {
    written += as_text(bytes);
    return {};
  }
  Status<Fatal> finish(const QueueEnvelope& finished) override {
    envelope = finished;
    return {};
  }
  void abandon() noexcept override { abandoned = true; }

  std::string written;
  std::optional<QueueEnvelope> envelope;
  bool abandoned = false;
};

Request test_request(std::vector<std::string> recipients = {}, bool print_only = false) {
  Request request;
  request.arguments.print_only = print_only;
  request.arguments.recipients = std::move(recipients);
  request.settings = test_settings();
  request.identity = test_identity();
  request.moment = test_moment;
  return request;
}

TEST(Inject, PrintOnlyWritesReturnPathHeaderAndBody) {
  CaptureSink sink;
  auto done = inject(test_request({}, true), input_of("To: fred\nSubject: hi\n\nbody\nline 2\n").get(), sink);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(sink.written, "Return-Path: <joe@host.example>\n" + added_date + added_id + added_from +
                              "To: fred@host.example\nSubject: hi\n\nbody\nline 2\n");
  EXPECT_FALSE(sink.abandoned);
}

TEST(Inject, QueuesHeaderBodyAndEnvelope) {
  CaptureSink sink;
  auto done = inject(test_request({"r1", "r2@x.y"}), input_of("Subject: hi\n\nbody\n").get(), sink);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(sink.written, added_date + added_id + added_from + not_shown + "Subject: hi\n\nbody\n");
  ASSERT_TRUE(sink.envelope.has_value());
  EXPECT_EQ(sink.envelope->sender, "joe@host.example");
  EXPECT_EQ(sink.envelope->recipients, (std::vector<std::string>{"r1@host.example", "r2@x.y"}));
}

TEST(Inject, BodyLineEndsHeaderAndGetsABlankLineBeforeIt) {
  CaptureSink sink;
  ASSERT_TRUE(inject(test_request({"a@b.c"}), input_of("To: a@b.c\nnot a header\nmore\n").get(), sink).ok());
  EXPECT_EQ(sink.written, added_date + added_id + added_from + "To: a@b.c\n\nnot a header\nmore\n");
}

TEST(Inject, MessageWithoutBodyAndWithoutFinalNewline) {
  CaptureSink sink;
  ASSERT_TRUE(inject(test_request({"a@b.c"}), input_of("To: a@b.c\nSubject: x").get(), sink).ok());
  EXPECT_EQ(sink.written, added_date + added_id + added_from + "To: a@b.c\nSubject: x\n");
  CaptureSink body;
  ASSERT_TRUE(inject(test_request({"a@b.c"}), input_of("To: a@b.c\n\nno newline").get(), body).ok());
  EXPECT_EQ(body.written, added_date + added_id + added_from + "To: a@b.c\n\nno newline\n");
}

TEST(Inject, EmptyMessage) {
  CaptureSink sink;
  ASSERT_TRUE(inject(test_request({"a@b.c"}), input_of("").get(), sink).ok());
  EXPECT_EQ(sink.written, added_date + added_id + added_from + not_shown);
}

TEST(Inject, LongBodyPassesThroughInChunks) {
  std::string body;
  for (int i = 0; body.size() < 5 * limits::read_chunk; ++i) body += "line " + std::to_string(i) + "\n";
  CaptureSink sink;
  ASSERT_TRUE(inject(test_request({"a@b.c"}), input_of("To: a@b.c\n\n" + body).get(), sink).ok());
  EXPECT_EQ(sink.written, added_date + added_id + added_from + "To: a@b.c\n\n" + body);
}

TEST(Inject, HeaderReadAcrossChunks) {
  // A header section longer than one read chunk, its fields crossing chunk borders.
  std::string header;
  for (int i = 0; header.size() < 3 * limits::read_chunk; ++i) header += "X-Field-" + std::to_string(i) + ": value\n";
  CaptureSink sink;
  ASSERT_TRUE(inject(test_request({"a@b.c"}), input_of(header + "To: a@b.c\n\nbody\n").get(), sink).ok());
  EXPECT_EQ(sink.written, added_date + added_id + added_from + header + "To: a@b.c\n\nbody\n");
}

TEST(Inject, HeaderSectionOverTheLimitIsPermanent) {
  Request request = test_request({"a@b.c"});
  request.limits.header_section = 100;
  CaptureSink sink;
  auto done = inject(request, input_of("X: " + std::string(120, 'a') + "\n\nbody\n").get(), sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(done.error().message, "header section is too large (more than 100 bytes)");
  EXPECT_TRUE(sink.abandoned);
  EXPECT_TRUE(sink.written.empty());
}

TEST(Inject, HeaderSectionOverTheRealLimit) {
  std::string header;
  while (header.size() <= limits::header_section) header += "X-Padding: " + std::string(100, 'p') + "\n";
  CaptureSink sink;
  auto done = inject(test_request({"a@b.c"}), input_of(header + "\nbody\n").get(), sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(done.error().message, "header section is too large (more than 262144 bytes)");
  EXPECT_TRUE(sink.abandoned);
}

TEST(Inject, HeaderFieldOverTheLimitIsPermanent) {
  Request request = test_request({"a@b.c"});
  request.limits.header_field = 50;
  CaptureSink sink;
  auto done = inject(request, input_of("Subject: " + std::string(60, 's') + "\n\n").get(), sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(done.error().message, "a header field is too long (more than 50 bytes)");
  EXPECT_TRUE(sink.abandoned);
}

TEST(Inject, MessageOverTheLimitIsPermanent) {
  Request request = test_request({"a@b.c"});
  request.limits.message = 100000;
  CaptureSink sink;
  auto done = inject(request, input_of("To: a@b.c\n\n" + std::string(100000, 'b')).get(), sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(done.error().message, "message is too big (more than 100000 bytes)");
  EXPECT_TRUE(sink.abandoned);
  EXPECT_FALSE(sink.envelope.has_value());
  // Exactly at the limit is accepted.
  CaptureSink exact;
  EXPECT_TRUE(inject(request, input_of("To: a@b.c\n\n" + std::string(100000 - 11, 'b')).get(), exact).ok());
}

TEST(Inject, NoRecipientsIsPermanentUnlessPrinting) {
  CaptureSink sink;
  auto done = inject(test_request(), input_of("Subject: x\n\n").get(), sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(done.error().message, "no recipients");
  EXPECT_TRUE(sink.abandoned);
  CaptureSink printed;
  EXPECT_TRUE(inject(test_request({}, true), input_of("Subject: x\n\n").get(), printed).ok());
}

TEST(Inject, TooManyRecipients) {
  Request request = test_request();
  request.limits.recipients = 3;
  CaptureSink from_header;
  auto header = inject(request, input_of("To: a@x.y, b@x.y, c@x.y, d@x.y\n\n").get(), from_header);
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error().exit_code, 100);
  EXPECT_EQ(header.error().message, "too many recipients (4; the limit is 3)");
  CaptureSink from_arguments;
  request.arguments.recipients = {"a", "b", "c", "d"};
  auto arguments = inject(request, input_of("\n").get(), from_arguments);
  ASSERT_FALSE(arguments.ok());
  EXPECT_EQ(arguments.error().message, "too many recipients (4; the limit is 3)");
  EXPECT_EQ(limits::queue_recipients, InjectLimits{}.recipients);
}

TEST(Inject, BadRecipientArgumentIsRefusedBeforeReading) {
  CaptureSink sink;
  auto done = inject(test_request({"bad@"}), -1, sink);  // -1: reading would fail
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(done.error().message, "unable to parse address \"bad@\": no domain after @");
  EXPECT_TRUE(sink.abandoned);
}

TEST(Inject, ReadErrorIsTemporary) {
  CaptureSink sink;
  auto done = inject(test_request({"a@b.c"}), -1, sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 111);
  EXPECT_EQ(done.error().message, "unable to read the message: Bad file descriptor");
}

TEST(Inject, EnvelopeAddressChecks) {
  CaptureSink long_sink;
  auto long_address = inject(test_request({std::string(990, 'a') + "@example.org"}), input_of("\n").get(), long_sink);
  ASSERT_FALSE(long_address.ok());
  EXPECT_EQ(long_address.error().exit_code, 100);
  EXPECT_EQ(long_address.error().message.rfind("recipient address too long (1002 bytes; the limit is 999): \"aaa", 0),
            0u)
      << long_address.error().message;
  CaptureSink control_sink;
  auto control = inject(test_request(), input_of("To: \"a\tb\"@x.y\n\n").get(), control_sink);
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().message, "recipient address contains a control character: \"a\\x09b@x.y\"");
  CaptureSink sender_sink;
  Request request = test_request({"a@b.c"});
  request.arguments.sender = std::string(1000, 's');
  auto sender = inject(request, input_of("\n").get(), sender_sink);
  ASSERT_FALSE(sender.ok());
  EXPECT_EQ(sender.error().message.rfind("sender address too long", 0), 0u);
}

TEST(Inject, ExecFailureText) {
  const Fatal fatal = exec_failure("/nowhere/qmail-queue", ENOENT);
  EXPECT_EQ(fatal.exit_code, 111);
  EXPECT_EQ(fatal.message, "unable to run /nowhere/qmail-queue: No such file or directory (#4.3.0)");
}

// --- QueueSink: inject() into a fake qmail-queue ---------------------------------------

class FakeQueue {
 public:
  // Saves descriptor 0 and 1 into files, then exits with `code`; or runs `body`.
  explicit FakeQueue(int code)
      : FakeQueue("cat > \"$DIR/message\"\ncat <&1 > \"$DIR/envelope\"\nexit " + std::to_string(code)) {}
  explicit FakeQueue(const std::string& body) {
    char pattern[] = "/tmp/qcell-inject-queue-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
    program_ = dir_ + "/qmail-queue";
    std::ofstream(program_) << "#!/bin/sh\nDIR='" << dir_ << "'\n" << body << "\n";
    ::chmod(program_.c_str(), 0755);
  }
  ~FakeQueue() {
    if (std::system(("rm -rf '" + dir_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot clean %s\n", dir_.c_str());
  }
  [[nodiscard]] const std::string& program() const { return program_; }
  [[nodiscard]] std::string file(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::string dir_;
  std::string program_;
};

Status<Fatal> inject_into(const FakeQueue& queue, const Request& request, std::string_view message) {
  auto client = QueueClient::start(queue.program());
  if (!client) std::abort();
  QueueSink sink(*client, queue.program());
  return inject(request, input_of(message).get(), sink);
}

TEST(InjectQueueSink, QueuesMessageAndEnvelope) {
  FakeQueue queue(0);
  auto done = inject_into(queue, test_request({"r@x.y"}), "To: r@x.y\n\nhello\n");
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(queue.file("message"), added_date + added_id + added_from + "To: r@x.y\n\nhello\n");
  EXPECT_EQ(queue.file("envelope"), std::string("Fjoe@host.example\0Tr@x.y\0\0", 26));
}

TEST(InjectQueueSink, ExitCodesBecomeMessagesAndExitCodes) {
  struct Case {
    int queue_exit;
    int inject_exit;
    std::string_view message;
  };
  for (const Case& c :
       {Case{11, 100, "qq permanent problem: address too long (#5.1.3)"},
        Case{31, 100, "mail server permanently rejected message (#5.3.0)"},
        Case{25, 100, "qq permanent problem (#5.3.0)"}, Case{51, 111, "qq out of memory (#4.3.0)"},
        Case{53, 111, "qq write error or disk full (#4.3.0)"}, Case{54, 111, "qq read error (#4.3.0)"},
        Case{71, 111, "mail server temporarily rejected message (#4.3.0)"}, Case{81, 111, "qq internal bug (#4.3.0)"},
        Case{91, 111, "qq internal bug (#4.3.0)"}, Case{99, 111, "qq temporary problem (#4.3.0)"}}) {
    FakeQueue queue(c.queue_exit);
    auto done = inject_into(queue, test_request({"r@x.y"}), "To: r@x.y\n\nhello\n");
    ASSERT_FALSE(done.ok()) << c.queue_exit;
    EXPECT_EQ(done.error().exit_code, c.inject_exit) << c.queue_exit;
    EXPECT_EQ(done.error().message, c.message) << c.queue_exit;
  }
}

TEST(InjectQueueSink, QueueThatStopsReading) {
  FakeQueue queue("exec 0<&- 1>&-\nexit 71");
  auto done = inject_into(queue, test_request({"r@x.y"}), "To: r@x.y\n\n" + std::string(2 * 1024 * 1024, 'b'));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 111);
  EXPECT_EQ(done.error().message, "mail server temporarily rejected message (#4.3.0)");
}

TEST(InjectQueueSink, UnrunnableQueue) {
  auto client = QueueClient::start("/nonexistent/qmail-queue");
  ASSERT_TRUE(client.ok());
  QueueSink sink(*client, "/nonexistent/qmail-queue");
  auto done = inject(test_request({"r@x.y"}), input_of("\n").get(), sink);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 111);
  EXPECT_EQ(done.error().message, "unable to run /nonexistent/qmail-queue: No such file or directory (#4.3.0)");
}

TEST(InjectQueueSink, FailureSendsNoEnvelope) {
  FakeQueue queue(0);
  auto done = inject_into(queue, test_request({"r@x.y"}), "To: <broken\n\nbody\n");
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().exit_code, 100);
  EXPECT_EQ(queue.file("envelope"), "");
}

// --- docs/qmail-inject.md ----------------------------------------------------------------

TEST(InjectDocs, ListEveryReasonAndQueueReply) {
  std::ifstream in(QCELL_SOURCE_DIR "/docs/qmail-inject.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  for (int code = 0; code <= static_cast<int>(AddressListError::bad_angle_address); ++code) {
    const std::string reason(describe(static_cast<AddressListError>(code)));
    EXPECT_NE(doc.find("`" + reason + "`"), std::string::npos) << reason;
  }
  for (const queue::ExitEntry& entry : queue::exit_table()) {
    if (entry.reply.empty()) continue;
    EXPECT_NE(doc.find(std::string(entry.reply)), std::string::npos) << entry.reply;
  }
  for (std::string_view text :
       {usage_text, std::string_view("qq crashed (#4.3.0)"), std::string_view("unable to exec qq (#4.3.0)"),
        std::string_view("qq temporary problem (#4.3.0)")}) {
    EXPECT_NE(doc.find(std::string(text)), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace qcell::inject
