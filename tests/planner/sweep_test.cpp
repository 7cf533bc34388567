#include "hopsim/planner/sweep.hpp"

#include <catch2/catch.hpp>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/sim/runner/runner.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim;
using namespace hopsim::planner;

TEST_CASE("infeasible configurations are stored with their reason", "[planner][sweep]") {
  const auto dir = hopsim::test::scratch_dir("infeasible");
  const SweepSpec spec = load_sweep_spec(hopsim::test::kSweepDir + "tiny-sweep.yaml");
  ResultsStore store(dir / "r.db");
  const SweepSummary s = run_sweep(spec, store, SweepOptions{});
  CHECK(s.ran == 12);
  const auto rows = store.rows();
  REQUIRE(rows.size() == 12);
  int infeasible = 0;
  for (const auto& r : rows) {
    if (r.status == "ok") {
      CHECK(r.step_time_ms > 0);
      CHECK_FALSE(r.result_json.empty());
      // Plausibility, not a pin: no step beats the GPUs' nominal FP8 peak on the model's FLOPs,
      // and one over 1000x the time at BF16 peak is a broken model, not a slow plan (this
      // sweep's PP1 rows once predicted 48.9 million seconds per step and the goldens kept it).
      INFO(r.config);
      CHECK(r.mfu_fp8 <= 1.0);
      CHECK(r.mfu_bf16 >= 1e-3);
      continue;
    }
    ++infeasible;
    CHECK(r.status == "infeasible");
    CHECK_THAT(r.reason, Catch::Contains("EP = "));
  }
  // 6 with EP 3 (divides neither 16 experts nor DP*TP) + 2 with EP 8 > DP*TP = 4 (PP4 DP4).
  CHECK(infeasible == 8);
  CHECK(store.meta().at("calibration_hash") == "uncalibrated");
}

TEST_CASE("a plan that does not fit in HBM is stored as out of memory", "[planner][sweep]") {
  const auto dir = hopsim::test::scratch_dir("oom");
  // Shrink HBM to 1 GiB: below the fixed 2 GiB reserve, so no plan can fit.
  const SweepSpec spec =
      parse_sweep_spec("base: tiny.yaml\ngrid:\n  hardware.gpu.hbm_capacity_bytes: [1073741824]\n",
                       hopsim::test::kSweepDir + "oom.yaml");
  ResultsStore store(dir / "r.db");
  (void)run_sweep(spec, store, SweepOptions{});
  const auto rows = store.rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "infeasible");
  CHECK_THAT(rows[0].reason, Catch::Contains("out of memory"));
  const Scenario sc = ScenarioTemplate(hopsim::test::kSweepDir + "tiny.yaml")
                          .instantiate({{"hardware.gpu.hbm_capacity_bytes", "1073741824"}});
  CHECK(rows[0].memory_gib ==
        Approx(static_cast<double>(worst_rank(sim::rank_memory(sc)).total.value()) /
               (1024.0 * 1024 * 1024)));
}

TEST_CASE("shards merged equal a single run, and a re-run resumes", "[planner][sweep]") {
  const auto dir = hopsim::test::scratch_dir("shards");
  const SweepSpec spec = load_sweep_spec(hopsim::test::kSweepDir + "tiny-sweep.yaml");
  {
    ResultsStore single(dir / "single.db");
    SweepOptions o;
    o.jobs = 2;
    (void)run_sweep(spec, single, o);
  }
  std::size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    ResultsStore shard(dir / ("shard" + std::to_string(i) + ".db"));
    SweepOptions o;
    o.shard_index = i;
    o.shard_count = 3;
    const SweepSummary s = run_sweep(spec, shard, o);
    CHECK(s.in_shard == 4);  // 12 configurations, index % 3
    total += s.ran;
  }
  CHECK(total == 12);
  {
    ResultsStore merged(dir / "merged.db");
    for (int i = 0; i < 3; ++i) {
      const ResultsStore shard(dir / ("shard" + std::to_string(i) + ".db"));
      (void)merged.merge_from(shard);
    }
    // Merging a shard again adds nothing.
    const ResultsStore again(dir / "shard1.db");
    CHECK(merged.merge_from(again).duplicates == 4);
  }
  CHECK(hopsim::test::table_of(dir / "merged.db") == hopsim::test::table_of(dir / "single.db"));

  ResultsStore single(dir / "single.db");
  const SweepSummary rerun = run_sweep(spec, single, SweepOptions{});
  CHECK(rerun.skipped == 12);
  CHECK(rerun.ran == 0);
}

TEST_CASE("a calibrated sweep records its calibration and uses its cost parameters",
          "[planner][sweep]") {
  const auto dir = hopsim::test::scratch_dir("calibrated");
  const SweepSpec spec = load_sweep_spec(hopsim::test::kSweepDir + "tiny-sweep.yaml");
  ResultsStore plain_store(dir / "plain.db");
  (void)run_sweep(spec, plain_store, SweepOptions{});
  // A stand-in calibration (plumbing only, not measured data): every compute class at half the
  // default efficiency, so every feasible step must get slower.
  SweepOptions calibrated;
  calibrated.calibration.hash = "sha256:test";
  calibrated.calibration.cost_for = [](const GpuProfile& gpu) {
    sim::CostParameters p = sim::default_cost_parameters(gpu);
    for (auto& [cls, e] : p.compute_efficiency) e *= 0.5;
    return p;
  };
  ResultsStore cal_store(dir / "cal.db");
  (void)run_sweep(spec, cal_store, calibrated);
  CHECK(cal_store.meta().at("calibration_hash") == "sha256:test");
  const auto plain = plain_store.rows();
  const auto cal = cal_store.rows();
  REQUIRE(plain.size() == cal.size());
  int compared = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    CHECK(cal[i].calibration_hash == "sha256:test");
    if (plain[i].status != "ok") continue;
    REQUIRE(cal[i].key == plain[i].key);
    CHECK(cal[i].step_time_ms > plain[i].step_time_ms);
    ++compared;
  }
  CHECK(compared == 4);
  // Merging databases of different calibrations is refused.
  CHECK_THROWS(plain_store.merge_from(cal_store));
}
