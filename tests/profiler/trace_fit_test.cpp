// Parameter recovery (issue "predicted vs measured"): hopsim runs a scenario with known,
// perturbed time scales and launch overhead, exports the step as a Kineto trace, imports it like
// any user trace, and calibrate --from-trace must recover the scales within 2%. The fit never sees
// the perturbed parameters: only the trace.

#include "hopsim/profiler/calibrate/trace_fit.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "hopsim/profiler/calibrate/cost_parameters.hpp"
#include "hopsim/profiler/export/kineto_export.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "scenario_presets.hpp"
#include "trace_test_util.hpp"

using namespace hopsim;
namespace p = hopsim::profiler;
namespace t = hopsim::profiler::test;

namespace {}  // namespace

TEST_CASE("calibrate --from-trace recovers perturbed time scales from an exported trace",
          "[profiler][calibrate]") {
  // 1F1B: a chain of its own waits for each all-to-all, so compute never overlaps a payload;
  // DualPipe overlaps one chunk's compute with the other's all-to-all.
  const ScheduleKind schedule = GENERATE(ScheduleKind::k1F1B, ScheduleKind::kDualPipe);
  INFO((schedule == ScheduleKind::k1F1B ? "1F1B" : "DualPipe"));
  Scenario sc = t::small_v2_lite_scenario();
  sc.plan.schedule = schedule;
  sim::RunOptions truth;
  truth.cost = sim::default_cost_parameters(sc.cluster.gpu);
  truth.cost->time_scale.gemm = 1.12;
  truth.cost->time_scale.attention = 0.91;
  truth.cost->time_scale.memory_bound = 1.27;
  truth.cost->time_scale.deepep_payload = 1.18;
  truth.cost->time_scale.deepep_notify = 0.85;
  truth.cost->launch_overhead = Nanoseconds(2'600);  // the default is 2,000
  truth.cost->comm_hbm_bytes_per_wire_byte = 3.0;    // the default is 2
  truth.collect_timeline = true;
  const sim::SimResult run = sim::run_scenario(sc, truth);

  for (int rank : {0, 1}) {
    INFO("pipeline rank " << rank);
    t::TempDir dir;
    {
      std::ofstream f(dir / "step.json");
      p::exporter::write_kineto(f, sc, run, rank);
    }
    (void)p::import::import_trace(dir / "step.json", dir / "step.sqlite");
    const auto trace = p::trace::load_trace(dir / "step.sqlite");

    sim::RunOptions modelled;  // the uncalibrated model the fit starts from
    modelled.cost = sim::default_cost_parameters(sc.cluster.gpu);
    const auto fit =
        p::calibrate::fit_time_scales(sc, trace, p::classify::KernelClassifier::shipped(),
                                      p::attribute::ComponentMap::shipped(), rank, modelled);
    CHECK(fit.unidentified.empty());
    REQUIRE(fit.scales.count("gemm") == 1);
    REQUIRE(fit.scales.count("attention") == 1);
    REQUIRE(fit.scales.count("memory_bound") == 1);
    CHECK(fit.scales.at("gemm") == Approx(1.12).epsilon(0.02));
    CHECK(fit.scales.at("attention") == Approx(0.91).epsilon(0.02));
    CHECK(fit.scales.at("memory_bound") == Approx(1.27).epsilon(0.02));
    REQUIRE(fit.scales.count("deepep_payload") == 1);
    REQUIRE(fit.scales.count("deepep_notify") == 1);
    CHECK(fit.scales.at("deepep_payload") == Approx(1.18).epsilon(0.02));
    CHECK(fit.scales.at("deepep_notify") == Approx(0.85).epsilon(0.02));
    // Attention and MLP, F, B and W, and dispatch and combine, F and B.
    CHECK(fit.components.size() == 10);
    CHECK(fit.rms_rel_error < 0.01);
    // The launch overhead from the gaps before the kernels that waited in a compute stream's
    // queue (the export writes each kernel after its launch gap, launched ahead).
    CHECK(fit.model_launch_overhead == modelled.cost->launch_overhead);
    CHECK(fit.queued_kernels > 0);
    REQUIRE(fit.launch_overhead.has_value());
    CHECK(static_cast<double>(fit.launch_overhead->value()) == Approx(2'600).epsilon(0.02));
    CHECK(fit.leave_one_out_rms_rel_error < 0.02);
    // HBM interference from the components the engine's overlaps slowed down.
    INFO(fit.interference_note);
    if (schedule == ScheduleKind::k1F1B) {
      CHECK_FALSE(fit.comm_hbm_bytes_per_wire_byte.has_value());
      CHECK_THAT(fit.interference_note, Catch::Contains("overlaps a payload"));
    } else {
      REQUIRE(fit.comm_hbm_bytes_per_wire_byte.has_value());
      CHECK(*fit.comm_hbm_bytes_per_wire_byte == Approx(3.0).epsilon(0.02));
      double added = 0;
      for (const auto& c : fit.components) added += c.interference_ms;
      CHECK(added > 0);
    }

    // The calibration file round-trips and gives the cost model the fitted scales.
    const auto cal = p::calibrate::calibration_from_fit(fit, sc, {{"trace", "step.sqlite"}});
    const auto back = p::calibrate::parse_calibration(p::calibrate::calibration_to_yaml(cal), "c");
    const auto params = p::calibrate::cost_parameters_from(back, sc.cluster.gpu, "c.yaml");
    CHECK(params.time_scale.gemm == fit.scales.at("gemm"));
    CHECK(params.time_scale.memory_bound == fit.scales.at("memory_bound"));
    CHECK(params.time_scale.deepep_payload == fit.scales.at("deepep_payload"));
    CHECK(params.time_scale.deepep_notify == fit.scales.at("deepep_notify"));
    CHECK(params.launch_overhead == *fit.launch_overhead);
    CHECK(params.comm_hbm_bytes_per_wire_byte ==
          fit.comm_hbm_bytes_per_wire_byte.value_or(modelled.cost->comm_hbm_bytes_per_wire_byte));
  }
}

TEST_CASE("calibrate --from-trace refuses a trace with no compute component",
          "[profiler][calibrate]") {
  p::trace::CollectingSink sink;
  const auto trace = sink.finish();
  CHECK_THROWS_WITH(p::calibrate::fit_time_scales(t::small_v2_lite_scenario(), trace,
                                                  p::classify::KernelClassifier::shipped(),
                                                  p::attribute::ComponentMap::shipped(), 0),
                    Catch::Contains("no compute component"));
}
