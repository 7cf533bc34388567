#include "hopsim/planner/uncertainty.hpp"

namespace hopsim::planner {

Uncertainty uncalibrated_uncertainty() {
  return {
      0.20,
      "uncalibrated defaults: when this band was set (2026-11-30) they predicted DeepSeek-V3 on "
      "2048 H800 17.5% below the published 180K GPU-hours per 10^12 tokens (docs/VALIDATION.md; "
      "a test keeps that error inside the band); calibrate from your own measurements "
      "(hopsim calibrate) for a band of your cluster"};
}

}  // namespace hopsim::planner
