// line_reader.h — reads delimiter-terminated lines from a descriptor with a
// per-line maximum and an overall deadline per line.
//
// The peer on the other end is hostile: it may send a line of gigabytes,
// trickle one byte per second, or stop mid-line. Memory stays bounded by the
// maximum line plus one read chunk whatever arrives; byte counts are 64-bit
// and saturate, so no input can wrap them (qmail's CVE-2005-1513 class).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_buffer.h"
#include "core/result.h"

namespace qcell {

enum class OverlongPolicy {
  refuse,         // report too_long once the maximum is passed, then refuse every later call
  resynchronise,  // discard the rest of the long line, report too_long, carry on with the next line
};

struct LineReaderOptions {
  std::size_t max_line = 0;  // longest accepted line, delimiter included (at least 1)
  OverlongPolicy overlong = OverlongPolicy::refuse;
  char delimiter = '\n';
};

enum class LineErrc {
  too_long,     // the line passed max_line (discarded holds how many bytes were thrown away)
  refused,      // an earlier line was too long under OverlongPolicy::refuse
  timeout,      // the whole line did not arrive before the deadline
  end_of_file,  // clean end of file at a line boundary
  truncated,    // end of file in the middle of a line (pending_bytes() holds it, unless discarding)
  io,           // read(2) or poll(2) failed (sys_errno)
  no_memory,    // the buffer could not grow to max_line (e.g. RLIMIT_AS)
};

struct LineError {
  LineErrc kind = LineErrc::io;
  int sys_errno = 0;
  std::uint64_t discarded = 0;  // bytes of an over-long line dropped so far (saturating)
};

std::string_view describe(LineErrc kind) noexcept;

class LineReader {
 public:
  LineReader(int fd, LineReaderOptions options) noexcept;

  // Reads one line, without its delimiter. The view stays valid until the
  // next call. The whole line, not each read, must arrive within `timeout`.
  Result<std::string_view, LineError> read_line(std::chrono::milliseconds timeout);

  // Bytes already read from the descriptor beyond the last returned line.
  // (A protocol switch such as STARTTLS must discard them.)
  [[nodiscard]] std::span<const std::byte> pending_bytes() const noexcept;
  void discard_pending() noexcept;

  // Total bytes read from the descriptor, saturating at UINT64_MAX.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  [[nodiscard]] std::size_t buffer_capacity() const noexcept { return buffer_.capacity(); }

 private:
  enum class Fill { data, end_of_file, timeout, error };
  Fill fill(std::chrono::steady_clock::time_point deadline, int& sys_errno);
  Result<std::string_view, LineError> overlong(std::uint64_t seen, std::chrono::steady_clock::time_point deadline);
  void drop_returned_line() noexcept;

  int fd_;
  LineReaderOptions options_;
  ByteBuffer buffer_;
  std::size_t returned_ = 0;  // bytes of the previous line (with delimiter) still at the buffer's front
  std::size_t scanned_ = 0;   // bytes at the front already searched for the delimiter
  std::uint64_t bytes_read_ = 0;
  bool refused_ = false;
};

}  // namespace qcell
