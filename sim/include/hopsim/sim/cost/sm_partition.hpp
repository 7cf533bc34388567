#pragma once
//! SM partitions of a GPU: a compute partition and a communication partition, and how the SMs
//! a communication kernel holds limit the bandwidth it achieves.

#include <optional>
#include <string>

#include "hopsim/core/hardware.hpp"

namespace hopsim::sim {

//! Achievable communication bandwidth as a fraction of the link's achievable peak, given the
//! SMs the communication kernel holds. Defaults follow DeepEP V1 normal kernels on H800
//! (DeepSeek-V3 report §3.2.2, p.13: "20 SMs are sufficient to fully utilize the bandwidths of IB
//! and NVLink"; DeepEP `Buffer.num_sms` default 20, deepseek-ai/DeepEP deep_ep/buffer.py
//! @ebfe47e). The curve's shape below saturation is an assumption; calibration (hopsim calibrate)
//! replaces it.
struct CommSmCurve {
  enum class Shape {
    kLinearSaturating,  //!< min(1, s / saturation_sms)
    kExponential,       //!< (1 - exp(-s / s0)) / (1 - exp(-saturation_sms / s0)), capped at 1
  };
  Shape shape = Shape::kLinearSaturating;
  double saturation_sms = 20.0;
  double s0 = 6.68;  //!< exponential scale: 20 / ln(20), so 20 SMs reach 95% before the cap
};

//! Fraction (0, 1] of peak achievable with `sms` communication SMs; 0 for sms <= 0.
[[nodiscard]] double comm_bandwidth_fraction(int sms, const CommSmCurve& curve);

//! Fraction of the GPU's compute throughput available to kernels on `compute_sms` SMs.
//! Throughput scales with SM count (each SM has its own tensor cores); wave quantisation is
//! the kernel cost model's business, not this function's.
[[nodiscard]] double compute_sm_fraction(int compute_sms, int total_sms);

//! A split of one GPU's SMs.
struct SmPartition {
  int compute_sms = 0;
  int comm_sms = 0;
};

//! Throws PlanError naming the key (comm_sms / compute_sms) when the split is impossible:
//! negative counts or more SMs than the GPU has.
void validate_partition(const SmPartition& p, const GpuProfile& gpu);

//! A warning where real hardware could not make the split (green-context partitions come in
//! multiples of gpu.sm_partition_granularity plus one remainder partition); nullopt when it can.
[[nodiscard]] std::optional<std::string> partition_warning(const SmPartition& p,
                                                           const GpuProfile& gpu);

}  // namespace hopsim::sim
