#pragma once
//! Least-squares fits behind `hopsim calibrate`: efficiency-vs-(SMs, size) curves per kernel class
//! and saturating bandwidth-vs-SMs curves. Pure functions over samples; no I/O.

#include <string>
#include <vector>

#include "hopsim/profiler/calibrate/calibration.hpp"

namespace hopsim::profiler::calibrate {

//! One measured point: `work` FLOPs or bytes done in `seconds` on `sms` SMs.
struct Sample {
  int sms = 0;
  double work = 0;
  double seconds = 0;
  [[nodiscard]] double rate() const { return work / seconds; }
};

//! Fits ClassCurve's rate(s, W) in log space (so residuals are relative errors). work0 is found
//! by a log-spaced scan with the two linear parameters solved exactly at each step, then all
//! three are refined by Levenberg-Marquardt. With a single SM count, sm_exponent is held at 1;
//! with a single problem size, work0 is held far below it (size-independent rate).
//! Throws std::invalid_argument for fewer than 2 points or non-positive values.
[[nodiscard]] ClassCurve fit_class_curve(const std::string& kernel_class, WorkBasis basis,
                                         const std::vector<Sample>& samples, int sm_count);

//! Fits BandwidthCurve's bw(s) to (sms, bytes/second) points from `samples` (rate = work/seconds).
[[nodiscard]] BandwidthCurve fit_bandwidth_curve(const std::vector<Sample>& samples);

//! Relative-error summary of a curve over samples (model vs measured rate).
[[nodiscard]] FitQuality evaluate(const ClassCurve& c, const std::vector<Sample>& samples,
                                  int sm_count);
[[nodiscard]] FitQuality evaluate(const BandwidthCurve& c, const std::vector<Sample>& samples);

}  // namespace hopsim::profiler::calibrate
