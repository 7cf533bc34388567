#pragma once
//! Strong unit types: time in integer nanoseconds, bytes, FLOPs and rates.
//! Mixing units is a compile error; crossing units goes through the named functions below.

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace hopsim {

//! A number tagged with its unit. Same-unit arithmetic only; scaling by a plain number is allowed.
template <class Tag, class Rep>
class Quantity {
 public:
  using rep = Rep;
  constexpr Quantity() = default;
  constexpr explicit Quantity(Rep v) : v_(v) {}
  [[nodiscard]] constexpr Rep value() const { return v_; }

  constexpr Quantity& operator+=(Quantity o) {
    v_ += o.v_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    v_ -= o.v_;
    return *this;
  }
  friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.v_ + b.v_); }
  friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.v_ - b.v_); }
  friend constexpr Quantity operator*(Quantity a, Rep k) { return Quantity(a.v_ * k); }
  friend constexpr Quantity operator*(Rep k, Quantity a) { return Quantity(a.v_ * k); }
  friend constexpr Quantity operator/(Quantity a, Rep k) { return Quantity(a.v_ / k); }
  //! Ratio of two quantities of the same unit is a plain number.
  friend constexpr double operator/(Quantity a, Quantity b) {
    return static_cast<double>(a.v_) / static_cast<double>(b.v_);
  }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads defaulted <=>
  friend constexpr auto operator<=>(Quantity, Quantity) = default;
  friend constexpr bool operator==(Quantity, Quantity) = default;

 private:
  Rep v_{};
};

struct TimeTag {};
struct BytesTag {};
struct FlopsTag {};
struct ByteRateTag {};
struct FlopRateTag {};

//! Simulated time. Integer nanoseconds keep event ordering exact and runs byte-identical.
using Nanoseconds = Quantity<TimeTag, std::int64_t>;
//! A size in bytes (integer: memory and message sizes are whole bytes).
using Bytes = Quantity<BytesTag, std::int64_t>;
//! Floating-point operations (double: a step's total exceeds 2^63).
using Flops = Quantity<FlopsTag, double>;
//! Bandwidth in bytes per second.
using BytesPerSecond = Quantity<ByteRateTag, double>;
//! Throughput in FLOP per second.
using FlopsPerSecond = Quantity<FlopRateTag, double>;

inline constexpr double kKilo = 1e3;
inline constexpr double kMega = 1e6;
inline constexpr double kGiga = 1e9;
inline constexpr double kTera = 1e12;

constexpr Nanoseconds ns(std::int64_t v) {
  return Nanoseconds(v);
}
constexpr Nanoseconds us(std::int64_t v) {
  return Nanoseconds(v * 1000);
}
constexpr Nanoseconds ms(std::int64_t v) {
  return Nanoseconds(v * 1000 * 1000);
}
constexpr BytesPerSecond gb_per_s(double v) {
  return BytesPerSecond(v * kGiga);
}
constexpr FlopsPerSecond tflops(double v) {
  return FlopsPerSecond(v * kTera);
}

[[nodiscard]] constexpr double to_seconds(Nanoseconds t) {
  return static_cast<double>(t.value()) * 1e-9;
}
[[nodiscard]] constexpr double to_ms(Nanoseconds t) {
  return static_cast<double>(t.value()) * 1e-6;
}
[[nodiscard]] constexpr double to_us(Nanoseconds t) {
  return static_cast<double>(t.value()) * 1e-3;
}

//! `t` times `k`, to the nearest nanosecond: time multipliers (fitted time scales, variation,
//! the busiest receiver's share) applied to a duration.
[[nodiscard]] inline Nanoseconds scaled(Nanoseconds t, double k) {
  return Nanoseconds(static_cast<std::int64_t>(std::llround(static_cast<double>(t.value()) * k)));
}

//! Seconds (double) to integer nanoseconds, rounding up so that no positive work takes zero time.
[[nodiscard]] inline Nanoseconds from_seconds_ceil(double s) {
  if (!(s >= 0.0) || s > 9.2e9)
    throw std::domain_error("time out of range (seconds): negative, NaN or > 9.2e9");
  return Nanoseconds(static_cast<std::int64_t>(std::ceil(s * 1e9)));
}

//! Time to move `b` at `bw`.
[[nodiscard]] inline Nanoseconds transfer_time(Bytes b, BytesPerSecond bw) {
  if (!(bw.value() > 0.0)) throw std::domain_error("bandwidth must be positive");
  return from_seconds_ceil(static_cast<double>(b.value()) / bw.value());
}

//! Time to execute `f` at `rate`.
[[nodiscard]] inline Nanoseconds compute_time(Flops f, FlopsPerSecond rate) {
  if (!(rate.value() > 0.0)) throw std::domain_error("FLOP rate must be positive");
  return from_seconds_ceil(f.value() / rate.value());
}

//! Achieved rate of `b` bytes over `t`.
[[nodiscard]] inline BytesPerSecond rate(Bytes b, Nanoseconds t) {
  return BytesPerSecond(static_cast<double>(b.value()) / to_seconds(t));
}
[[nodiscard]] inline FlopsPerSecond rate(Flops f, Nanoseconds t) {
  return FlopsPerSecond(f.value() / to_seconds(t));
}

}  // namespace hopsim
