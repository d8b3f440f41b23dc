// queue_records_test.cc — the record file parsers: valid envelopes, info and
// recipient files, every RecordError with its offset, and the limits at
// their exact boundaries.
#include "core/queue_records.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "queue_fixture.h"

namespace qcell::queue {
namespace {

using testing::envelope_bytes;
using testing::record;

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text)); }

RecordParseError envelope_error(const std::string& text, const RecordLimits& limits = {}) {
  auto parsed = parse_envelope(bytes_of(text), limits);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly";
    return {};
  }
  return parsed.error();
}

RecordParseError info_error(const std::string& text, const RecordLimits& limits = {}) {
  auto parsed = parse_info(bytes_of(text), limits);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly";
    return {};
  }
  return parsed.error();
}

RecordParseError recipients_error(const std::string& text, const RecordLimits& limits = {}) {
  auto parsed = parse_recipients(bytes_of(text), limits);
  if (parsed.ok()) {
    ADD_FAILURE() << "parsed unexpectedly";
    return {};
  }
  return parsed.error();
}

RecordParseError at(RecordError error, std::size_t offset) { return RecordParseError{error, offset}; }

// --- envelopes (todo/, intd/) ------------------------------------------------------

TEST(QueueRecordsEnvelope, ParsesQmailQueueOrder) {
  std::string text = envelope_bytes("sender@example.com", {"a@example.org", "b@example.net"}, 1001, 77);
  auto parsed = parse_envelope(bytes_of(text));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->uid, 1001u);
  EXPECT_EQ(parsed->pid, 77u);
  EXPECT_EQ(parsed->sender, "sender@example.com");
  EXPECT_EQ(parsed->recipients, (std::vector<std::string>{"a@example.org", "b@example.net"}));
}

TEST(QueueRecordsEnvelope, NullSenderAndNoRecipientsAreValid) {
  auto parsed = parse_envelope(bytes_of(envelope_bytes("", {})));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sender, "");
  EXPECT_TRUE(parsed->recipients.empty());
}

TEST(QueueRecordsEnvelope, AddressBytesAreKeptAsTheyAre) {
  std::string odd = "\xff\x01 \"quoted\"@x\r\n";
  auto parsed = parse_envelope(bytes_of(envelope_bytes(odd, {odd, ""})));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sender, odd);
  EXPECT_EQ(parsed->recipients, (std::vector<std::string>{odd, ""}));
}

TEST(QueueRecordsEnvelope, UidAndPidBounds) {
  auto max = parse_envelope(bytes_of(record('u', "4294967295") + record('p', "0") + record('F', "")));
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->uid, 4294967295u);
  EXPECT_EQ(envelope_error(record('u', "4294967296") + record('p', "1") + record('F', "")),
            at(RecordError::bad_number, 0));
  EXPECT_EQ(envelope_error(record('u', "00000000001") + record('p', "1") + record('F', "")),
            at(RecordError::bad_number, 0));
  EXPECT_EQ(envelope_error(record('u', "") + record('p', "1") + record('F', "")), at(RecordError::bad_number, 0));
  EXPECT_EQ(envelope_error(record('u', "1") + record('p', "-1") + record('F', "")), at(RecordError::bad_number, 3));
  EXPECT_EQ(envelope_error(record('u', "1 ") + record('p', "1") + record('F', "")), at(RecordError::bad_number, 0));
}

TEST(QueueRecordsEnvelope, UnterminatedRecordIsACutFile) {
  std::string text = envelope_bytes("s", {"r@x"});
  text.pop_back();  // the last NUL
  EXPECT_EQ(envelope_error(text), at(RecordError::unterminated_record, text.size() - 4));
  EXPECT_EQ(envelope_error("u12"), at(RecordError::unterminated_record, 0));
}

TEST(QueueRecordsEnvelope, EmptyRecord) {
  // qmail-queue does not write the envelope's final empty record.
  std::string text = envelope_bytes("s", {"r@x"});
  EXPECT_EQ(envelope_error(text + std::string(1, '\0')), at(RecordError::empty_record, text.size()));
  EXPECT_EQ(envelope_error(std::string(1, '\0')), at(RecordError::empty_record, 0));
}

