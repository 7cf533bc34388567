// Calibration YAML: save/load round trip and rejection of bad files with clear errors.

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/temp_path.hpp"
#include "calibration_samples.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"

namespace cal = hopsim::profiler::calibrate;
using hopsim::profiler::test::class_curve;

namespace {

cal::Calibration sample_calibration() {
  cal::Calibration c;
  c.device = "test device (not a measurement)";
  c.sm_count = 132;
  c.provenance["command"] = "unit test";
  c.classes = {
      class_curve("gemm_fp8", cal::WorkBasis::kFlops, 1.234567890123e15, 0.97, 3.3e9, 1978.9e12),
      class_curve("rmsnorm", cal::WorkBasis::kBytes, 2.5e12, 0.5, 1e7)};
  c.classes[0].fit = {30, 0.021, 0.049};
  c.classes[1].fit = {5, 0.01, 0.02};
  c.copy = cal::BandwidthCurve{2.0e12, 18.5, {5, 0.005, 0.01}};
  return c;
}

std::string message_of(const std::string& yaml) {
  try {
    (void)cal::parse_calibration(yaml, "bad.yaml");
  } catch (const hopsim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

const char* kValid = R"(hopsim_calibration: 1
device: d
sm_count: 132
classes:
  - class: gemm_fp8
    basis: flops
    rate_max: 1.0e15
    sm_exponent: 1.0
    work0: 1.0e9
    fit: {points: 3, rms_rel_error: 0.01, max_rel_error: 0.02}
)";

}  // namespace

TEST_CASE("calibration save/load round trip is exact", "[profiler][calibrate]") {
  const auto c = sample_calibration();
  const auto path = hopsim::test::unique_temp_path("calibrate_roundtrip.yaml");
  cal::save_calibration(c, path);
  const auto back = cal::load_calibration(path);
  std::filesystem::remove(path);
  CHECK(back.device == c.device);
  CHECK(back.sm_count == 132);
  CHECK(back.provenance == c.provenance);
  REQUIRE(back.classes.size() == 2);
  CHECK(back.classes[0].rate_max == c.classes[0].rate_max);  // 17 digits: bit-exact
  CHECK(back.classes[0].nominal_peak == c.classes[0].nominal_peak);
  CHECK(back.classes[0].fit.points == 30);
  CHECK(back.classes[1].basis == cal::WorkBasis::kBytes);
  REQUIRE(back.copy.has_value());
  CHECK(back.copy->sms0 == 18.5);
  CHECK_FALSE(back.hbm.has_value());
  REQUIRE(back.find("rmsnorm") != nullptr);
  CHECK(back.find("nope") == nullptr);
  CHECK(back.classes[0].efficiency_max() == Approx(1.234567890123e15 / 1978.9e12));
}

TEST_CASE("a fit above its datasheet peak is written without the peak, never as a bad file",
          "[profiler][calibrate]") {
  // A latency-bound class's fitted asymptote, or a default peak of another GPU, can put
  // rate_max above nominal_peak: the loader refuses that, so the writer must not produce it.
  auto c = sample_calibration();
  c.classes[0].rate_max = 2.1e15;  // above the 1978.9e12 FP8 peak given to the class
  const auto path = hopsim::test::unique_temp_path("calibrate_over_peak.yaml");
  CHECK_THROWS_WITH(cal::save_calibration(c, path),
                    Catch::Contains("would not load back") && Catch::Contains("classes[0]."));
  CHECK_FALSE(std::filesystem::exists(path));  // nothing written

  const auto warnings = cal::drop_exceeded_peaks(c);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("gemm_fp8") && Catch::Contains("2.1e+15") &&
                              Catch::Contains("1.979e+15"));
  CHECK(c.classes[0].nominal_peak == 0);
  CHECK(cal::drop_exceeded_peaks(c).empty());  // nothing left to drop
  cal::save_calibration(c, path);
  const auto back = cal::load_calibration(path);
  std::filesystem::remove(path);
  CHECK(back.classes[0].rate_max == 2.1e15);
  CHECK(back.classes[0].nominal_peak == 0);
}

