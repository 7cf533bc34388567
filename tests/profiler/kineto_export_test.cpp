// hopsim's Kineto export read back as a user's trace: every kernel the model runs must land in
// the class the model predicts it in, and the DeepEP stream must read as communication. The
// oracle is the prediction itself (predicted_class_times): this holds the export and the shipped
// classifier to each other, not the cost model to the hardware.

#include "hopsim/profiler/export/kineto_export.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "hopsim/profiler/compare/compare.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/summary/summary.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "scenario_presets.hpp"
#include "trace_test_util.hpp"

using namespace hopsim;
namespace p = hopsim::profiler;
namespace t = hopsim::profiler::test;

TEST_CASE("an exported step is classified class by class as the model predicts it",
          "[profiler][export]") {
  Scenario sc = t::small_v2_lite_scenario();
  sc.plan.schedule = GENERATE(ScheduleKind::k1F1B, ScheduleKind::kDualPipe);
  sim::RunOptions o;
  o.collect_timeline = true;
  // Without launch gaps too: DeepEP's layout kernel must still be its own kernel.
  o.cost = sim::default_cost_parameters(sc.cluster.gpu);
  o.cost->launch_overhead = Nanoseconds(GENERATE(2'000, 0));
  const sim::SimResult run = sim::run_scenario(sc, o);
  const int rank = GENERATE(0, 1);
  INFO("schedule " << to_string(sc.plan.schedule) << ", pipeline rank " << rank
                   << ", launch overhead " << o.cost->launch_overhead.value() << " ns");

  t::TempDir dir;
  {
    std::ofstream f(dir / "step.json");
    p::exporter::write_kineto(f, sc, run, rank);
  }
  (void)p::import::import_trace(dir / "step.json", dir / "step.sqlite");
  const auto trace = p::trace::load_trace(dir / "step.sqlite");
  const auto& classifier = p::classify::KernelClassifier::shipped();

  // No kernel is left unclassified, and the classes are exactly the predicted ones (the
  // optimizer and the DP reduce-scatter are not exported: the export is the pipeline's step).
  const auto summary = p::summary::summarize(trace, classifier);
  CHECK(summary.unknown_kernels.empty());
  std::set<std::string> measured;
  for (const auto& k : summary.classes) measured.insert(k.klass);
  const auto predicted = sim::predicted_class_times(sc, o, rank);
  std::set<std::string> expected;
  for (const auto& [cls, time] : predicted) {
    if (time.value() > 0 && cls != sim::kLaunchGaps && cls != "optimizer") expected.insert(cls);
  }
  CHECK(measured == expected);

  // The DeepEP kernels' stream reads as communication, the compute kernels' as compute.
  int comm_streams = 0;
  for (const auto& s : summary.streams) {
    INFO("stream " << s.stream);
    CHECK(s.role == (s.stream == 20 ? p::summary::StreamRole::kCommunication
                                    : p::summary::StreamRole::kCompute));
    comm_streams += s.role == p::summary::StreamRole::kCommunication ? 1 : 0;
  }
  CHECK(comm_streams == 1);

  // Class by class the exported time is the predicted time. What may differ is what the step
  // engine adds to the analytical times: HBM interference while a payload runs (compute) and
  // ports shared with the other payloads and PP sends (DeepEP); a few percent here.
  const auto c = p::compare::compare(sc, trace, classifier, "step.json", o, nullptr, rank);
  for (const auto& row : c.classes) {
    // The measured launch gaps are those of kernels that waited in the queue; the first kernel
    // of a sub-op that starts after its stream idled (1F1B waits for each all-to-all) did not.
    if (row.what == "optimizer" || row.what == sim::kLaunchGaps) continue;
    INFO(row.what << ": predicted " << row.predicted.value() << " ns, exported "
                  << row.measured.value() << " ns");
    CHECK(std::abs(row.error()) < 0.03);
  }
}

// Full mode with routing variation stretches a busy rank's routed experts, and only those: the
// export must give the extra time to the routed kernels, not spread it over the shared expert
// and the router that run in the same slice. Oracle: the same step without variation, where
// every kernel runs its modelled time; a non-routed kernel must keep that time exactly (up to
// integer rounding), a routed one must follow the rank's load.
TEST_CASE("an exported step gives routing variation's extra time to the routed kernels only",
          "[profiler][export]") {
  Scenario sc = t::small_v2_lite_scenario();
  sim::RunOptions o;
  o.mode = sim::SimMode::kFull;
  o.collect_timeline = true;
  o.cost = sim::default_cost_parameters(sc.cluster.gpu);
  o.cost->comm_hbm_bytes_per_wire_byte = 0;  // no HBM interference: slices run their own time
  // Kernel runs by exported op ("L1.mlp/shared_gate_up"), for the MLP slices of rank 0.
  const auto runs = [&](double routing_cv) {
    sc.plan.variation.routing_cv = routing_cv;
    const sim::SimResult run = sim::run_scenario(sc, o);
    std::ostringstream text;
    p::exporter::write_kineto(text, sc, run, 0);
    std::map<std::string, std::vector<double>> out;  // ns
    const nlohmann::json doc = nlohmann::json::parse(text.str());
    for (const auto& e : doc["traceEvents"]) {
      if (e["cat"] != "kernel" || !e.contains("args") || !e["args"].contains("hopsim_op")) continue;
      const std::string op = e["args"]["hopsim_op"];
      if (op.find(".mlp") == std::string::npos) continue;
      out[op].push_back(std::round(e["dur"].get<double>() * 1000.0));
    }
    return out;
  };
  const auto balanced = runs(0.0);
  const auto varied = runs(0.2);
  REQUIRE(balanced.size() == varied.size());
  int routed_ops = 0, other_ops = 0;
  for (const auto& [op, durations] : varied) {
    INFO(op);
    REQUIRE(balanced.count(op) == 1);
    const auto& base = balanced.at(op);
    const auto [lo, hi] = std::minmax_element(durations.begin(), durations.end());
    const auto [blo, bhi] = std::minmax_element(base.begin(), base.end());
    CHECK(*bhi - *blo <= 2);  // without variation every micro-batch runs the same kernels
    if (op.find("/experts_") != std::string::npos) {
      ++routed_ops;
      // Loads of CV 0.2 over 8 ranks and 8 micro-batches: some well above, some well below 1.
      CHECK(*hi > *bhi * 1.1);
      CHECK(*lo < *blo * 0.9);
    } else {
      ++other_ops;
      CHECK(*lo >= *blo - 2);
      CHECK(*hi <= *bhi + 2);
    }
  }
  CHECK(routed_ops >= 4);  // permute, gate/up, SwiGLU, down (and casts) in F, B, W
  CHECK(other_ops >= 4);   // router, top-k, shared expert, combine sum, residual
}
