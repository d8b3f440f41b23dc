// line_reader_test.cc — LineReader: lines, limits, deadlines, and a stream
// of more than 4 GiB that must end in a clean refusal with bounded memory.
#include "core/line_reader.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/limits.h"

namespace qcell {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A descriptor that reads `text` and then end of file (a memfd, so any
// size fits without a reader on the other end).
UniqueFd feed(const std::string& text) {
  UniqueFd fd(::memfd_create("line_reader_test", MFD_CLOEXEC));
  if (!fd || !write_full(fd.get(), text) || ::lseek(fd.get(), 0, SEEK_SET) != 0) std::abort();
  return fd;
}

LineReaderOptions opts(std::size_t max_line, OverlongPolicy policy = OverlongPolicy::refuse) {
  LineReaderOptions o;
  o.max_line = max_line;
  o.overlong = policy;
  return o;
}

TEST(LineReader, ReadsLinesWithoutDelimiters) {
  UniqueFd fd = feed("one\ntwo\r\n\nthree\n");
  LineReader reader(fd.get(), opts(64));
  EXPECT_EQ(reader.read_line(1s).value(), "one");
  EXPECT_EQ(reader.read_line(1s).value(), "two\r");
  EXPECT_EQ(reader.read_line(1s).value(), "");
  EXPECT_EQ(reader.read_line(1s).value(), "three");
  auto end = reader.read_line(1s);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().kind, LineErrc::end_of_file);
  EXPECT_EQ(reader.bytes_read(), 16u);
}

TEST(LineReader, ReportsAPartialLastLineAsTruncated) {
  UniqueFd fd = feed("complete\npartial");
  LineReader reader(fd.get(), opts(64));
  EXPECT_EQ(reader.read_line(1s).value(), "complete");
  auto partial = reader.read_line(1s);
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.error().kind, LineErrc::truncated);
  EXPECT_EQ(as_text(reader.pending_bytes()), "partial");
}

TEST(LineReader, AcceptsALineOfExactlyTheMaximum) {
  // max_line counts the delimiter: 7 bytes of text plus '\n' is 8.
  UniqueFd fd = feed("1234567\n12345678\n");
  LineReader reader(fd.get(), opts(8));
  EXPECT_EQ(reader.read_line(1s).value(), "1234567");
  auto too_long = reader.read_line(1s);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().kind, LineErrc::too_long);
}

TEST(LineReader, RefusePolicyRefusesEverythingAfterAnOverlongLine) {
  UniqueFd fd = feed(std::string(100, 'a') + "\nshort\n");
  LineReader reader(fd.get(), opts(16, OverlongPolicy::refuse));
  auto first = reader.read_line(1s);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, LineErrc::too_long);
  EXPECT_GE(first.error().discarded, 16u);
  auto second = reader.read_line(1s);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, LineErrc::refused);
}

TEST(LineReader, ResynchronisePolicyDropsTheLongLineAndContinues) {
  UniqueFd fd = feed("ok\n" + std::string(100000, 'b') + "\nafter\n");
  LineReader reader(fd.get(), opts(16, OverlongPolicy::resynchronise));
  EXPECT_EQ(reader.read_line(1s).value(), "ok");
  auto dropped = reader.read_line(1s);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().kind, LineErrc::too_long);
  EXPECT_EQ(dropped.error().discarded, 100000u);
  EXPECT_EQ(reader.read_line(1s).value(), "after");
}

TEST(LineReader, OverlongLineWithItsDelimiterInTheSameReadIsStillTooLong) {
  UniqueFd fd = feed(std::string(20, 'c') + "\nnext\n");
  LineReader reader(fd.get(), opts(8, OverlongPolicy::resynchronise));
  auto dropped = reader.read_line(1s);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().kind, LineErrc::too_long);
  EXPECT_EQ(dropped.error().discarded, 20u);
  EXPECT_EQ(reader.read_line(1s).value(), "next");
}

TEST(LineReader, EndOfFileWhileDiscardingIsTruncated) {
  UniqueFd fd = feed(std::string(50, 'd'));
  LineReader reader(fd.get(), opts(8, OverlongPolicy::resynchronise));
  auto dropped = reader.read_line(1s);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().kind, LineErrc::truncated);
  EXPECT_EQ(dropped.error().discarded, 50u);
}

TEST(LineReader, TimesOutOnASilentPeer) {
  Pipe p = make_pipe();
  LineReader reader(p.read_end.get(), opts(64));
  auto start = std::chrono::steady_clock::now();
  auto result = reader.read_line(50ms);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, LineErrc::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(LineReader, TheDeadlineCoversTheWholeLineNotEachRead) {
  // A peer trickling one byte every 20 ms never lets a single read wait long;
  // the line as a whole must still time out.
  Pipe p = make_pipe();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (int i = 0; i < 50; ++i) {
      if (::write(p.write_end.get(), "x", 1) != 1) _exit(1);
      ::usleep(20000);
    }
    _exit(0);
  }
  p.write_end.reset();
  LineReader reader(p.read_end.get(), opts(1024));
  auto result = reader.read_line(200ms);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, LineErrc::timeout);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(LineReader, KeepsPipelinedBytesPendingAndCanDiscardThem) {
  UniqueFd fd = feed("STARTTLS\nMAIL FROM:<evil@example>\n");
  LineReader reader(fd.get(), opts(64));
  EXPECT_EQ(reader.read_line(1s).value(), "STARTTLS");
  EXPECT_EQ(as_text(reader.pending_bytes()), "MAIL FROM:<evil@example>\n");
  reader.discard_pending();
  EXPECT_TRUE(reader.pending_bytes().empty());
}

