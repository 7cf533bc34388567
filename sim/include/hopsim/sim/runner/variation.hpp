#pragma once
//! Seeded variation for the runner: the expected slowest of N normal draws (symmetry mode) and
//! reproducible per-kernel and per-rank routing draws keyed by where they happen (full mode).

#include <cstdint>

#include "hopsim/core/random.hpp"  // keyed_normal

namespace hopsim::sim {

//! E[max of n independent standard normals]: 0 for n = 1, 1/sqrt(pi) for n = 2, ~2.41 for 64.
//! Numerical integration of n x phi(x) Phi(x)^(n-1); deterministic.
[[nodiscard]] double expected_max_normal(int n);

//! One EP rank's draw of the token copies its experts receive for one micro-batch in one layer:
//! max(0, 1 + cv z), z keyed by (seed, replica, rank, direction, micro-batch, stage, slot) and
//! independent of the kernel-time draws. The forward and backward passes of a micro-batch see
//! the same routing, so they draw the same. The executor takes each draw relative to its EP
//! group's mean draw (the group's token copies are conserved).
[[nodiscard]] double routing_load(std::uint64_t seed, int replica, int rank, int direction,
                                  int micro_batch, int stage, int slot, double cv);

}  // namespace hopsim::sim
