// byte_buffer.cc — growth policy and allocation for ByteBuffer. All size
// arithmetic goes through size_math.h.
#include "core/byte_buffer.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/size_math.h"

namespace qcell {

namespace {
// First allocation; small buffers (a command line) need no regrowth.
constexpr std::size_t initial_capacity = 256;
}  // namespace

std::string_view describe(BufferError error) noexcept {
  switch (error) {
    case BufferError::over_maximum: return "data exceeds the buffer's maximum size";
    case BufferError::size_overflow: return "size computation would overflow";
    case BufferError::out_of_memory: return "out of memory";
  }
  return "unknown buffer error";
}

ByteBuffer::~ByteBuffer() { std::free(data_); }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      maximum_(other.maximum_) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    maximum_ = other.maximum_;
  }
  return *this;
}

Status<BufferError> ByteBuffer::reserve_more(std::size_t extra) {
  auto needed = size_add(size_, extra);
  if (!needed) return fail(BufferError::size_overflow);
  if (*needed > maximum_) return fail(BufferError::over_maximum);
  if (*needed <= capacity_) return {};

  // Double, but never past the maximum and never less than needed.
  std::size_t grown = initial_capacity;
  if (capacity_ != 0) {
    auto doubled = size_mul(capacity_, 2);
    grown = doubled ? *doubled : maximum_;
  }
  if (grown > maximum_) grown = maximum_;
  if (grown < *needed) grown = *needed;

  void* fresh = std::realloc(data_, grown);
  if (fresh == nullptr) return fail(BufferError::out_of_memory);
  data_ = static_cast<std::byte*>(fresh);
  capacity_ = grown;
  return {};
}

Status<BufferError> ByteBuffer::append(std::span<const std::byte> bytes) {
  if (bytes.empty()) return {};
  if (auto room = reserve_more(bytes.size()); !room) return room;
  std::memcpy(data_ + size_, bytes.data(), bytes.size());
  size_ += bytes.size();  // cannot wrap: reserve_more checked size_ + bytes.size()
  return {};
}

Status<BufferError> ByteBuffer::append(std::string_view text) { return append(as_bytes(text)); }

Status<BufferError> ByteBuffer::push_back(std::byte b) { return append(std::span<const std::byte>(&b, 1)); }

std::span<std::byte> ByteBuffer::spare() noexcept { return {data_ + size_, capacity_ - size_}; }

void ByteBuffer::commit(std::size_t count) noexcept {
  if (count > capacity_ - size_) std::abort();  // caller wrote past spare(): a bug
  size_ += count;
}

void ByteBuffer::consume_front(std::size_t count) noexcept {
  if (count > size_) std::abort();
  if (count == 0) return;
  std::memmove(data_, data_ + count, size_ - count);
  size_ -= count;
}

void ByteBuffer::release() noexcept {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

std::string_view ByteBuffer::view() const noexcept { return as_text(bytes()); }

std::string_view as_text(std::span<const std::byte> bytes) noexcept {
  if (bytes.empty()) return {};
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::byte> as_bytes(std::string_view text) noexcept {
  if (text.empty()) return {};
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace qcell
