#include "hopsim/planner/uncertainty.hpp"

namespace hopsim::planner {

Uncertainty uncalibrated_uncertainty() {
  return {0.25,
          "uncalibrated defaults: they predict DeepSeek-V3 on 2048 H800 16.1% below the published "
          "180K GPU-hours per 10^12 tokens, and NVIDIA's DeepSeek-V3 run on 1024 H100 with "
          "Megatron-Core 1.2% below its measured tokens/s (docs/VALIDATION.md; a test keeps the "
          "first figure current and the published figure inside the band); calibrate from your "
          "own measurements (hopsim calibrate) for a band of your cluster"};
}

}  // namespace hopsim::planner
