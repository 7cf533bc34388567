#pragma once
//! Seeded, stateless random draws keyed by where they are used, so the same in every call order
//! and, for the integer hashes, on every platform: the one home of hopsim's randomness.

#include <cmath>
#include <cstdint>
#include <numbers>

namespace hopsim {

//! SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014): a well-mixed 64-bit hash of `x`.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

//! A uniform draw in (0, 1] from the top 53 bits of `x` (never 0, so its logarithm is finite).
[[nodiscard]] constexpr double unit_interval(std::uint64_t x) {
  return (static_cast<double>(x >> 11) + 1.0) * 0x1.0p-53;
}

//! A standard normal draw that depends only on (seed, a, b, c, d): SplitMix64 of the key, then
//! Box-Muller. Unlike std::normal_distribution, whose algorithm each standard library chooses,
//! the key fixes the draw: the uniforms are bit-exact everywhere, the transform as exact as the
//! platform's std::log and std::cos (correctly rounded in glibc's common cases).
[[nodiscard]] inline double keyed_normal(std::uint64_t seed, std::uint64_t a, std::uint64_t b,
                                         std::uint64_t c, std::uint64_t d) {
  std::uint64_t x = splitmix64(seed);
  x = splitmix64(x ^ a);
  x = splitmix64(x ^ b);
  x = splitmix64(x ^ c);
  x = splitmix64(x ^ d);
  const double u1 = unit_interval(x);
  const double u2 = unit_interval(splitmix64(x));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace hopsim
