// broker_request_test.cc — the broker protocol codec: exact encodings, round
// trips of every kind, every refusal of the strict decoder (framing, kinds,
// field counts, each field's charset and length, the 4096-byte frame limit),
// the encoder refusing what the decoder would refuse, and the vocabularies
// kept in step with policy.h and docs/broker-protocol.md.
// Reads the source tree as text (QCELL_SOURCE_DIR); trusts nothing else.
#include "core/broker_request.h"

#include "broker_frames.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/netstring.h"
#include "core/policy.h"

namespace qcell {
namespace {

using testing::frame_of;
using testing::remote_frame_of_size;

// A frame from raw fields, with no checking: the decoder's input.
Result<Request, RequestError> decode(std::string_view frame) { return decode_request(as_bytes(frame)); }
Result<Reply, RequestError> decode_r(std::string_view frame) { return decode_reply(as_bytes(frame)); }

RequestError request_error(std::string_view frame) {
  auto decoded = decode(frame);
  EXPECT_FALSE(decoded.ok()) << frame;
  return decoded.ok() ? RequestError::no_buffer_space : decoded.error();
}

RequestError reply_error(std::string_view frame) {
  auto decoded = decode_r(frame);
  EXPECT_FALSE(decoded.ok()) << frame;
  return decoded.ok() ? RequestError::no_buffer_space : decoded.error();
}

std::string encoded(const Request& request) {
  ByteBuffer out(limits::broker_request);
  auto status = encode_request(request, out);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : describe(status.error()));
  return std::string(out.view());
}

std::string encoded(const Reply& reply) {
  ByteBuffer out(limits::broker_request);
  auto status = encode_reply(reply, out);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : describe(status.error()));
  return std::string(out.view());
}

RequestError encode_error(const Request& request) {
  ByteBuffer out(limits::broker_request);
  auto status = encode_request(request, out);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(out.empty());
  return status.ok() ? RequestError::no_buffer_space : status.error();
}

SpawnLocal local(std::string recipient = "joe@example.com", std::string sender = "alice@example.org") {
  return SpawnLocal{std::move(recipient), std::move(sender)};
}

std::string local_frame(std::string_view recipient = "joe@example.com", std::string_view sender = "a@b") {
  return frame_of({"spawn-local", recipient, sender});
}

std::string remote_frame(std::string_view host, std::string_view recipient = "bob@example.net") {
  return frame_of({"spawn-remote", host, "alice@example.org", recipient});
}

// --- exact encodings and round trips ------------------------------------------------------

TEST(BrokerRequest, SpawnQueueEncodesToItsKindAlone) {
  EXPECT_EQ(encoded(Request{SpawnQueue{}}), "15:11:spawn-queue,,");
  auto decoded = decode("15:11:spawn-queue,,");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(kind_of(*decoded), RequestKind::spawn_queue);
}

TEST(BrokerRequest, SpawnLocalEncodesFieldsInOrder) {
  Request request{local("joe-list-owner@example.com", "")};
  std::string expected = frame_of({"spawn-local", "joe-list-owner@example.com", ""});
  EXPECT_EQ(encoded(request), expected);
  EXPECT_EQ(expected, "48:11:spawn-local,26:joe-list-owner@example.com,0:,,");
  auto decoded = decode(expected);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, request);
}

TEST(BrokerRequest, SpawnRemoteRoundTripsWithManyRecipients) {
  SpawnRemote remote{"mx.example.net", "alice@example.org", {}};
  for (int i = 0; i < 100; ++i) remote.recipients.push_back("r" + std::to_string(i) + "@example.net");
  Request request{remote};
  std::string frame = encoded(request);
  auto decoded = decode(frame);
  ASSERT_TRUE(decoded.ok()) << describe(decoded.error());
  EXPECT_EQ(*decoded, request);
  EXPECT_EQ(std::get<SpawnRemote>(*decoded).recipients.size(), 100u);
}

