#pragma once
//! Seeded variation for the runner: the expected slowest of N normal draws (symmetry mode) and
//! reproducible per-kernel and per-rank routing draws keyed by where they happen (full mode).

#include <cstdint>

namespace hopsim::sim {

//! E[max of n independent standard normals]: 0 for n = 1, 1/sqrt(pi) for n = 2, ~2.41 for 64.
//! Numerical integration of n x phi(x) Phi(x)^(n-1); deterministic.
[[nodiscard]] double expected_max_normal(int n);

//! A standard normal draw that depends only on (seed, a, b, c, d): SplitMix64 of the key, then
//! Box-Muller. The same key gives the same draw on every machine and in every order.
[[nodiscard]] double keyed_normal(std::uint64_t seed, std::uint64_t a, std::uint64_t b,
                                  std::uint64_t c, std::uint64_t d);

//! One EP rank's draw of the token copies its experts receive for one micro-batch in one layer:
//! max(0, 1 + cv z), z keyed by (seed, replica, rank, direction, micro-batch, stage, slot) and
//! independent of the kernel-time draws. The forward and backward passes of a micro-batch see
//! the same routing, so they draw the same. The executor takes each draw relative to its EP
//! group's mean draw (the group's token copies are conserved).
[[nodiscard]] double routing_load(std::uint64_t seed, int replica, int rank, int direction,
                                  int micro_batch, int stage, int slot, double cv);

}  // namespace hopsim::sim