TEST_CASE("a valid minimal calibration parses", "[profiler][calibrate]") {
  const auto c = cal::parse_calibration(kValid, "ok.yaml");
  CHECK(c.classes.size() == 1);
  CHECK_FALSE(c.launch_overhead_ns.has_value());
  const auto l = cal::parse_calibration(std::string(kValid) + "launch_overhead_ns: 800\n", "l");
  CHECK(l.launch_overhead_ns == 800);
  CHECK(cal::parse_calibration(cal::calibration_to_yaml(l), "back").launch_overhead_ns == 800);
  CHECK(c.classes[0].rate(66, 1e12, 132) == Approx(0.5e15 * -std::expm1(-1e3)));
}

TEST_CASE("bad calibration files are rejected with file, position and key",
          "[profiler][calibrate]") {
  std::string s = kValid;
  SECTION("unknown key, with the nearest valid key suggested") {
    s.replace(s.find("work0"), 5, "wrk0");
    const auto m = message_of(s);
    CHECK_THAT(m, Catch::Contains("bad.yaml:9") && Catch::Contains("classes[0].wrk0") &&
                      Catch::Contains("unknown key") && Catch::Contains("did you mean 'work0'"));
  }
  SECTION("missing key") {
    s.erase(s.find("    work0"), std::string("    work0: 1.0e9\n").size());
    CHECK_THAT(message_of(s), Catch::Contains("classes[0].work0") && Catch::Contains("missing"));
  }
  SECTION("non-positive rate") {
    s.replace(s.find("1.0e15"), 6, "-1.0e15");
    CHECK_THAT(message_of(s),
               Catch::Contains("classes[0].rate_max") && Catch::Contains("positive"));
  }
  SECTION("not a number") {
    s.replace(s.find("1.0e15"), 6, "fast");
    CHECK_THAT(message_of(s), Catch::Contains("expected a positive number, got 'fast'"));
  }
  SECTION("wrong version") {
    s.replace(s.find("calibration: 1"), 14, "calibration: 7");
    CHECK_THAT(message_of(s), Catch::Contains("unsupported calibration format version"));
  }
  SECTION("bad basis") {
    s.replace(s.find("basis: flops"), 12, "basis: joules");
    CHECK_THAT(message_of(s), Catch::Contains("expected one of flops, bytes, got 'joules'"));
  }
  SECTION("duplicate class") {
    s += s.substr(s.find("  - class"));
    CHECK_THAT(message_of(s), Catch::Contains("class 'gemm_fp8' listed twice"));
  }
  SECTION("top-level key path has no leading dot") {
    s.replace(s.find("sm_count: 132"), 13, "sm_count: -3");
    CHECK_THAT(message_of(s), Catch::Contains("bad.yaml:3") && Catch::Contains(": sm_count: ") &&
                                  Catch::Contains("positive"));
  }
  SECTION("negative or fractional launch overhead") {
    CHECK_THAT(message_of(s + "launch_overhead_ns: -5\n"),
               Catch::Contains("bad.yaml:11:21") && Catch::Contains("launch_overhead_ns"));
    CHECK_THAT(message_of(s + "launch_overhead_ns: 1.5\n"),
               Catch::Contains("launch_overhead_ns") && Catch::Contains("integer"));
    CHECK_THAT(message_of(s + "launch_overhead_ns: .nan\n"), Catch::Contains("launch_overhead_ns"));
  }
  SECTION("a rate above the nominal peak, an efficiency that is not a fraction or disagrees") {
    // 1.0e15 over a 989.4e12 peak would be 101% of it: no kernel beats its datasheet.
    const std::string peak = "    nominal_peak: 989.4e12\n";
    std::string over = s;
    over.insert(over.find("    fit:"), peak);
    CHECK_THAT(message_of(over), Catch::Contains("bad.yaml:7") &&
                                     Catch::Contains("classes[0].rate_max") &&
                                     Catch::Contains("at most nominal_peak"));
    std::string derived = s;
    derived.insert(derived.find("    fit:"), "    nominal_peak: 2.0e15\n    efficiency_max: 0.5\n");
    CHECK(message_of(derived) == "no error");  // 1.0e15 / 2.0e15, as written on save
    std::string rounded = derived;  // three significant digits of 1.0e15 / 1.9789e15 = 0.50533
    rounded.replace(rounded.find("nominal_peak: 2.0e15"), 20, "nominal_peak: 1.9789e15");
    rounded.replace(rounded.find("efficiency_max: 0.5"), 19, "efficiency_max: 0.505");
    CHECK(message_of(rounded) == "no error");
    std::string edited = derived;
    edited.replace(edited.find("efficiency_max: 0.5"), 19, "efficiency_max: 0.7");
    CHECK_THAT(message_of(edited), Catch::Contains("classes[0].efficiency_max") &&
                                       Catch::Contains("derived") && Catch::Contains("0.5"));
    std::string fraction = derived;
    fraction.replace(fraction.find("efficiency_max: 0.5"), 19, "efficiency_max: 1.5");
    CHECK_THAT(message_of(fraction),
               Catch::Contains("classes[0].efficiency_max") && Catch::Contains("1.5"));
    std::string nan = derived;
    nan.replace(nan.find("efficiency_max: 0.5"), 19, "efficiency_max: .nan");
    CHECK_THAT(message_of(nan), Catch::Contains("classes[0].efficiency_max"));
  }
  SECTION("not YAML") {
    CHECK_THAT(message_of("a: [1, 2"), Catch::Contains("YAML syntax error"));
  }
  SECTION("not a mapping") {
    CHECK_THAT(message_of("- 1\n- 2\n"), Catch::Contains("mapping"));
  }
}

