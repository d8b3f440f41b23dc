// queue_report_test.cc — the queue tools' output: JSON string escaping of
// controls, UTF-8 and invalid bytes; qmail-qread's exact format and its
// '_' for unprintable bytes; qmail-qstat's two lines; message and count
// lines; run_qread and run_qstat over fake queues.
#include "core/queue_report.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "queue_fixture.h"

namespace qcell::queue {
namespace {

using testing::FakeQueue;

// Runs `program` with a temporary file for each output; returns {out, err}.
template <class F>
std::pair<std::string, std::string> capture(F program, int& exit_code) {
  char out_name[] = "/tmp/qcell-report-out-XXXXXX";
  char err_name[] = "/tmp/qcell-report-err-XXXXXX";
  int out = ::mkstemp(out_name);
  int err = ::mkstemp(err_name);
  exit_code = program(out, err);
  auto slurp = [](int fd) {
    std::string text;
    ::lseek(fd, 0, SEEK_SET);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return text;
  };
  std::pair<std::string, std::string> result{slurp(out), slurp(err)};
  ::unlink(out_name);
  ::unlink(err_name);
  return result;
}

TEST(QueueReportJson, EscapesEverythingOutsidePrintableAscii) {
  EXPECT_EQ(json_string("plain@example.com"), "\"plain@example.com\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(json_string(std::string("\0\x01\x1b\x7f", 4)), "\"\\u0000\\u0001\\u001b\\u007f\"");
  EXPECT_EQ(json_string(""), "\"\"");
}

TEST(QueueReportJson, Utf8BecomesUnicodeEscapes) {
  EXPECT_EQ(json_string("\xc3\xa9"), "\"\\u00e9\"");                 // é
  EXPECT_EQ(json_string("\xe2\x80\xae"), "\"\\u202e\"");             // right-to-left override
  EXPECT_EQ(json_string("\xf0\x9f\x93\xa7"), "\"\\ud83d\\udce7\"");  // U+1F4E7, a surrogate pair
}

TEST(QueueReportJson, InvalidBytesBecomeLoneSurrogates) {
  EXPECT_EQ(json_string("\xff"), "\"\\udcff\"");
  EXPECT_EQ(json_string("\xc0\xaf"), "\"\\udcc0\\udcaf\"");                        // overlong '/'
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");             // an encoded surrogate
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");  // above U+10FFFF
  EXPECT_EQ(json_string("a\xe2\x80"), "\"a\\udce2\\udc80\"");                      // cut short
}

TEST(QueueReportText, NamesAndPrintable) {
  EXPECT_EQ(text_name("mess/5/28"), "mess/5/28");
  EXPECT_EQ(text_name("a b\\c\x1b"), "a\\x20b\\\\c\\x1b");
  EXPECT_EQ(text_name(""), "\\x");
  EXPECT_EQ(printable("a\tb\x1b[31m\xff"), "a_b_[31m_");
}

TEST(QueueReportText, Dates) {
  EXPECT_EQ(qread_date(0), "1 Jan 1970 00:00:00");
  EXPECT_EQ(qread_date(1795424701), "23 Nov 2026 09:05:01");
  EXPECT_EQ(iso_date(1795424701), "2026-11-23T09:05:01Z");
}

Message sample() {
  Message m;
  m.id = 1234;
  m.state = MessageState::queued;
  m.files = bit(Dir::mess) | bit(Dir::info) | bit(Dir::local) | bit(Dir::remote);
  m.size = 567;
  m.birth = 1795424701;
  m.sender = "s@x";
  m.recipients = {
      {"r1@y", Channel::remote, false}, {"l1@x", Channel::local, true}, {"l2\x1b@x", Channel::local, false}};
  return m;
}

TEST(QueueReportQread, QmailFormat) {
  Message m = sample();
  EXPECT_EQ(qread_lines(m),
            "23 Nov 2026 09:05:01 GMT  #1234  567  <s@x> \n"
            "  done\tlocal\tl1@x\n"
            "\tlocal\tl2_@x\n"
            "\tremote\tr1@y\n");
  m.files |= bit(Dir::bounce);
  m.sender = "";
  m.recipients.clear();
  EXPECT_EQ(qread_lines(m), "23 Nov 2026 09:05:01 GMT  #1234  567  <>  bouncing\n");
}

TEST(QueueReportMessage, SummaryDetailJson) {
  Message m = sample();
  EXPECT_EQ(message_summary(m), "#1234  queued  23 Nov 2026 09:05:01 GMT  567  <s@x>  3 recipients (1 done)\n");
  std::string detail = message_detail(m);
  EXPECT_NE(detail.find("state: queued\n"), std::string::npos) << detail;
  EXPECT_NE(detail.find("files: mess/15/1234 info/15/1234 local/15/1234 remote/15/1234\n"), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("recipient: local done l1@x\n"), std::string::npos) << detail;
  EXPECT_EQ(message_json(m),
            "{\"id\":1234,\"state\":\"queued\",\"birth\":1795424701,\"date\":\"2026-11-23T09:05:01Z\","
            "\"size\":567,\"sender\":\"s@x\",\"bounce\":false,\"files\":[\"mess\",\"info\",\"local\",\"remote\"],"
            "\"recipients\":[{\"channel\":\"remote\",\"address\":\"r1@y\",\"done\":false},"
            "{\"channel\":\"local\",\"address\":\"l1@x\",\"done\":true},"
            "{\"channel\":\"local\",\"address\":\"l2\\u001b@x\",\"done\":false}],\"problems\":[]}\n");
  Message unknown;
  unknown.id = 5;
  unknown.state = MessageState::broken;
  unknown.problems.push_back(FileProblem{"todo/5", "unterminated record at byte 0"});
  EXPECT_NE(message_json(unknown).find("\"sender\":null"), std::string::npos);
  EXPECT_NE(message_json(unknown).find("\"problems\":[{\"path\":\"todo/5\",\"problem\":\"unterminated"),
            std::string::npos);
  EXPECT_NE(message_summary(unknown).find("  ?  0 recipients (0 done)  1 problems"), std::string::npos)
      << message_summary(unknown);
}

TEST(QueueReportCounts, FromTheIndex) {
  FakeQueue q;
  q.add_mess();                                            // injecting
  q.add_todo_message("s", {"r"});                          // todo
  q.add_queued_message("s", {{"l", false}}, {});           // queued
  q.add_queued_message("s", {}, {{"r", false}});           // queued
  q.put(Dir::todo, 99, testing::envelope_bytes("s", {}));  // broken
  auto index = index_queue(q.dir());
  ASSERT_TRUE(index.ok());
  QueueCounts counts = count_messages(*index);
  EXPECT_EQ(counts.messages, 4u);
  EXPECT_EQ(counts.todo, 2u);
  EXPECT_EQ(counts.injecting, 1u);
  EXPECT_EQ(counts.queued, 2u);
  EXPECT_EQ(counts.broken, 1u);
  EXPECT_EQ(counts_text(counts),
            "messages in queue: 4\nmessages in queue but not yet preprocessed: 2\n"
            "injecting: 1\ntodo: 2\nqueued: 2\nbroken: 1\n");
  EXPECT_EQ(counts_json(counts), "{\"messages\":4,\"todo\":2,\"injecting\":1,\"queued\":2,\"broken\":1}\n");
}

TEST(QueueReportPrograms, QreadAndQstat) {
  FakeQueue q;
  std::uint64_t a = q.add_queued_message("s@x", {{"l@x", false}}, {{"r@y", true}});
  q.add_todo_message("t@x", {"r"});  // not preprocessed: not listed by qmail-qread
  std::uint64_t lost = 1000003;
  q.put(Dir::info, lost, testing::info_bytes("s"));  // no mess: trouble
  int code = -1;
  auto [out, err] = capture([&](int o, int e) { return run_qread(q.dir(), o, e); }, code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find(" GMT  #" + std::to_string(a) + "  "), std::string::npos) << out;
  EXPECT_NE(out.find("  <s@x> \n\tlocal\tl@x\n  done\tremote\tr@y\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("t@x"), std::string::npos) << out;
  EXPECT_EQ(err, "qmail-qread: warning: trouble with #1000003\n");

  auto [stat_out, stat_err] = capture([&](int o, int e) { return run_qstat(q.dir(), o, e); }, code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(stat_out, "messages in queue: 2\nmessages in queue but not yet preprocessed: 1\n");
  EXPECT_EQ(stat_err, "");
}

TEST(QueueReportPrograms, UnreadableQueueIs111) {
  FakeQueue q(false);
  int code = -1;
  auto [out, err] = capture([&](int o, int e) { return run_qstat(q.dir(), o, e); }, code);
  EXPECT_EQ(code, 111);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err.rfind("qmail-qstat: fatal: cannot read mess/0", 0), 0u) << err;
  auto [qread_out, qread_err] = capture([&](int o, int e) { return run_qread(q.dir(), o, e); }, code);
  EXPECT_EQ(code, 111);
}

TEST(QueueReportOpen, RefusesASymlinkedQueue) {
  FakeQueue q;
  FakeQueue other;
  std::string link_root = other.root() + "/linked";
  ASSERT_EQ(::mkdir(link_root.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(q.queue_path().c_str(), (link_root + "/queue").c_str()), 0);
  auto opened = open_queue(link_root.c_str());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error(), ELOOP);
  EXPECT_TRUE(open_queue(q.root().c_str()).ok());
}

}  // namespace
}  // namespace qcell::queue
