// Tests of the calibration fitter. The inputs are generated here from a known curve plus
// deterministic noise: they test the fitter and are not calibration data.

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "hopsim/profiler/calibrate/fit.hpp"

namespace cal = hopsim::profiler::calibrate;

namespace {

// Deterministic "noise": a multiplicative factor 1 + amp * sin(1.7 i), RMS amp/sqrt(2).
double noise(int i, double amp) {
  return 1.0 + amp * std::sin(1.7 * i);
}

std::vector<cal::Sample> synth_class(const cal::ClassCurve& truth, int sm_count, double amp) {
  std::vector<cal::Sample> s;
  int i = 0;
  for (int sms : {64, 96, 112, 128, 132})
    for (double work : {2e8, 1e9, 5e9, 2e10, 1e11, 1e12}) {
      const double rate = truth.rate(sms, work, sm_count) * noise(i++, amp);
      s.push_back(cal::Sample{sms, work, work / rate});
    }
  return s;
}

cal::ClassCurve truth_curve() {
  cal::ClassCurve t;
  t.rate_max = 1.2e15;
  t.sm_exponent = 0.93;
  t.work0 = 3e9;
  return t;
}

}  // namespace

TEST_CASE("class fit recovers exact parameters from noiseless points", "[profiler][calibrate]") {
  const auto truth = truth_curve();
  const auto fit =
      cal::fit_class_curve("gemm_fp8", cal::WorkBasis::kFlops, synth_class(truth, 132, 0.0), 132);
  CHECK(fit.rate_max == Approx(truth.rate_max).epsilon(1e-6));
  CHECK(fit.sm_exponent == Approx(truth.sm_exponent).epsilon(1e-6));
  CHECK(fit.work0 == Approx(truth.work0).epsilon(1e-6));
  CHECK(fit.fit.points == 30);
  CHECK(fit.fit.rms_rel_error < 1e-8);
}

TEST_CASE("class fit recovers parameters within noise and reports the fit error",
          "[profiler][calibrate]") {
  const auto truth = truth_curve();
  const double amp = 0.03;  // +-3% noise, RMS about 2.1%
  const auto fit =
      cal::fit_class_curve("gemm_fp8", cal::WorkBasis::kFlops, synth_class(truth, 132, amp), 132);
  CHECK(fit.rate_max == Approx(truth.rate_max).epsilon(0.03));
  CHECK(fit.sm_exponent == Approx(truth.sm_exponent).margin(0.05));
  CHECK(fit.work0 == Approx(truth.work0).epsilon(0.15));
  // The residual is the noise: between half and 1.5x its RMS, and bounded by its amplitude-ish.
  CHECK(fit.fit.rms_rel_error > 0.5 * amp / std::sqrt(2.0));
  CHECK(fit.fit.rms_rel_error < 1.5 * amp / std::sqrt(2.0));
  CHECK(fit.fit.max_rel_error < 2 * amp);
  CHECK(fit.rate(132, 1e15, 132) == Approx(fit.rate_max).epsilon(1e-9));
}

TEST_CASE("class fit with one SM count holds the exponent at 1", "[profiler][calibrate]") {
  cal::ClassCurve truth = truth_curve();
  truth.sm_exponent = 1.0;
  std::vector<cal::Sample> s;
  for (double w : {1e9, 1e10, 1e11}) s.push_back({132, w, w / truth.rate(132, w, 132)});
  const auto fit = cal::fit_class_curve("rmsnorm", cal::WorkBasis::kBytes, s, 132);
  CHECK(fit.sm_exponent == 1.0);
  CHECK(fit.work0 == Approx(truth.work0).epsilon(1e-4));
  CHECK(fit.basis == cal::WorkBasis::kBytes);
}

TEST_CASE("class fit with one problem size fits the SM scaling only", "[profiler][calibrate]") {
  std::vector<cal::Sample> s;
  // rate = 1e12 * (sms/132)^0.5 at a single size.
  for (int sms : {32, 66, 132}) s.push_back({sms, 1e10, 1e10 / (1e12 * std::sqrt(sms / 132.0))});
  const auto fit = cal::fit_class_curve("x", cal::WorkBasis::kFlops, s, 132);
  CHECK(fit.sm_exponent == Approx(0.5).epsilon(1e-6));
  CHECK(fit.rate(132, 1e10, 132) == Approx(1e12).epsilon(1e-6));
  CHECK(fit.fit.rms_rel_error < 1e-8);
}

TEST_CASE("bandwidth fit recovers a saturating curve", "[profiler][calibrate]") {
  cal::BandwidthCurve truth;
  truth.bandwidth_max = 2.9e12;
  truth.sms0 = 21.0;
  std::vector<cal::Sample> s;
  int i = 0;
  for (int sms : {8, 16, 20, 24, 32, 64, 96, 132}) {
    const double bw = truth.bandwidth(sms) * noise(i++, 0.01);
    s.push_back({sms, 1e9, 1e9 / bw});
  }
  const auto fit = cal::fit_bandwidth_curve(s);
  CHECK(fit.bandwidth_max == Approx(truth.bandwidth_max).epsilon(0.02));
  CHECK(fit.sms0 == Approx(truth.sms0).epsilon(0.05));
  CHECK(fit.fit.rms_rel_error < 0.01);
  CHECK(fit.fit.points == 8);
}

TEST_CASE("fits reject unusable input", "[profiler][calibrate]") {
  CHECK_THROWS_AS(cal::fit_class_curve("x", cal::WorkBasis::kFlops, {{132, 1e9, 1e-3}}, 132),
                  std::invalid_argument);
  CHECK_THROWS_AS(cal::fit_bandwidth_curve({{8, 1e9, 1e-3}, {16, 1e9, 0.0}}),
                  std::invalid_argument);
}