TEST_CASE("loading a missing calibration file names it", "[profiler][calibrate]") {
  CHECK_THROWS_WITH(cal::load_calibration("/nonexistent/cal.yaml"),
                    Catch::Contains("/nonexistent/cal.yaml") && Catch::Contains("cannot open"));
}

TEST_CASE("a calibration's residual band: leave-one-out of a trace fit, else its worst curve",
          "[profiler][calibrate]") {
  using namespace hopsim::profiler::calibrate;
  Calibration c;
  CHECK(residual_band(c).relative == 0);  // nothing recorded: the caller keeps its default
  ClassCurve gemm;
  gemm.kernel_class = "gemm_fp8";
  gemm.fit.rms_rel_error = 0.031;
  ClassCurve norm;
  norm.kernel_class = "rmsnorm";
  norm.fit.rms_rel_error = 0.087;
  c.classes = {gemm, norm};
  ResidualBand b = residual_band(c);
  CHECK(b.relative == 0.087);
  CHECK(b.source.find("rmsnorm") != std::string::npos);
  // `calibrate --from-trace` records its leave-one-component-out error; it takes precedence.
  c.provenance["fit_leave_one_out_rms_rel_error"] = "0.0420";
  b = residual_band(c);
  CHECK(b.relative == 0.042);
  CHECK(b.source.find("leave-one-component-out") != std::string::npos);
  c.provenance["fit_leave_one_out_rms_rel_error"] = "not a number";
  CHECK(residual_band(c).relative == 0.087);
}

