// line_reader.cc — buffering, deadline and over-long line handling for
// LineReader. The buffer never holds more than max_line + limits::read_chunk
// bytes; discarded bytes are only counted.
#include "core/line_reader.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "core/limits.h"
#include "core/size_math.h"

namespace qcell {

namespace {

std::size_t buffer_maximum(std::size_t max_line) noexcept {
  auto total = size_add(max_line, limits::read_chunk);
  return total ? *total : SIZE_MAX;
}

// Milliseconds until the deadline, rounded up, clamped to poll's int.
int remaining_ms(std::chrono::steady_clock::time_point deadline) noexcept {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

}  // namespace

std::string_view describe(LineErrc kind) noexcept {
  switch (kind) {
    case LineErrc::too_long: return "line too long";
    case LineErrc::refused: return "input refused after an over-long line";
    case LineErrc::timeout: return "timed out waiting for a line";
    case LineErrc::end_of_file: return "end of input";
    case LineErrc::truncated: return "end of input in the middle of a line";
    case LineErrc::io: return "read error";
    case LineErrc::no_memory: return "out of memory";
  }
  return "unknown line reader error";
}

LineReader::LineReader(int fd, LineReaderOptions options) noexcept
    : fd_(fd), options_(options), buffer_(buffer_maximum(options.max_line == 0 ? 1 : options.max_line)) {
  if (options_.max_line == 0) options_.max_line = 1;
}

void LineReader::drop_returned_line() noexcept {
  if (returned_ == 0) return;
  buffer_.consume_front(returned_);
  returned_ = 0;
  scanned_ = 0;
}

std::span<const std::byte> LineReader::pending_bytes() const noexcept { return buffer_.bytes().subspan(returned_); }

void LineReader::discard_pending() noexcept {
  buffer_.clear();
  returned_ = 0;
  scanned_ = 0;
}

LineReader::Fill LineReader::fill(std::chrono::steady_clock::time_point deadline, int& sys_errno) {
  if (fd_ < 0) {  // poll(2) silently ignores negative descriptors: it would look like a timeout
    sys_errno = EBADF;
    return Fill::error;
  }
  if (auto room = buffer_.reserve_more(limits::read_chunk); !room) {
    sys_errno = ENOMEM;
    return Fill::error;
  }
  for (;;) {
    int wait = remaining_ms(deadline);
    if (wait == 0) return Fill::timeout;
    struct pollfd p {};
    p.fd = fd_;
    p.events = POLLIN;
    int ready = ::poll(&p, 1, wait);
    if (ready < 0) {
      if (errno == EINTR) continue;
      sys_errno = errno;
      return Fill::error;
    }
    if (ready == 0) return Fill::timeout;
    std::span<std::byte> spare = buffer_.spare();
    ssize_t n = ::read(fd_, spare.data(), spare.size() < limits::read_chunk ? spare.size() : limits::read_chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      sys_errno = errno;
      return Fill::error;
    }
    if (n == 0) return Fill::end_of_file;
    buffer_.commit(static_cast<std::size_t>(n));
    bytes_read_ = count_add_saturating(bytes_read_, static_cast<std::uint64_t>(n));
    return Fill::data;
  }
}

Result<std::string_view, LineError> LineReader::read_line(std::chrono::milliseconds timeout) {
  drop_returned_line();
  if (refused_) return fail(LineError{LineErrc::refused, 0, 0});
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto delimiter = static_cast<std::byte>(options_.delimiter);

  for (;;) {
    std::span<const std::byte> data = buffer_.bytes();
    // Search only the bytes not searched before, and never past max_line.
    std::size_t limit = data.size() < options_.max_line ? data.size() : options_.max_line;
    if (scanned_ < limit) {
      const void* hit = std::memchr(data.data() + scanned_, static_cast<int>(delimiter), limit - scanned_);
      if (hit != nullptr) {
        auto length = static_cast<std::size_t>(static_cast<const std::byte*>(hit) - data.data());
        returned_ = length + 1;
        return as_text(data.first(length));
      }
      scanned_ = limit;
    }
    if (data.size() >= options_.max_line) return overlong(data.size(), deadline);

    int sys_errno = 0;
    switch (fill(deadline, sys_errno)) {
      case Fill::data: break;
      case Fill::timeout: return fail(LineError{LineErrc::timeout, 0, 0});
      case Fill::error: return fail(LineError{sys_errno == ENOMEM ? LineErrc::no_memory : LineErrc::io, sys_errno, 0});
      case Fill::end_of_file:
        if (buffer_.empty()) return fail(LineError{LineErrc::end_of_file, 0, 0});
        return fail(LineError{LineErrc::truncated, 0, 0});
    }
  }
}

// max_line bytes have arrived without a delimiter among them.
Result<std::string_view, LineError> LineReader::overlong(std::uint64_t seen,
                                                         std::chrono::steady_clock::time_point deadline) {
  if (options_.overlong == OverlongPolicy::refuse) {
    refused_ = true;
    buffer_.clear();
    buffer_.release();
    scanned_ = 0;
    return fail(LineError{LineErrc::too_long, 0, seen});
  }

  // Resynchronise: drop everything up to and including the next delimiter,
  // counting what we drop, holding at most one chunk at a time.
  std::uint64_t discarded = 0;
  const auto delimiter = static_cast<int>(static_cast<unsigned char>(options_.delimiter));
  for (;;) {
    std::span<const std::byte> data = buffer_.bytes();
    const void* hit = std::memchr(data.data(), delimiter, data.size());
    if (hit != nullptr) {
      auto length = static_cast<std::size_t>(static_cast<const std::byte*>(hit) - data.data());
      discarded = count_add_saturating(discarded, length);
      buffer_.consume_front(length + 1);
      scanned_ = 0;
      return fail(LineError{LineErrc::too_long, 0, discarded});
    }
    discarded = count_add_saturating(discarded, data.size());
    buffer_.clear();
    scanned_ = 0;

    int sys_errno = 0;
    switch (fill(deadline, sys_errno)) {
      case Fill::data: break;
      case Fill::timeout: return fail(LineError{LineErrc::timeout, 0, discarded});
      case Fill::error:
        return fail(LineError{sys_errno == ENOMEM ? LineErrc::no_memory : LineErrc::io, sys_errno, discarded});
      case Fill::end_of_file: return fail(LineError{LineErrc::truncated, 0, discarded});
    }
  }
}

}  // namespace qcell
