// result.h — qcell's one result type: a value or a specific error, never an
// exception. Trusts nothing; it only carries what its callers put in it.
//
// clang 14 has no std::expected and g++ 12 has it only in C++23 mode, so this
// is a deliberately small stand-in. Accessing the wrong alternative aborts
// (it is a programming error, not an input error).
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace qcell {

// Wraps an error so that Result<T, E> can be built from it unambiguously,
// even where T and E are the same type.
template <class E>
struct Failure {
  E error;
};

template <class E>
constexpr Failure<std::decay_t<E>> fail(E&& error) {
  return Failure<std::decay_t<E>>{std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design.
  constexpr Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  constexpr Result(Failure<E> failure) : state_(std::in_place_index<1>, std::move(failure.error)) {}

  [[nodiscard]] constexpr bool ok() const noexcept { return state_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return ok(); }

  constexpr T& value() & {
    check(true);
    return std::get<0>(state_);
  }
  constexpr const T& value() const& {
    check(true);
    return std::get<0>(state_);
  }
  constexpr T&& value() && {
    check(true);
    return std::get<0>(std::move(state_));
  }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }

  constexpr const E& error() const {
    check(false);
    return std::get<1>(state_);
  }

 private:
  constexpr void check(bool want_value) const {
    if (ok() != want_value) std::abort();
  }
  std::variant<T, E> state_;
};

// Result of an operation that yields nothing but can fail.
template <class E>
class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  // NOLINTNEXTLINE(google-explicit-constructor)
  constexpr Status(Failure<E> failure) : failed_(true), error_(std::move(failure.error)) {}

  [[nodiscard]] constexpr bool ok() const noexcept { return !failed_; }
  constexpr explicit operator bool() const noexcept { return ok(); }
  constexpr const E& error() const {
    if (!failed_) std::abort();
    return error_;
  }

 private:
  bool failed_ = false;
  E error_{};
};

}  // namespace qcell