TEST(LineReader, OtherDelimiters) {
  UniqueFd fd = feed(std::string("a\0b\0", 4));
  LineReaderOptions o = opts(8);
  o.delimiter = '\0';
  LineReader reader(fd.get(), o);
  EXPECT_EQ(reader.read_line(1s).value(), "a");
  EXPECT_EQ(reader.read_line(1s).value(), "b");
}

TEST(LineReader, ReportsReadErrors) {
  LineReader reader(-1, opts(8));
  auto result = reader.read_line(100ms);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, LineErrc::io);
}

TEST(LineReader, EveryErrorKindIsDescribed) {
  for (auto kind : {LineErrc::too_long, LineErrc::refused, LineErrc::timeout, LineErrc::end_of_file,
                    LineErrc::truncated, LineErrc::io, LineErrc::no_memory}) {
    EXPECT_NE(describe(kind), "unknown line reader error");
  }
}

// --- more than 4 GiB, generated on the fly -------------------------------------

// Peak resident set in KiB since the last reset (Linux VmHWM).
long peak_rss_kib() {
  FILE* status = std::fopen("/proc/self/status", "re");
  if (status == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(status);
  return kib;
}

void reset_peak_rss() {
  FILE* clear = std::fopen("/proc/self/clear_refs", "we");
  ASSERT_NE(clear, nullptr);
  std::fputs("5", clear);  // 5: reset the peak RSS to the current RSS (proc(5))
  std::fclose(clear);
}

// Forks a writer that sends `count` bytes of 'x' and then `tail`.
pid_t start_generator(int write_fd, std::uint64_t count, const std::string& tail) {
  pid_t child = ::fork();
  if (child != 0) return child;
  std::vector<char> chunk(1 << 20, 'x');
  std::uint64_t left = count;
  while (left > 0) {
    std::size_t n = left < chunk.size() ? static_cast<std::size_t>(left) : chunk.size();
    if (!write_full(write_fd, std::string_view(chunk.data(), n))) _exit(2);
    left -= n;
  }
  if (!write_full(write_fd, tail)) _exit(3);
  _exit(0);
}

constexpr std::uint64_t four_gib = std::uint64_t{1} << 32;

TEST(LineReaderStream, MoreThanFourGibInOneLineIsDroppedWithBoundedMemoryAndExactCount) {
  // One line of 4 GiB + 1,000,001 bytes: a 32-bit counter would wrap to
  // 1,000,001 and a growing buffer would need 4 GiB. Neither may happen.
  constexpr std::uint64_t line_bytes = four_gib + 1000001;
  Pipe p = make_pipe();
  pid_t child = start_generator(p.write_end.get(), line_bytes, "\nnext line\n");
  ASSERT_GT(child, 0);
  p.write_end.reset();

  reset_peak_rss();
  long start_kib = peak_rss_kib();
  LineReader reader(p.read_end.get(), opts(limits::smtp_command_line, OverlongPolicy::resynchronise));
  auto dropped = reader.read_line(600s);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().kind, LineErrc::too_long);
  EXPECT_EQ(dropped.error().discarded, line_bytes);
  EXPECT_EQ(reader.read_line(10s).value(), "next line");
  auto end = reader.read_line(10s);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().kind, LineErrc::end_of_file);
  EXPECT_EQ(reader.bytes_read(), line_bytes + 11);
  EXPECT_LE(reader.buffer_capacity(), limits::smtp_command_line + limits::read_chunk);

  long growth_kib = peak_rss_kib() - start_kib;
  std::printf("peak RSS growth while reading %llu bytes: %ld KiB\n", static_cast<unsigned long long>(line_bytes + 11),
              growth_kib);
  EXPECT_LT(growth_kib, 4 * 1024) << "memory must stay bounded (a few MiB at most)";

  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(LineReaderStream, MoreThanFourGibOfShortLinesThenAnOverlongLineEndsInRefusal) {
  // 4 GiB + 1 MiB of well-formed 1 KiB lines, then one line past the
  // maximum: every short line is returned, the long one is refused.
  constexpr std::size_t line_length = 1024;                       // 1023 bytes + '\n'
  constexpr std::uint64_t lines = four_gib / line_length + 1024;  // a multiple of the 1024-line block sent
  Pipe p = make_pipe();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    p.read_end.reset();
    std::string block;
    for (int i = 0; i < 1024; ++i) block += std::string(line_length - 1, 'y') + "\n";
    for (std::uint64_t sent = 0; sent < lines; sent += 1024) {
      if (!write_full(p.write_end.get(), block)) _exit(2);
    }
    (void)write_full(p.write_end.get(), std::string(limits::smtp_command_line * 4, 'z'));
    _exit(0);
  }
  p.write_end.reset();

  reset_peak_rss();
  long start_kib = peak_rss_kib();
  LineReader reader(p.read_end.get(), opts(limits::smtp_command_line, OverlongPolicy::refuse));
  std::uint64_t good = 0;
  for (;;) {
    auto line = reader.read_line(60s);
    if (!line.ok()) {
      EXPECT_EQ(line.error().kind, LineErrc::too_long);
      break;
    }
    if (line->size() != line_length - 1) {
      ADD_FAILURE() << "line " << good << " has " << line->size() << " bytes";
      break;
    }
    ++good;
  }
  EXPECT_EQ(good, lines);
  EXPECT_GT(reader.bytes_read(), four_gib);
  auto after = reader.read_line(1s);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, LineErrc::refused);
  EXPECT_LT(peak_rss_kib() - start_kib, 4 * 1024);

  p.read_end.reset();  // the writer may be blocked on the rest of the long line: EPIPE ends it
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
}

}  // namespace
}  // namespace qcell
