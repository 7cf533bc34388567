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

namespace {

// The compute stream's kernels of an exported rank 0, in time order: op ("L1.mlp/router"),
// kernel name, start and duration in ns.
struct Kernel {
  std::string op, name;
  double start = 0, dur = 0;
};
std::vector<Kernel> exported_compute_kernels(const Scenario& sc, const sim::RunOptions& o) {
  const sim::SimResult run = sim::run_scenario(sc, o);
  std::ostringstream text;
  p::exporter::write_kineto(text, sc, run, 0);
  const nlohmann::json doc = nlohmann::json::parse(text.str());
  std::vector<Kernel> out;
  for (const auto& e : doc["traceEvents"]) {
    if (e["cat"] != "kernel" || !e["args"].contains("hopsim_op") || e["args"]["stream"] != 7)
      continue;
    out.push_back({e["args"]["hopsim_op"], e["name"], std::round(e["ts"].get<double>() * 1000.0),
                   std::round(e["dur"].get<double>() * 1000.0)});
  }
  std::sort(out.begin(), out.end(),
            [](const Kernel& a, const Kernel& b) { return a.start < b.start; });
  return out;
}

// GEMMs and attention are compute-bound in the model; the rest (norms, casts, permutes,
// elementwise, routing) is what HBM interference slows.
bool compute_bound(const Kernel& k) {
  return k.name.find("gemm") != std::string::npos || k.name.find("flash") != std::string::npos;
}

// Full mode without HBM interference: each slice runs its own kernels' time, stretched only by
// the variation a test turns on.
sim::RunOptions full_mode_alone(const Scenario& sc) {
  sim::RunOptions o;
  o.mode = sim::SimMode::kFull;
  o.collect_timeline = true;
  o.cost = sim::default_cost_parameters(sc.cluster.gpu);
  o.cost->comm_hbm_bytes_per_wire_byte = 0;
  return o;
}

}  // namespace

// Full mode with routing variation stretches a busy rank's routed experts, and only those: the
// export must give the extra time to the routed kernels, not spread it over the shared expert
// and the router that run in the same slice. Oracle: the same step without variation, where
// every kernel runs its modelled time; a non-routed kernel must keep that time exactly (up to
// integer rounding), a routed one must follow the rank's load.
TEST_CASE("an exported step gives routing variation's extra time to the routed kernels only",
          "[profiler][export]") {
  Scenario sc = t::small_v2_lite_scenario();
  const sim::RunOptions o = full_mode_alone(sc);
  // Kernel runs by exported op ("L1.mlp/shared_gate_up"), for the MLP slices of rank 0.
  const auto runs = [&](double routing_cv) {
    sc.plan.variation.routing_cv = routing_cv;
    std::map<std::string, std::vector<double>> out;  // ns
    for (const auto& k : exported_compute_kernels(sc, o)) {
      if (k.op.find(".mlp") != std::string::npos) out[k.op].push_back(k.dur);
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

// HBM interference (a payload running beside a compute sub-op) slows the memory-bound kernels in
// the model, so the export must give them the extra time. Oracle: the same step without
// interference, where every GEMM and attention kernel already ran its modelled time.
TEST_CASE("an exported step gives HBM interference to the memory-bound kernels only",
          "[profiler][export]") {
  Scenario sc = t::small_v2_lite_scenario();
  sc.plan.schedule = ScheduleKind::kDualPipe;  // compute beside payloads (1F1B waits for them)
  sim::RunOptions o;
  o.collect_timeline = true;
  o.cost = sim::default_cost_parameters(sc.cluster.gpu);
  REQUIRE(o.cost->comm_hbm_bytes_per_wire_byte > 0);
  const auto with = exported_compute_kernels(sc, o);
  o.cost->comm_hbm_bytes_per_wire_byte = 0;
  const auto without = exported_compute_kernels(sc, o);
  std::map<std::string, std::pair<double, double>> alone;  // op: shortest, longest
  for (const auto& k : without) {
    auto [it, fresh] = alone.try_emplace(k.op, k.dur, k.dur);
    it->second = {std::min(it->second.first, k.dur), std::max(it->second.second, k.dur)};
  }
  int gemms = 0, slowed = 0;
  for (const auto& k : with) {
    INFO(k.op << " " << k.name << " " << k.dur << " ns");
    REQUIRE(alone.count(k.op) == 1);
    const auto [lo, hi] = alone.at(k.op);
    if (compute_bound(k)) {
      ++gemms;
      CHECK(k.dur >= lo - 2);
      CHECK(k.dur <= hi + 2);
    } else {
      CHECK(k.dur >= lo - 2);
      slowed += k.dur > hi + 2 ? 1 : 0;
    }
  }
  CHECK(gemms > 100);
  CHECK(slowed > 0);  // some memory-bound kernels ran beside a payload
}

// Kernel-time variation stretches a sub-op's launch gaps with its kernels (the engine scales the
// whole sub-op): between two kernels of one sub-op the export must leave the launch overhead
// times the sub-op's factor, estimated here from its kernels against the same step without
// variation.
TEST_CASE("an exported step scales the launch gaps with kernel-time variation",
          "[profiler][export]") {
  Scenario sc = t::small_v2_lite_scenario();
  sim::RunOptions o = full_mode_alone(sc);
  constexpr double kLaunch = 20'000;  // large, so a gap left unscaled shows
  o.cost->launch_overhead = Nanoseconds(static_cast<std::int64_t>(kLaunch));
  std::map<std::string, double> base;  // op: kernel duration without variation
  for (const auto& k : exported_compute_kernels(sc, o)) base[k.op] = k.dur;
  sc.plan.variation.kernel_time_cv = 0.2;
  const auto varied = exported_compute_kernels(sc, o);
  // Slices: runs of kernels of one sub-op ("L1.mlp" of "L1.mlp/router").
  const auto sub_op = [](const Kernel& k) { return k.op.substr(0, k.op.find('/')); };
  int checked = 0, stretched = 0;
  for (std::size_t a = 0; a < varied.size();) {
    std::size_t b = a + 1;
    while (b < varied.size() && sub_op(varied[b]) == sub_op(varied[a])) ++b;
    double ran = 0, modelled = 0;
    for (std::size_t i = a; i < b; ++i) {
      REQUIRE(base.count(varied[i].op) == 1);
      ran += varied[i].dur;
      modelled += base.at(varied[i].op);
    }
    const double k = ran / modelled;
    stretched += std::abs(k - 1.0) > 0.05 ? 1 : 0;
    for (std::size_t i = a + 1; i < b; ++i) {
      const double gap = varied[i].start - (varied[i - 1].start + varied[i - 1].dur);
      INFO(varied[i].op << ": gap " << gap << " ns, factor " << k);
      CHECK(std::abs(gap - kLaunch * k) <= 0.002 * kLaunch);
      ++checked;
    }
    a = b;
  }
  CHECK(checked > 100);
  CHECK(stretched > 10);
}