TEST(BrokerRequest, DecodingIsCanonical) {
  // Every frame that decodes re-encodes to the same bytes.
  for (const std::string& frame :
       {std::string("15:11:spawn-queue,,"), local_frame("x@y", ""), std::string("15:11:spawn-clean,,"),
        remote_frame("[IPv6:2001:db8::1]"), remote_frame("[192.0.2.1]"),
        local_frame("j\xc3\xa9r\xc3\xb4me@exampl\xc3\xa9.fr", "\xf0\x9f\x93\xa7@x")}) {
    auto decoded = decode(frame);
    ASSERT_TRUE(decoded.ok()) << frame << ": " << describe(decoded.error());
    EXPECT_EQ(encoded(*decoded), frame);
  }
}

TEST(BrokerRequest, EncodeAppendsToTheBuffer) {
  ByteBuffer out(2 * limits::broker_request);
  ASSERT_TRUE(out.append(std::string_view("prefix")).ok());
  ASSERT_TRUE(encode_request(Request{SpawnQueue{}}, out).ok());
  EXPECT_EQ(out.view(), "prefix15:11:spawn-queue,,");
}

// --- vocabularies ----------------------------------------------------------------------------

TEST(BrokerRequest, KindNamesRoundTrip) {
  for (const auto& entry : request_kind_table()) {
    EXPECT_EQ(request_kind_name(entry.kind), entry.name);
    EXPECT_EQ(parse_request_kind(entry.name), entry.kind);
  }
  for (const auto& entry : reply_kind_table()) {
    EXPECT_EQ(reply_kind_name(entry.kind), entry.name);
    EXPECT_EQ(parse_reply_kind(entry.name), entry.kind);
  }
  for (const auto& entry : refusal_reason_table()) {
    EXPECT_EQ(refusal_reason_name(entry.reason), entry.name);
    EXPECT_EQ(parse_refusal_reason(entry.name), entry.reason);
    EXPECT_EQ(is_temporary(entry.reason), entry.temporary);
  }
  EXPECT_FALSE(parse_request_kind("Spawn-Queue"));
  EXPECT_FALSE(parse_request_kind("spawn-queue "));
  EXPECT_FALSE(parse_request_kind(""));
  EXPECT_FALSE(parse_request_kind("started"));
  EXPECT_FALSE(parse_reply_kind("spawn-local"));
}

TEST(BrokerRequest, KindNamesAreThePolicyRequestNames) {
  // A policy's `request` line names the kinds this protocol sends.
  ASSERT_EQ(request_kind_table().size(), request_name_table().size());
  for (const auto& entry : request_kind_table()) {
    auto name = parse_request_name(entry.name);
    ASSERT_TRUE(name.has_value()) << entry.name;
    EXPECT_EQ(request_name_text(*name), entry.name);
  }
}

TEST(BrokerRequest, DescriptorsExpectedPerKind) {
  EXPECT_EQ(descriptors_expected(Request{SpawnQueue{}}), 2u);
  EXPECT_EQ(descriptors_expected(Request{local()}), 2u);
  EXPECT_EQ(descriptors_expected(Request{SpawnRemote{"example.net", "", {"a@b"}}}), 2u);
  EXPECT_EQ(descriptors_expected(Request{SpawnClean{}}), 1u);
  EXPECT_EQ(descriptors_expected(Request{SpawnCommand{}}), 3u);
  for (const auto& entry : request_kind_table()) {
    EXPECT_LE(entry.descriptors, broker_request_limits::descriptors);
  }
}

TEST(BrokerRequest, EveryErrorHasADistinctNameAndText) {
  std::set<std::string_view> names;
  std::set<std::string_view> texts;
  for (const auto& entry : request_error_table()) {
    EXPECT_EQ(describe(entry.error), entry.text);
    EXPECT_EQ(request_error_name(entry.error), entry.name);
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_TRUE(texts.insert(entry.text).second) << entry.text;
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(RequestError::no_buffer_space) + 1);
}

