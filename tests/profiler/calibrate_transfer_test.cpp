// The transfer of a calibration from the GPU it was measured on to another of the same
// architecture (profiler/calibrate/transfer.hpp). Expected values are derived by hand from the
// shipped profiles' datasheet figures, not from the function under test.
#include <catch2/catch.hpp>
#include <cmath>

#include "calibration_samples.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/calibrate/transfer.hpp"

namespace cal = hopsim::profiler::calibrate;
using hopsim::profiler::test::class_curve;

namespace {

cal::Calibration measured_on_h200() {
  cal::Calibration c;
  c.device = "NVIDIA H200";
  c.sm_count = 132;
  c.classes = {class_curve("gemm_fp8", cal::WorkBasis::kFlops, 1.2e15, 0.9, 3e9, 1978.9e12),
               class_curve("rmsnorm", cal::WorkBasis::kBytes, 4.2e12, 0.4, 1e6)};
  c.hbm = cal::BandwidthCurve{4.3e12, 30.0, {}};
  c.copy = cal::BandwidthCurve{1.0e12, 20.0, {}};
  c.time_scales["gemm"] = 1.1;
  return c;
}

}  // namespace

TEST_CASE("calibration transfer: H200 to H800 keeps compute, scales memory by 3350/4800",
          "[profiler][calibrate]") {
  const auto h200 = hopsim::load_gpu_profile("h200-sxm");
  const auto h800 = hopsim::load_gpu_profile("h800-sxm5");
  // Datasheets: both 132 SMs at the same clocks; HBM 4.8 TB/s (H200) and 3.35 TB/s (H800).
  const auto f = cal::transfer_factors(h200, h800);
  CHECK(f.clock == 1.0);
  CHECK(f.hbm == Approx(3350.0 / 4800.0).epsilon(1e-12));

  const auto src = measured_on_h200();
  const auto t = cal::transfer_calibration(src, h200, h800, "h200-sxm", "h800-sxm5");
  CHECK(t.sm_count == 132);
  CHECK(t.device == "H800 SXM5 (transferred from NVIDIA H200)");
  // Compute-bound: the same rate at every partition size (same SMs, same clock).
  for (int s : {20, 96, 112, 132}) {
    CHECK(t.classes[0].rate(s, 1e11, t.sm_count) ==
          Approx(src.classes[0].rate(s, 1e11, src.sm_count)).epsilon(1e-12));
  }
  // Datasheet peaks: the H800's FP8 peak is the H200's; efficiency against it is unchanged.
  CHECK(t.classes[0].nominal_peak == Approx(1978.9e12).epsilon(1e-12));
  // Memory-bound: 4.2 TB/s x 3350/4800 = 2.93125 TB/s.
  CHECK(t.classes[1].rate_max == Approx(2.93125e12).epsilon(1e-12));
  CHECK(t.classes[1].sm_exponent == 0.4);
  // HBM and copy curves: the ceiling scales (4.3 TB/s -> 3.0010417 TB/s), the rate one SM adds
  // at the start (bandwidth_max / sms0) does not.
  CHECK(t.hbm->bandwidth_max == Approx(4.3e12 * 3350.0 / 4800.0).epsilon(1e-12));
  CHECK(t.hbm->bandwidth_max / t.hbm->sms0 == Approx(4.3e12 / 30.0).epsilon(1e-12));
  CHECK(t.copy->bandwidth_max / t.copy->sms0 == Approx(1.0e12 / 20.0).epsilon(1e-12));
  CHECK(t.time_scales.at("gemm") == 1.1);
  CHECK(t.provenance.at("transferred_from_profile") == "h200-sxm");
  CHECK(t.provenance.at("transfer_rule").find("0.697917") != std::string::npos);
}

TEST_CASE("calibration transfer: per-SM rate and clock carry to a GPU with fewer SMs",
          "[profiler][calibrate]") {
  const auto h200 = hopsim::load_gpu_profile("h200-sxm");
  // A made-up Hopper part with 114 SMs sustaining 1400 MHz (a PCIe-like board).
  auto small = h200;
  small.name = "small Hopper";
  small.sms = 114;
  small.sustained_clock_mhz = 1400;
  const auto src = measured_on_h200();
  const auto t = cal::transfer_calibration(src, h200, small, "h200-sxm", "small");
  CHECK(t.sm_count == 114);
  // On 64 SMs the same silicon does the same work per clock: rate x 1400/1600.
  CHECK(t.classes[0].rate(64, 1e11, t.sm_count) ==
        Approx(src.classes[0].rate(64, 1e11, src.sm_count) * 1400.0 / 1600.0).epsilon(1e-12));
}

TEST_CASE("calibration transfer refuses a source GPU the calibration was not measured on",
          "[profiler][calibrate]") {
  auto src = measured_on_h200();
  src.sm_count = 108;  // e.g. an A100's
  const auto h200 = hopsim::load_gpu_profile("h200-sxm");
  try {
    (void)cal::transfer_calibration(src, h200, h200, "h200-sxm", "h200-sxm");
    FAIL("transferred from the wrong GPU");
  } catch (const hopsim::ConfigError& e) {
    CHECK(std::string(e.what()).find("measured on 108 SMs") != std::string::npos);
    CHECK(std::string(e.what()).find("--measured-on") != std::string::npos);
  }
}