TEST(QueueRecordsEnvelope, UnknownLetter) {
  std::string head = record('u', "1") + record('p', "2") + record('F', "s");
  EXPECT_EQ(envelope_error(head + record('X', "r")), at(RecordError::unknown_record_letter, head.size()));
  EXPECT_EQ(envelope_error(head + record('D', "r")), at(RecordError::unknown_record_letter, head.size()));
  EXPECT_EQ(envelope_error(record('t', "r")), at(RecordError::unknown_record_letter, 0));
}

TEST(QueueRecordsEnvelope, OutOfOrder) {
  EXPECT_EQ(envelope_error(record('p', "1") + record('u', "1") + record('F', "")),
            at(RecordError::record_out_of_order, 0));
  EXPECT_EQ(envelope_error(record('F', "s") + record('u', "1")), at(RecordError::record_out_of_order, 0));
  std::string up = record('u', "1") + record('p', "2");
  EXPECT_EQ(envelope_error(up + record('T', "r")), at(RecordError::record_out_of_order, up.size()));
  EXPECT_EQ(envelope_error(record('u', "1") + record('F', "s")), at(RecordError::record_out_of_order, 3));
}

TEST(QueueRecordsEnvelope, Duplicates) {
  std::string head = record('u', "1") + record('p', "2") + record('F', "s");
  EXPECT_EQ(envelope_error(head + record('F', "t")), at(RecordError::duplicate_record, head.size()));
  EXPECT_EQ(envelope_error(head + record('T', "r") + record('u', "1")),
            at(RecordError::duplicate_record, head.size() + 3));
  EXPECT_EQ(envelope_error(record('u', "1") + record('u', "1")), at(RecordError::duplicate_record, 3));
  EXPECT_EQ(envelope_error(head + record('p', "3")), at(RecordError::duplicate_record, head.size()));
}

TEST(QueueRecordsEnvelope, MissingRecords) {
  EXPECT_EQ(envelope_error(""), at(RecordError::missing_record, 0));
  std::string up = record('u', "1") + record('p', "2");
  EXPECT_EQ(envelope_error(up), at(RecordError::missing_record, up.size()));
}

TEST(QueueRecordsEnvelope, AddressLengthBoundary) {
  RecordLimits limits;
  const std::string longest(limits.max_address - 1, 'a');
  const std::string too_long(limits.max_address, 'a');
  EXPECT_TRUE(parse_envelope(bytes_of(envelope_bytes(longest, {longest}))).ok());
  EXPECT_EQ(envelope_error(envelope_bytes(too_long, {})), at(RecordError::address_too_long, 12));
  std::string head = envelope_bytes("s", {});
  EXPECT_EQ(envelope_error(envelope_bytes("s", {too_long})), at(RecordError::address_too_long, head.size()));
  EXPECT_EQ(limits.max_address, limits::envelope_address);
}

TEST(QueueRecordsEnvelope, RecipientCountBoundary) {
  RecordLimits limits;
  limits.max_records = 3;
  EXPECT_TRUE(parse_envelope(bytes_of(envelope_bytes("s", {"a", "b", "c"})), limits).ok());
  std::string head = envelope_bytes("s", {"a", "b", "c"});
  EXPECT_EQ(envelope_error(envelope_bytes("s", {"a", "b", "c", "d"}), limits),
            at(RecordError::too_many_records, head.size()));
  EXPECT_EQ(RecordLimits{}.max_records, limits::queue_recipients);
}

TEST(QueueRecordsEnvelope, FileSizeBoundary) {
  std::string text = envelope_bytes("s", {"r@x"});
  RecordLimits limits;
  limits.max_file = text.size();
  EXPECT_TRUE(parse_envelope(bytes_of(text), limits).ok());
  limits.max_file = text.size() - 1;
  EXPECT_EQ(envelope_error(text, limits), at(RecordError::file_too_large, text.size() - 1));
  EXPECT_EQ(RecordLimits{}.max_file, limits::queue_record_file);
}