// --- framing ------------------------------------------------------------------------------------

TEST(BrokerRequest, RefusesBadFraming) {
  EXPECT_EQ(request_error(""), RequestError::bad_framing);
  EXPECT_EQ(request_error("15:11:spawn-queue,"), RequestError::bad_framing);  // cut before the last comma
  EXPECT_EQ(request_error("15:11:spawn-queue,;"), RequestError::bad_framing);
  EXPECT_EQ(request_error("015:11:spawn-queue,,"), RequestError::bad_framing);
  EXPECT_EQ(request_error("x"), RequestError::bad_framing);
  EXPECT_EQ(request_error("99999999999:"), RequestError::bad_framing);
  EXPECT_EQ(request_error("5000:"), RequestError::bad_framing);  // declares more than the limit
}

TEST(BrokerRequest, RefusesTrailingBytes) {
  EXPECT_EQ(request_error("15:11:spawn-queue,,x"), RequestError::trailing_bytes);
  EXPECT_EQ(request_error("15:11:spawn-queue,,15:11:spawn-queue,,"), RequestError::trailing_bytes);
  EXPECT_EQ(request_error(std::string("15:11:spawn-queue,,\0", 20)), RequestError::trailing_bytes);
  EXPECT_EQ(request_error("15:11:spawn-queue,,\n"), RequestError::trailing_bytes);
}

TEST(BrokerRequest, RefusesBadFieldFraming) {
  EXPECT_EQ(request_error("14:11:spawn-queue,"), RequestError::bad_field_framing);  // inner comma missing
  EXPECT_EQ(request_error("16:11:spawn-queue,x,"), RequestError::bad_field_framing);
  EXPECT_EQ(request_error("5:3:abc,"), RequestError::bad_field_framing);
  EXPECT_EQ(request_error(encode_netstring("11:spawn-queue,3:ab")), RequestError::bad_field_framing);
}

TEST(BrokerRequest, RefusesMissingAndUnknownKinds) {
  EXPECT_EQ(request_error("0:,"), RequestError::missing_kind);
  EXPECT_EQ(request_error(frame_of({""})), RequestError::unknown_kind);
  EXPECT_EQ(request_error(frame_of({"spawn-pop3"})), RequestError::unknown_kind);
  EXPECT_EQ(request_error(frame_of({"SPAWN-QUEUE"})), RequestError::unknown_kind);
  EXPECT_EQ(request_error(frame_of({std::string_view("spawn-queue\0", 12)})), RequestError::unknown_kind);
  EXPECT_EQ(request_error(frame_of({"started", "1"})), RequestError::unknown_kind);
  EXPECT_EQ(reply_error(frame_of({"spawn-queue"})), RequestError::unknown_kind);
}

TEST(BrokerRequest, RefusesWrongFieldCounts) {
  EXPECT_EQ(request_error(frame_of({"spawn-queue", ""})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-local", "joe@x"})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-local", "joe@x", "", ""})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-clean", ""})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-command", ""})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-command", "alice", "1000"})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-remote", "example.net", "a@b"})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-remote", "example.net"})), RequestError::wrong_field_count);
  EXPECT_EQ(request_error(frame_of({"spawn-remote"})), RequestError::wrong_field_count);
}

