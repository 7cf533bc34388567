#include "hopsim/planner/uncertainty.hpp"

namespace hopsim::planner {

Uncertainty uncalibrated_uncertainty() {
  return {0.25,
          "uncalibrated defaults: they predict DeepSeek-V3 on 2048 H800 16.3% below the published "
          "180K GPU-hours per 10^12 tokens (docs/VALIDATION.md; a test keeps this figure current "
          "and the published figure inside the band); calibrate from your own measurements "
          "(hopsim calibrate) for a band of your cluster"};
}

}  // namespace hopsim::planner