TEST(QueueRecordsEnvelope, FullSizeEnvelopeParses) {
  RecordLimits limits;
  std::vector<std::string> recipients(limits.max_records, std::string(limits.max_address - 1, 'r'));
  std::string text = envelope_bytes(std::string(limits.max_address - 1, 's'), recipients);
  ASSERT_LE(text.size(), limits.max_file);
  auto parsed = parse_envelope(bytes_of(text));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->recipients.size(), limits.max_records);
}

// --- info/ -------------------------------------------------------------------------------

TEST(QueueRecordsInfo, OneSenderRecord) {
  auto parsed = parse_info(bytes_of(record('F', "s@x")));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sender, "s@x");
  auto bounce = parse_info(bytes_of(record('F', "")));
  ASSERT_TRUE(bounce.ok());
  EXPECT_EQ(bounce->sender, "");
}

TEST(QueueRecordsInfo, Errors) {
  EXPECT_EQ(info_error(""), at(RecordError::missing_record, 0));  // a crash between create and write
  EXPECT_EQ(info_error("Fs@x"), at(RecordError::unterminated_record, 0));
  EXPECT_EQ(info_error(record('F', "a") + record('F', "b")), at(RecordError::duplicate_record, 3));
  EXPECT_EQ(info_error(record('T', "a")), at(RecordError::unknown_record_letter, 0));
  EXPECT_EQ(info_error(std::string(1, '\0')), at(RecordError::empty_record, 0));
  EXPECT_EQ(info_error(record('F', std::string(limits::envelope_address, 'a'))), at(RecordError::address_too_long, 0));
  RecordLimits small;
  small.max_file = 2;
  EXPECT_EQ(info_error(record('F', "a@b"), small), at(RecordError::file_too_large, 2));
}

// --- local/ and remote/ -------------------------------------------------------------------

TEST(QueueRecordsRecipients, TodoAndDone) {
  std::string text = record('T', "a@x") + record('D', "b@y") + record('T', "");
  auto parsed = parse_recipients(bytes_of(text));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0], (RecipientRecord{"a@x", false}));
  EXPECT_EQ((*parsed)[1], (RecipientRecord{"b@y", true}));
  EXPECT_EQ((*parsed)[2], (RecipientRecord{"", false}));
}

TEST(QueueRecordsRecipients, EmptyFileHasNoRecipients) {
  auto parsed = parse_recipients(bytes_of(""));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(QueueRecordsRecipients, Errors) {
  EXPECT_EQ(recipients_error(record('T', "a") + "Db"), at(RecordError::unterminated_record, 3));
  EXPECT_EQ(recipients_error(record('F', "a")), at(RecordError::unknown_record_letter, 0));
  EXPECT_EQ(recipients_error(record('T', "a") + std::string(1, '\0')), at(RecordError::empty_record, 3));
  EXPECT_EQ(recipients_error(record('D', std::string(limits::envelope_address, 'a'))),
            at(RecordError::address_too_long, 0));
  RecordLimits limits;
  limits.max_records = 2;
  EXPECT_EQ(recipients_error(record('T', "a") + record('D', "b") + record('T', "c"), limits),
            at(RecordError::too_many_records, 6));
  limits.max_file = 5;
  EXPECT_EQ(recipients_error(record('T', "a") + record('D', "b"), limits), at(RecordError::file_too_large, 5));
}

// --- descriptions ----------------------------------------------------------------------------

TEST(QueueRecordsDescribe, EveryErrorHasItsOwnPhrase) {
  std::set<std::string_view> phrases;
  for (int e = 0; e <= static_cast<int>(RecordError::too_many_records); ++e) {
    std::string_view phrase = describe(static_cast<RecordError>(e));
    EXPECT_FALSE(phrase.empty());
    EXPECT_NE(phrase, "unknown error");
    phrases.insert(phrase);
  }
  EXPECT_EQ(phrases.size(), static_cast<std::size_t>(RecordError::too_many_records) + 1);
  EXPECT_EQ(format_record_error(at(RecordError::record_out_of_order, 12)), "record out of order at byte 12");
}

}  // namespace
}  // namespace qcell::queue