TEST(BrokerRequest, AtMostOneHundredRecipients) {
  std::vector<std::string> fields{"spawn-remote", "example.net", ""};
  for (int i = 0; i < 100; ++i) fields.push_back("r" + std::to_string(i) + "@x");
  ASSERT_TRUE(decode(frame_of(fields)).ok());
  fields.push_back("one-more@x");
  EXPECT_EQ(request_error(frame_of(fields)), RequestError::too_many_recipients);
  // Far more fields than any kind has: still one clean refusal.
  for (int i = 0; i < 1000; ++i) fields.emplace_back("");
  EXPECT_EQ(request_error(frame_of(fields)), RequestError::too_many_recipients);
  std::vector<std::string> many{"spawn-local"};
  for (int i = 0; i < 1000; ++i) many.emplace_back("");
  EXPECT_EQ(request_error(frame_of(many)), RequestError::wrong_field_count);

  SpawnRemote remote{"example.net", "", std::vector<std::string>(101, "a@b")};
  EXPECT_EQ(encode_error(Request{remote}), RequestError::too_many_recipients);
  remote.recipients.clear();
  EXPECT_EQ(encode_error(Request{remote}), RequestError::wrong_field_count);
}

// --- the frame limit ---------------------------------------------------------------------------

TEST(BrokerRequest, FrameOfExactlyTheLimitDecodesAndOneMoreIsRefused) {
  std::string frame = remote_frame_of_size(limits::broker_request);
  ASSERT_EQ(frame.size(), limits::broker_request);
  auto decoded = decode(frame);
  ASSERT_TRUE(decoded.ok()) << describe(decoded.error());
  EXPECT_EQ(encoded(*decoded), frame);

  std::string over = remote_frame_of_size(limits::broker_request + 1);
  ASSERT_EQ(over.size(), limits::broker_request + 1);
  EXPECT_EQ(request_error(over), RequestError::frame_too_large);
  EXPECT_EQ(reply_error(std::string(limits::broker_request + 1, '1')), RequestError::frame_too_large);
  // Megabytes are refused by their size before any byte is read.
  EXPECT_EQ(request_error(std::string(8 << 20, '9')), RequestError::frame_too_large);
}

TEST(BrokerRequest, EncoderRefusesARequestThatDoesNotFitAFrame) {
  SpawnRemote remote{"example.net", "", {}};
  for (int i = 0; i < 10; ++i) remote.recipients.push_back(std::string(900, 'r') + "@example.net");
  EXPECT_EQ(encode_error(Request{remote}), RequestError::frame_too_large);
}

TEST(BrokerRequest, LargestSpawnLocalFitsAFrame) {
  Request request{local(std::string(1000, 'r'), std::string(1000, 's'))};
  std::string frame = encoded(request);
  EXPECT_LE(frame.size(), limits::broker_request);
  auto decoded = decode(frame);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, request);
}

TEST(BrokerRequest, EncoderReportsABufferTooSmall) {
  ByteBuffer small(10);
  ASSERT_TRUE(small.append(std::string_view("abc")).ok());
  auto status = encode_request(Request{SpawnQueue{}}, small);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(), RequestError::no_buffer_space);
  EXPECT_EQ(small.view(), "abc");
}

// --- fields ---------------------------------------------------------------------------------------

TEST(BrokerRequest, SpawnCleanHasNoFields) {
  EXPECT_EQ(encoded(Request{SpawnClean{}}), "15:11:spawn-clean,,");
  auto decoded = decode("15:11:spawn-clean,,");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(kind_of(*decoded), RequestKind::spawn_clean);
}

// A program delivery names no user, uid or home: the broker takes them
// from the cell that asks, so there is nothing in the frame to forge.
TEST(BrokerRequest, SpawnCommandHasNoFieldsAndThreeDescriptors) {
  EXPECT_EQ(encoded(Request{SpawnCommand{}}), "17:13:spawn-command,,");
  auto decoded = decode("17:13:spawn-command,,");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(kind_of(*decoded), RequestKind::spawn_command);
  std::vector<RequestDescriptorEntry> places;
  for (const auto& entry : request_descriptor_table()) {
    if (entry.kind == RequestKind::spawn_command) places.push_back(entry);
  }
  ASSERT_EQ(places.size(), 3u);
  EXPECT_EQ(places[0].type, DescriptorType::regular_file);
  EXPECT_EQ(places[0].access, DescriptorAccess::read_only);
  EXPECT_EQ(places[1].type, DescriptorType::pipe);
  EXPECT_EQ(places[1].access, DescriptorAccess::write_only);
  EXPECT_EQ(places[2].type, DescriptorType::sealed_memory);
  // Names are matched exactly.
  EXPECT_EQ(request_error(frame_of({"Spawn-Command"})), RequestError::unknown_kind);
}

