#pragma once
//! Kernel-class curves for the calibration tests, with made-up parameters (not measurements).

#include <string>
#include <utility>

#include "hopsim/profiler/calibrate/calibration.hpp"

namespace hopsim::profiler::test {

//! The curve rate(s, W) = rate_max * (s / sm_count)^sm_exponent * (1 - exp(-W / work0)) of
//! `kernel_class`, with its dtype's datasheet peak (0: unknown) and no fit quality.
inline calibrate::ClassCurve class_curve(std::string kernel_class, calibrate::WorkBasis basis,
                                         double rate_max, double sm_exponent, double work0,
                                         double nominal_peak = 0) {
  calibrate::ClassCurve c;
  c.kernel_class = std::move(kernel_class);
  c.basis = basis;
  c.rate_max = rate_max;
  c.sm_exponent = sm_exponent;
  c.work0 = work0;
  c.nominal_peak = nominal_peak;
  return c;
}

}  // namespace hopsim::profiler::test
