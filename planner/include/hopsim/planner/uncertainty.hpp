#pragma once
//! How far a prediction may lie from a measurement: a relative half-width around each cost
//! figure and where that width comes from. Reports show the band; plan search calls plans
//! closer than it near-ties.

#include <string>

namespace hopsim::planner {

struct Uncertainty {
  double relative = 0;  //!< half-width as a fraction: 0.2 = the figure +/- 20%
  std::string source;   //!< one sentence: what measured error the width stands for
};

//! The band of the uncalibrated cost model: 25%. The defaults predict DeepSeek-V3 on 2048 H800
//! 16.1% below the published 180K GPU-hours per 10^12 tokens (DeepSeek-V3 report §1;
//! docs/VALIDATION.md), the larger of the two end-to-end errors they are held against (NVIDIA's
//! Megatron-Core run on 1024 H100: 1.2%): the published figure is 19.2% above the prediction, so
//! a band of the prediction +/- 25% holds it (20% did not once the prediction fell below
//! 150,000); the sentence quotes the current error (a report test recomputes it). Chosen to hold
//! that one published figure, not fitted to any measurement of the user's cluster: a stated
//! default, to be replaced by a calibration.
[[nodiscard]] Uncertainty uncalibrated_uncertainty();

}  // namespace hopsim::planner