TEST(BrokerRequest, Recipients) {
  for (std::string_view recipient : {"joe@example.com", "joe", "a b@c", "\"x\"@y", "j\xc3\xa9r\xc3\xb4me@x",
                                     "\xe2\x82\xac@x", "\xf0\x9f\x93\xa7@x", "\xc2\xa0@x", "-joe@x"}) {
    EXPECT_TRUE(decode(local_frame(recipient)).ok()) << recipient;
  }
  EXPECT_TRUE(decode(local_frame(std::string(1000, 'r'))).ok());
  for (std::string_view recipient :
       {"", "a\rb", "a\nb", "a\tb", "a\x7f", "\x80@x", "\xc3@x", "\xc0\xaf@x", "\xed\xa0\x80@x", "\xf4\x90\x80\x80@x",
        "\xf8\x88\x80\x80\x80@x", "\xc2\x85@x", "\xc2\x9f@x", "\xe0\x80\xaf@x", "\xe2\x82"}) {
    EXPECT_EQ(request_error(local_frame(recipient)), RequestError::bad_recipient) << recipient;
  }
  EXPECT_EQ(request_error(local_frame(std::string_view("a\0b", 3))), RequestError::bad_recipient);
  EXPECT_EQ(request_error(local_frame(std::string(1001, 'r'))), RequestError::bad_recipient);
  EXPECT_EQ(request_error(remote_frame("example.net", "a\nb")), RequestError::bad_recipient);
  EXPECT_EQ(request_error(remote_frame("example.net", "")), RequestError::bad_recipient);
  EXPECT_EQ(encode_error(Request{local("")}), RequestError::bad_recipient);
  EXPECT_EQ(encode_error(Request{SpawnRemote{"example.net", "", {"a@b", "c\r@d"}}}), RequestError::bad_recipient);
}

TEST(BrokerRequest, Senders) {
  EXPECT_TRUE(decode(local_frame("joe@x", "")).ok());
  EXPECT_TRUE(decode(local_frame("joe@x", std::string(1000, 's'))).ok());
  EXPECT_TRUE(decode(local_frame("joe@x", "#@[]")).ok());  // qmail's double-bounce sender
  EXPECT_EQ(request_error(local_frame("joe@x", std::string(1001, 's'))), RequestError::bad_sender);
  EXPECT_EQ(request_error(local_frame("joe@x", "a\r\nb")), RequestError::bad_sender);
  EXPECT_EQ(request_error(local_frame("joe@x", "\xff")), RequestError::bad_sender);
  EXPECT_EQ(request_error(frame_of({"spawn-remote", "example.net", "a\x01", "b@c"})), RequestError::bad_sender);
  EXPECT_EQ(encode_error(Request{local("joe@x", "\x1b[31m")}), RequestError::bad_sender);
}

