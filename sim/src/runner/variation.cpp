#include "hopsim/sim/runner/variation.hpp"

#include <algorithm>
#include <cmath>

namespace hopsim::sim {

double expected_max_normal(int n) {
  if (n <= 1) return 0.0;
  // Simpson's rule over [-9, 9]: the density of the maximum is n phi(x) Phi(x)^(n-1).
  constexpr int kSteps = 4000;  // even
  constexpr double kLo = -9.0, kHi = 9.0;
  const double h = (kHi - kLo) / kSteps;
  const double inv_sqrt_2pi = 1.0 / std::sqrt(2.0 * M_PI);
  auto f = [&](double x) {
    const double phi = inv_sqrt_2pi * std::exp(-0.5 * x * x);
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    return x * n * phi * std::pow(cdf, n - 1);
  };
  double s = f(kLo) + f(kHi);
  for (int i = 1; i < kSteps; ++i) s += (i % 2 == 1 ? 4.0 : 2.0) * f(kLo + i * h);
  return s * h / 3.0;
}

double routing_load(std::uint64_t seed, int replica, int rank, int direction, int micro_batch,
                    int stage, int slot, double cv) {
  if (cv <= 0) return 1.0;
  // Salted so that routing draws are independent of the kernel-time draws of the same seed.
  constexpr std::uint64_t kRoutingSalt = 0x726F7574696E6721ULL;  // "routing!"
  const auto u = [](int v) { return static_cast<std::uint64_t>(static_cast<std::uint32_t>(v)); };
  const double z = keyed_normal(seed ^ kRoutingSalt, u(replica), u(rank),
                                u(direction) << 32 | u(micro_batch), u(stage) << 32 | u(slot));
  return std::max(0.0, 1.0 + cv * z);
}

}  // namespace hopsim::sim
