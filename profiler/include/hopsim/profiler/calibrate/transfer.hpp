#pragma once
//! A calibration measured on one GPU, carried to another of the same architecture: the H200 lent
//! for measurements stands in for the H100 and H800 that hopsim predicts (docs/CALIBRATION.md,
//! "Measured on one GPU, used for another").

#include <string>

#include "hopsim/core/hardware.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"

namespace hopsim::profiler::calibrate {

//! The two factors of the transfer, from the profiles alone.
struct TransferFactors {
  //! Per SM at the same SM count: sustained-clock ratio (SMs do not enter; the curves' own
  //! (s / S)^alpha carries the SM count over).
  double clock = 1;
  //! HBM bandwidth ratio: what memory-bound rates and the bandwidth curves scale by.
  double hbm = 1;
};
[[nodiscard]] TransferFactors transfer_factors(const GpuProfile& measured_on,
                                               const GpuProfile& target);

//! `c` (measured on `measured_on`) as it applies to `target`:
//! - compute-bound classes (work in FLOPs) keep their rate per SM at a given SM count, times the
//!   clock ratio: rate_max' = rate_max (S'/S)^alpha clock'/clock, sm_count' = S';
//! - memory-bound classes (work in bytes) scale rate_max by the HBM bandwidth ratio;
//! - the HBM and copy curves scale bandwidth_max and sms0 by the HBM ratio, so what one SM
//!   moves (the curve's slope at few SMs) is kept and only the ceiling moves;
//! - trace-fitted time scales are relative to the model, which already knows the target: kept;
//! - nominal peaks follow the datasheets (SMs x boost clock, or HBM), so efficiencies compare.
//! The provenance records the source device and the factors. Throws ConfigError when `c` was not
//! measured on a GPU with `measured_on`'s SM count.
[[nodiscard]] Calibration transfer_calibration(const Calibration& c, const GpuProfile& measured_on,
                                               const GpuProfile& target,
                                               const std::string& measured_on_name,
                                               const std::string& target_name);

}  // namespace hopsim::profiler::calibrate