TEST(BrokerRequest, Hosts) {
  for (std::string_view host : {"example.net", "mx1.example.net", "localhost", "a", "xn--bcher-kva.example",
                                "EXAMPLE.NET", "1.2.3.4", "a-b.c", "[192.0.2.1]", "[0.0.0.0]", "[IPv6:::1]",
                                "[IPv6:2001:db8::1]", "[IPv6:2001:DB8:0:0:0:0:0:1]", "[IPv6:::ffff:192.0.2.1]"}) {
    EXPECT_TRUE(decode(remote_frame(host)).ok()) << host;
  }
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                        std::string(63, 'd');  // 255 bytes
  ASSERT_EQ(longest.size(), 255u);
  EXPECT_TRUE(decode(remote_frame(longest)).ok());
  for (std::string_view host : {"", ".", "example.net.", ".example.net", "a..b", "-example.net", "example-.net",
                                "ex_ample.net", "exa mple.net", "example.net/x", "\xc3\xa9.example"}) {
    EXPECT_EQ(request_error(remote_frame(host)), RequestError::bad_host) << host;
  }
  for (std::string_view host : {"[]", "[", "]", "[192.0.2.1", "192.0.2.1]", "[192.0.2.256]", "[192.0.2]", "[01.2.3.4]",
                                "[::1]", "[IPv6:]", "[IPv6:1.2.3.4]", "[IPv6:::1%eth0]", "[ipv6:::1]"}) {
    EXPECT_EQ(request_error(remote_frame(host)), RequestError::bad_host) << host;
  }
  for (std::string_view host :
       {"[IPv6: ::1]", "[192.0.2.1]x", "[[192.0.2.1]]", "[IPv6:gggg::1]", "[IPv6:1:2:3:4:5:6:7:8:9]"}) {
    EXPECT_EQ(request_error(remote_frame(host)), RequestError::bad_host) << host;
  }
  EXPECT_EQ(request_error(remote_frame(longest + "e")), RequestError::bad_host);
  EXPECT_EQ(request_error(remote_frame(std::string(64, 'a') + ".net")), RequestError::bad_host);
  EXPECT_EQ(request_error(remote_frame(std::string_view("a\0b", 3))), RequestError::bad_host);
  EXPECT_EQ(encode_error(Request{SpawnRemote{"-oProxyCommand=x", "", {"a@b"}}}), RequestError::bad_host);
}

// --- replies --------------------------------------------------------------------------------------

TEST(BrokerRequest, RepliesRoundTrip) {
  for (const Reply& reply : {Reply{Started{0}}, Reply{Started{42}}, Reply{Started{UINT64_MAX}},
                             Reply{Refused{RefusalReason::not_allowed, "policy qmail-smtpd has no spawn-local"}},
                             Reply{Refused{RefusalReason::busy, ""}}, Reply{Finished{7, ExitStatus{false, 0}}},
                             Reply{Finished{7, ExitStatus{false, 255}}}, Reply{Finished{8, ExitStatus{true, 9}}},
                             Reply{Finished{8, ExitStatus{true, 64}}}}) {
    std::string frame = encoded(reply);
    auto decoded = decode_r(frame);
    ASSERT_TRUE(decoded.ok()) << frame << ": " << describe(decoded.error());
    EXPECT_EQ(*decoded, reply) << frame;
  }
  EXPECT_EQ(encoded(Reply{Started{42}}), "15:7:started,2:42,,");
  EXPECT_EQ(encoded(Reply{Finished{3, ExitStatus{true, 9}}}), "26:8:finished,1:3,8:signal:9,,");
  EXPECT_EQ(encoded(Reply{Refused{RefusalReason::no_such_user, "x"}}), "30:7:refused,12:no-such-user,1:x,,");
}

TEST(BrokerRequest, CellIdsAreCanonicalDecimal) {
  EXPECT_TRUE(decode_r(frame_of({"started", "18446744073709551615"})).ok());
  for (std::string_view id : {"", "01", "00", "-1", "+1", " 1", "1 ", "0x10", "18446744073709551616",
                              "99999999999999999999", "123456789012345678901", "1.0"}) {
    EXPECT_EQ(reply_error(frame_of({"started", id})), RequestError::bad_cell_id) << id;
    EXPECT_EQ(reply_error(frame_of({"finished", id, "0"})), RequestError::bad_cell_id) << id;
  }
}

