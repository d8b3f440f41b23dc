// byte_buffer.h — a growable byte buffer with a hard maximum set by its owner.
//
// Growth past the maximum, size overflow and allocation failure are errors
// returned to the caller, never a crash or a wrapped length. The bytes it
// holds are opaque (possibly hostile) data; it never interprets them.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "core/result.h"

namespace qcell {

enum class BufferError {
  over_maximum,   // the owner's maximum would be exceeded
  size_overflow,  // a size computation would wrap (only with absurd inputs)
  out_of_memory,  // the allocator refused (e.g. RLIMIT_AS)
};

std::string_view describe(BufferError error) noexcept;

class ByteBuffer {
 public:
  explicit ByteBuffer(std::size_t maximum) noexcept : maximum_(maximum) {}
  ~ByteBuffer();
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  // Appends bytes; on error the buffer is unchanged.
  Status<BufferError> append(std::span<const std::byte> bytes);
  Status<BufferError> append(std::string_view text);
  Status<BufferError> push_back(std::byte b);

  // Makes room for at least `extra` more bytes without changing size().
  Status<BufferError> reserve_more(std::size_t extra);

  // Extends size() by `count` bytes that the caller has already written into
  // the spare capacity returned by spare(). count must not exceed spare().size().
  void commit(std::size_t count) noexcept;
  std::span<std::byte> spare() noexcept;

  // Removes the first `count` bytes (count <= size()).
  void consume_front(std::size_t count) noexcept;
  void clear() noexcept { size_ = 0; }
  // Returns the memory to the allocator.
  void release() noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t maximum() const noexcept { return maximum_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::span<std::byte> mutable_bytes() noexcept { return {data_, size_}; }
  [[nodiscard]] std::string_view view() const noexcept;

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t maximum_;
};

// Views a byte span as text and back, without copying.
std::string_view as_text(std::span<const std::byte> bytes) noexcept;
std::span<const std::byte> as_bytes(std::string_view text) noexcept;

}  // namespace qcell