TEST_CASE("cost_model_classes: a mapping to measured FLOP classes, checked and round-tripped",
          "[profiler][calibrate]") {
  std::string s = kValid;
  s += R"(  - class: cublaslt_gemm_fp8
    basis: flops
    rate_max: 1.2e15
    sm_exponent: 1.0
    work0: 7.0e10
    fit: {points: 6, rms_rel_error: 0.1, max_rel_error: 0.2}
  - class: rmsnorm
    basis: bytes
    rate_max: 3.0e12
    sm_exponent: 0.6
    work0: 2.0e7
    fit: {points: 9, rms_rel_error: 0.04, max_rel_error: 0.07}
)";
  SECTION("parsed and written back") {
    const auto c = cal::parse_calibration(s + "cost_model_classes: {gemm_fp8: cublaslt_gemm_fp8}\n",
                                          "ok.yaml");
    CHECK(c.cost_model_classes ==
          std::map<std::string, std::string>{{"gemm_fp8", "cublaslt_gemm_fp8"}});
    const auto back = cal::parse_calibration(cal::calibration_to_yaml(c), "back.yaml");
    CHECK(back.cost_model_classes == c.cost_model_classes);
  }
  SECTION("a class the file does not hold") {
    CHECK_THAT(message_of(s + "cost_model_classes: {gemm_fp8: cublas_gemm_fp16}\n"),
               Catch::Contains("cost_model_classes.gemm_fp8") &&
                   Catch::Contains("'cublas_gemm_fp16' is not a FLOP-based class"));
  }
  SECTION("a bytes-based class cannot stand for a GEMM") {
    CHECK_THAT(message_of(s + "cost_model_classes: {gemm_bf16: rmsnorm}\n"),
               Catch::Contains("'rmsnorm' is not a FLOP-based class"));
  }
  SECTION("a memory-bound kind takes a bytes-based class, and only that") {
    const auto c = cal::parse_calibration(s + "cost_model_classes: {norm: rmsnorm}\n", "ok.yaml");
    CHECK(c.cost_model_classes.at("norm") == "rmsnorm");
    CHECK_THAT(message_of(s + "cost_model_classes: {norm: gemm_fp8}\n"),
               Catch::Contains("cost_model_classes.norm") &&
                   Catch::Contains("'gemm_fp8' is not a byte-based class"));
  }
  SECTION("an unknown cost-model class, with the nearest suggested") {
    CHECK_THAT(message_of(s + "cost_model_classes: {gemm_fp9: cublaslt_gemm_fp8}\n"),
               Catch::Contains("unknown key") && Catch::Contains("did you mean 'gemm_fp8'"));
  }
}

TEST_CASE("gemm_tile: a GEMM tile fit, round-tripped, checked and applied",
          "[profiler][calibrate]") {
  const std::string tile = R"(gemm_tile:
  main_loop_efficiency: 0.8
  operand_feed_gb_per_s_per_sm: 130.5
  tile_overhead_ns: 3314
  hbm_tb_per_s: 2.78
  kernel_overhead_ns: 0
  overlap_exponent: 2.25
)";
  const auto c = cal::parse_calibration(std::string(kValid) + tile, "ok.yaml");
  REQUIRE(c.gemm_tile.has_value());
  CHECK(c.gemm_tile->tile_overhead_ns == 3314);
  const auto back = cal::parse_calibration(cal::calibration_to_yaml(c), "back.yaml");
  REQUIRE(back.gemm_tile.has_value());
  CHECK(back.gemm_tile->overlap_exponent == 2.25);
  CHECK(back.gemm_tile->feed_gb_per_s_per_sm == 130.5);
  // Without an exponent the tile model takes the max of compute and streaming (full overlap),
  // and writes no exponent back.
  std::string max_form = tile;
  max_form.erase(max_form.find("  overlap_exponent"));
  const auto m = cal::parse_calibration(std::string(kValid) + max_form, "max.yaml");
  CHECK(std::isinf(m.gemm_tile->overlap_exponent));
  CHECK(cal::calibration_to_yaml(m).find("overlap_exponent") == std::string::npos);
  // Out of its domain: located, with the key path.
  const auto bad = [&](const std::string& from, const std::string& to) {
    std::string s = std::string(kValid) + tile;
    s.replace(s.find(from), from.size(), to);
    return message_of(s);
  };
  CHECK_THAT(bad("main_loop_efficiency: 0.8", "main_loop_efficiency: 1.5"),
             Catch::Contains("gemm_tile.main_loop_efficiency") && Catch::Contains("bad.yaml:"));
  CHECK_THAT(bad("overlap_exponent: 2.25", "overlap_exponent: 0.5"),
             Catch::Contains("gemm_tile.overlap_exponent") && Catch::Contains("below 1"));
  CHECK_THAT(bad("hbm_tb_per_s: 2.78", "hbm_tb_per_s: .nan"),
             Catch::Contains("gemm_tile.hbm_tb_per_s"));
  CHECK_THAT(bad("tile_overhead_ns: 3314", "tile_ovrhead_ns: 3314"),
             Catch::Contains("did you mean 'tile_overhead_ns'"));
}