TEST(BrokerRequest, RefusalReasonsAndTexts) {
  for (const auto& entry : refusal_reason_table()) {
    auto decoded = decode_r(frame_of({"refused", entry.name, "why"}));
    ASSERT_TRUE(decoded.ok()) << entry.name;
    EXPECT_EQ(std::get<Refused>(*decoded).reason, entry.reason);
  }
  EXPECT_EQ(reply_error(frame_of({"refused", "Busy", ""})), RequestError::bad_reason);
  EXPECT_EQ(reply_error(frame_of({"refused", "", ""})), RequestError::bad_reason);
  EXPECT_TRUE(decode_r(frame_of({"refused", "busy", std::string(200, 't')})).ok());
  EXPECT_EQ(reply_error(frame_of({"refused", "busy", std::string(201, 't')})), RequestError::bad_text);
  EXPECT_EQ(reply_error(frame_of({"refused", "busy", "a\nb"})), RequestError::bad_text);
  EXPECT_EQ(reply_error(frame_of({"refused", "busy", "\xc3\xa9"})), RequestError::bad_text);
  EXPECT_EQ(reply_error(frame_of({"refused", "busy"})), RequestError::wrong_field_count);

  ByteBuffer out(limits::broker_request);
  auto status = encode_reply(Reply{Refused{static_cast<RefusalReason>(99), ""}}, out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(), RequestError::bad_reason);
  status = encode_reply(Reply{Refused{RefusalReason::busy, "\x07"}}, out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(), RequestError::bad_text);
  EXPECT_TRUE(out.empty());
}

TEST(BrokerRequest, ExitStatuses) {
  for (std::string_view status : {"0", "1", "99", "100", "111", "255", "signal:1", "signal:9", "signal:64"}) {
    EXPECT_TRUE(decode_r(frame_of({"finished", "1", status})).ok()) << status;
  }
  for (std::string_view status : {"", "256", "-1", "00", "011", "signal:", "signal:0", "signal:65", "signal:09",
                                  "signal:-9", "Signal:9", "signal 9", "signal:9x", "exit:0", "1000"}) {
    EXPECT_EQ(reply_error(frame_of({"finished", "1", status})), RequestError::bad_exit_status) << status;
  }
  ByteBuffer out(limits::broker_request);
  auto bad = encode_reply(Reply{Finished{1, ExitStatus{true, 0}}}, out);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), RequestError::bad_exit_status);
  bad = encode_reply(Reply{Finished{1, ExitStatus{true, 65}}}, out);
  ASSERT_FALSE(bad.ok());
}

TEST(BrokerRequest, ExitStatusFromWait) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(111);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(exit_status_from_wait(status), (ExitStatus{false, 111}));

  child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)::raise(SIGKILL);
    ::_exit(0);
  }
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(exit_status_from_wait(status), (ExitStatus{true, SIGKILL}));
}

// --- documentation ----------------------------------------------------------------------------------

std::string read_source_file(const std::string& relative) {
  std::string text;
  int fd = ::open((std::string(QCELL_SOURCE_DIR) + "/" + relative).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  std::array<char, 4096> chunk{};
  for (ssize_t n; (n = ::read(fd, chunk.data(), chunk.size())) > 0;)
    text.append(chunk.data(), static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

TEST(BrokerRequest, DocumentationListsEveryKindReasonAndError) {
  std::string doc = read_source_file("docs/broker-protocol.md");
  ASSERT_FALSE(doc.empty());
  for (const auto& entry : request_kind_table()) {
    EXPECT_NE(doc.find("### `" + std::string(entry.name) + "`"), std::string::npos) << entry.name;
  }
  for (const auto& entry : reply_kind_table()) {
    EXPECT_NE(doc.find("### `" + std::string(entry.name) + "`"), std::string::npos) << entry.name;
  }
  for (const auto& entry : refusal_reason_table()) {
    EXPECT_NE(doc.find("| `" + std::string(entry.name) + "` | " + (entry.temporary ? "temporary" : "permanent")),
              std::string::npos)
        << entry.name;
  }
  for (const auto& entry : request_error_table()) {
    std::string row = "| `" + std::string(entry.name) + "` | " + std::string(entry.text) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
  }
}

}  // namespace
}  // namespace qcell
