#include "hopsim/profiler/compare/compare.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calibration_samples.hpp"
#include "hopsim/profiler/calibrate/cost_parameters.hpp"
#include "hopsim/profiler/compare/aligned_timeline.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"
#include "scenario_presets.hpp"
#include "trace_test_util.hpp"

using namespace hopsim;
namespace p = hopsim::profiler;
namespace t = hopsim::profiler::test;

namespace {

p::trace::GpuActivity kernel(const char* name, std::int64_t start_us, std::int64_t dur_us,
                             std::int64_t stream, std::int64_t correlation = -1) {
  p::trace::GpuActivity a;
  a.correlation = correlation;
  a.kind = p::trace::ActivityKind::kKernel;
  a.device = 0;
  a.stream = stream;
  a.start = us(start_us);
  a.end = us(start_us + dur_us);
  a.name = name;
  return a;
}

// Two profiler steps whose host ranges last 10 ms and 12 ms. Per step, launched inside the range:
// 3 ms FP8 GEMM, 1 ms attention, 2 ms DeepEP, spanning 0.1..5.2 ms after the step starts. A
// warm-up kernel before the first step belongs to no step. The trace lists 8 devices (as
// deviceProperties does for every GPU of the node); only device 0 has activity.
p::trace::Trace measured_trace() {
  p::trace::CollectingSink sink;
  for (int d = 0; d < 8; ++d) {
    p::trace::DeviceInfo info;
    info.id = d;
    info.name = "NVIDIA H800";
    info.sm_count = 132;
    sink.add_device(info);
  }
  std::int64_t corr = 0;
  auto launch = [&](std::int64_t at_us) {
    sink.add_runtime(t::launch_call(1, us(at_us), us(at_us + 5), ++corr));
    return corr;
  };
  sink.add_activity(kernel("deep_gemm::fp8_gemm_kernel", -5'000, 3'000, 7, launch(-5'100)));
  for (int step = 0; step < 2; ++step) {
    const std::int64_t t0 = step * 20'000;
    sink.add_annotation(t::host_range(step == 0 ? "ProfilerStep#1" : "ProfilerStep#2", 1, us(t0),
                                      us(t0 + (step == 0 ? 10'000 : 12'000))));
    sink.add_activity(kernel("deep_gemm::fp8_gemm_kernel", t0 + 100, 3'000, 7, launch(t0 + 10)));
    sink.add_activity(kernel("flash_fwd_kernel", t0 + 3'200, 1'000, 7, launch(t0 + 20)));
    sink.add_activity(
        kernel("deep_ep::intranode::dispatch", t0 + 3'200, 2'000, 9, launch(t0 + 30)));
  }
  return sink.finish();
}

}  // namespace

TEST_CASE("compare: measured per-class time per step, predicted from the same cost model",
          "[profiler][compare]") {
  const Scenario sc = t::small_v2_lite_scenario();
  const auto t = measured_trace();
  const auto c = p::compare::compare(sc, t, p::classify::KernelClassifier::shipped(), "synthetic");
  CHECK(c.measured_steps == 2);
  auto row = [&](const std::string& k) {
    for (const auto& r : c.classes)
      if (r.what == k) return r;
    FAIL("no row " << k);
    return p::compare::Row{};
  };
  // Hand-computed: what the 2 steps launched, on the 1 device of 8 that ran anything, halved;
  // the warm-up GEMM before the first step is not part of any step.
  CHECK(c.measured_devices == 1);
  CHECK(c.listed_devices == 8);
  CHECK(row("fp8_gemm").measured == ms(3));
  CHECK(row("attention_fwd").measured == ms(1));
  CHECK(row("deepep_dispatch").measured == ms(2));
  // Step: the GPU span of each step's work, 0.1 .. 5.2 ms, not the 10 and 12 ms host ranges.
  CHECK(c.step.measured == us(5'100));
  CHECK(c.host_step == ms(11));
  const auto predicted = sim::predicted_class_times(sc, {}, -1);
  CHECK(row("fp8_gemm").predicted == predicted.at("fp8_gemm"));
  CHECK(row("fp8_gemm").error() ==
        Approx((to_ms(predicted.at("fp8_gemm")) - 3.0) / 3.0).epsilon(1e-9));
  CHECK(c.step.predicted == sim::run_scenario(sc).step_time);
}

TEST_CASE("compare: a single-rank capture of a multi-rank job, against the independent script",
          "[profiler][compare]") {
  // tests/data/traces/compute_expected.py computes per-step GPU spans, NCCL time and the devices
  // with activity from the raw JSON; compare must divide by those devices (1), not by the 8 the
  // trace lists, and measure the step on the GPU.
  const auto expected =
      nlohmann::json::parse(t::read_text(t::data_dir() / "expected_summary.json"));
  const Scenario sc = t::small_v2_lite_scenario();
  for (const std::string name : {"a100-2rank-nccl", "v100-1rank-training"}) {
    SECTION(name) {
      t::TempDir dir;
      (void)p::import::import_trace(t::data_dir() / "kineto" / (name + ".json.gz"),
                                    dir / "t.sqlite");
      const auto trace = p::trace::load_trace(dir / "t.sqlite");
      const auto c = p::compare::compare(sc, trace, p::classify::KernelClassifier::shipped());
      const auto& e = expected.at(name);
      const auto active = static_cast<std::int64_t>(e.at("active_devices").size());
      const auto steps = static_cast<std::int64_t>(e.at("steps").size());
      CHECK(c.measured_devices == active);
      CHECK(c.listed_devices == e.at("listed_devices").get<std::int64_t>());
      CHECK(c.measured_steps == steps);
      double span = 0;
      std::int64_t nccl = 0;
      for (const auto& st : e.at("steps")) {
        span += st.at("gpu_span_ns").get<double>();
        nccl += st.at("nccl_ns").get<std::int64_t>();
      }
      CHECK(c.step.measured.value() == std::llround(span / static_cast<double>(steps)));
      Nanoseconds measured_nccl{0};
      for (const auto& r : c.classes) {
        if (r.what == "nccl_comm") measured_nccl = r.measured;
      }
      CHECK(measured_nccl.value() == nccl / (steps * active));
      auto warned = [&](const std::string& what) {
        for (const auto& w : c.warnings) {
          if (w.find(what) != std::string::npos) return true;
        }
        return false;
      };
      CHECK(warned("lists 8 devices, 1 with GPU activity"));
      CHECK(warned("but the scenario describes"));  // an A100 or V100 trace, an H800 scenario
      if (name == "a100-2rank-nccl") CHECK(warned("had 2 ranks; the scenario has 16 GPUs"));
      // The V100 capture's host step ranges are shorter than the GPU work they launched.
      if (name == "v100-1rank-training") CHECK(warned("shorter than the GPU work"));
    }
  }
}

TEST_CASE("compare: per component through annotations", "[profiler][compare]") {
  // Two steps; in each, kernels launched inside "attn(F)" (1 ms), "mlp(B)" (2 ms, two kernels
  // nested in an outer "layer3" range), "dispatch(F)" (0.5 ms) and "misc" (0.3 ms, no component).
  p::trace::CollectingSink sink;
  std::int64_t corr = 0;
  auto range = [&](const char* name, std::int64_t a, std::int64_t b) {
    sink.add_annotation(t::host_range(name, 1, us(a), us(b)));
  };
  auto launch = [&](const char* kname, std::int64_t at, std::int64_t gpu_at, std::int64_t dur) {
    sink.add_runtime(t::launch_call(1, us(at), us(at + 1), ++corr));
    sink.add_activity(kernel(kname, gpu_at, dur, 7, corr));
  };
  for (int step = 0; step < 2; ++step) {
    const std::int64_t t0 = step * 10'000;
    range(step == 0 ? "ProfilerStep#1" : "ProfilerStep#2", t0, t0 + 9'000);
    range("attn(F)", t0 + 10, t0 + 20);
    launch("flash_fwd_kernel", t0 + 11, t0 + 100, 1'000);
    range("layer3", t0 + 30, t0 + 60);
    range("mlp(B)", t0 + 31, t0 + 50);
    launch("deep_gemm::fp8_gemm_kernel", t0 + 32, t0 + 1'200, 1'500);
    launch("deep_gemm::fp8_gemm_kernel", t0 + 33, t0 + 2'700, 500);
    range("dispatch(F)", t0 + 70, t0 + 80);
    launch("deep_ep::internode::dispatch", t0 + 71, t0 + 1'200, 500);
    range("misc", t0 + 90, t0 + 95);
    launch("vectorized_elementwise_kernel", t0 + 91, t0 + 3'300, 300);
  }
  const auto t = sink.finish();
  const Scenario sc = t::small_v2_lite_scenario();
  const auto map = p::attribute::ComponentMap::shipped();
  const auto c =
      p::compare::compare(sc, t, p::classify::KernelClassifier::shipped(), "annotated", {}, &map);
  const auto predicted = sim::predicted_component_times(sc, {}, -1);
  std::map<std::string, p::compare::Row> rows;
  for (const auto& r : c.components) rows[r.what] = r;
  CHECK(rows.size() == predicted.size());  // every predicted component has a row
  CHECK(rows.at("attention_f").measured == ms(1));
  CHECK(rows.at("mlp_b").measured == ms(2));
  CHECK(rows.at("dispatch_f").measured == us(500));
  CHECK(rows.at("mlp_f").measured == Nanoseconds(0));
  for (const auto& [k, v] : predicted) CHECK(rows.at(k).predicted == v);
  bool warned = false;
  for (const auto& w : c.warnings) {
    warned = warned || w.find("1 annotation name maps to no component") != std::string::npos;
  }
  CHECK(warned);
  // For one pipeline rank: that rank's predicted work (small_scenario has PP 2).
  const auto c1 = p::compare::compare(sc, t, p::classify::KernelClassifier::shipped(), "annotated",
                                      {}, &map, 1);
  for (const auto& r : c1.components) {
    CHECK(r.predicted == sim::predicted_component_times(sc, {}, 1).at(r.what));
  }
  CHECK_THROWS_WITH(
      p::compare::compare(sc, t, p::classify::KernelClassifier::shipped(), "", {}, &map, 2),
      Catch::Contains("pipeline ranks 0..1"));
  // Without a map there is no component table.
  CHECK(p::compare::compare(sc, t, p::classify::KernelClassifier::shipped()).components.empty());
}

TEST_CASE("compare: the combined trace holds both timelines", "[profiler][compare]") {
  const Scenario sc = t::small_v2_lite_scenario();
  const auto t = measured_trace();
  std::ostringstream out;
  p::compare::write_combined_trace(out, sc, t);
  const auto doc = nlohmann::json::parse(out.str());
  int predicted = 0, measured = 0;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.value("ph", "") != "X") continue;
    (e.value("pid", 0) >= 10000 ? measured : predicted)++;
  }
  CHECK(measured == 7);  // the warm-up kernel and 3 per step
  CHECK(predicted > 0);
}

TEST_CASE("calibration: fitted curves replace the uncalibrated compute terms",
          "[profiler][calibrate]") {
  // Plumbing test with made-up curve parameters (not measurement data): a GEMM of W FLOPs on s SMs
  // must then take W / (rate_max (s/S)^alpha (1 - exp(-W/work0))).
  p::calibrate::Calibration cal;
  cal.device = "test device";
  cal.sm_count = 132;
  cal.classes.push_back(
      t::class_curve("gemm_fp8", p::calibrate::WorkBasis::kFlops, 1.0e15, 1.0, 1.0e9));
  const GpuProfile gpu = test::h800_gpu();
  const auto params = p::calibrate::cost_parameters_from(cal, gpu, "test.yaml");
  const sim::CostModel m(gpu, params);
  sim::KernelShape k{
      sim::KernelClass::kGemmFp8, Flops(2.0 * 4096 * 7168 * 2048), Bytes(0), 4096, 7168, 2048, 1};
  const double w = k.flops.value();
  const double rate = 1.0e15 * (112.0 / 132.0) * (1.0 - std::exp(-w / 1.0e9));
  CHECK(m.cost(k, 112).compute_time == from_seconds_ceil(w / rate));
  // Classes the calibration lacks keep their defaults.
  CHECK(params.measured.count(sim::KernelClass::kAttentionFwd) == 0);
  CHECK(params.source.find("test.yaml") != std::string::npos);
}

TEST_CASE("calibration: cost_model_classes puts the cuBLAS curve in place of hopsim's GEMM",
          "[profiler][calibrate]") {
  // Made-up curves (not measurements): with the mapping, kGemmFp8 follows cublaslt_gemm_fp8's
  // curve and the unmapped classes (hopsim's own gemm_fp8, attention) keep their defaults.
  p::calibrate::Calibration cal;
  cal.device = "test device";
  cal.sm_count = 132;
  for (const auto& [name, rate] : {std::pair<const char*, double>{"gemm_fp8", 1.0e14},
                                   {"cublaslt_gemm_fp8", 1.5e15},
                                   {"attention_fwd", 2.0e14}}) {
    cal.classes.push_back(t::class_curve(name, p::calibrate::WorkBasis::kFlops, rate, 1.0, 1.0e9));
  }
  cal.cost_model_classes["gemm_fp8"] = "cublaslt_gemm_fp8";
  const GpuProfile gpu = test::h800_gpu();
  const auto params = p::calibrate::cost_parameters_from(cal, gpu, "vendor.yaml");
  REQUIRE(params.measured.count(sim::KernelClass::kGemmFp8) == 1);
  CHECK(params.measured.at(sim::KernelClass::kGemmFp8).rate_max == 1.5e15);
  CHECK(params.measured.count(sim::KernelClass::kAttentionFwd) == 0);
  CHECK(params.source.find("gemm_fp8 <- cublaslt_gemm_fp8") != std::string::npos);
  // A memory-bound kind follows its measured curve: an RMSNorm moving B bytes on s SMs takes
  // B / (rate_max (s/S)^alpha (1 - exp(-B/work0))) plus the launch cost (hand derivation).
  cal.classes.push_back(
      t::class_curve("rmsnorm", p::calibrate::WorkBasis::kBytes, 2.0e12, 0.5, 1.0e7));
  cal.cost_model_classes["norm"] = "rmsnorm";
  const auto with_norm = p::calibrate::cost_parameters_from(cal, gpu, "vendor.yaml");
  REQUIRE(with_norm.measured_memory.count(sim::MemoryKind::kNorm) == 1);
  CHECK(with_norm.measured_memory.count(sim::MemoryKind::kElementwise) == 0);
  const sim::CostModel nm(gpu, with_norm);
  sim::KernelShape nk;
  nk.cls = sim::KernelClass::kMemoryBound;
  nk.memory = sim::MemoryKind::kNorm;
  nk.bytes = Bytes(4.0e7);
  const double bw = 2.0e12 * std::sqrt(66.0 / 132.0) * (1.0 - std::exp(-4.0));
  CHECK(nm.cost(nk, 66).memory_time == from_seconds_ceil(4.0e7 / bw));
  // An elementwise kernel, which the file does not rate, keeps the HBM model.
  nk.memory = sim::MemoryKind::kElementwise;
  CHECK(nm.cost(nk, 66).memory_time ==
        sim::CostModel(gpu, sim::default_cost_parameters(gpu)).cost(nk, 66).memory_time);
  cal.cost_model_classes.erase("norm");
  // Without the mapping each class stands for itself.
  cal.cost_model_classes.clear();
  const auto own = p::calibrate::cost_parameters_from(cal, gpu, "own.yaml");
  CHECK(own.measured.at(sim::KernelClass::kGemmFp8).rate_max == 1.0e14);
  CHECK(own.measured.at(sim::KernelClass::kAttentionFwd).rate_max == 2.0e14);
}

TEST_CASE("compare: kernel classes grouped by the kind of work they do", "[profiler][compare]") {
  // Hand-written expectations for every class the shipped rules produce and the prediction's.
  const auto classifier = p::classify::KernelClassifier::shipped();
  const std::pair<const char*, const char*> cases[] = {{"fp8_gemm", "gemm"},
                                                       {"bf16_gemm", "gemm"},
                                                       {"grouped_gemm", "gemm"},
                                                       {"wgrad_gemm", "gemm"},
                                                       {"other_gemm", "gemm"},
                                                       {"conv", "gemm"},
                                                       {"attention_fwd", "attention"},
                                                       {"attention_bwd", "attention"},
                                                       {"elementwise", "memory_bound"},
                                                       {"norm", "memory_bound"},
                                                       {"fp8_cast", "memory_bound"},
                                                       {"transpose", "memory_bound"},
                                                       {"moe_routing", "memory_bound"},
                                                       {"moe_permute", "memory_bound"},
                                                       {"moe_unpermute", "memory_bound"},
                                                       {"optimizer", "memory_bound"},
                                                       {"deepep_layout", "communication"},
                                                       {"deepep_notify", "communication"},
                                                       {"deepep_dispatch", "communication"},
                                                       {"deepep_combine", "communication"},
                                                       {"nccl_comm", "communication"},
                                                       {"memcpy", "copy_and_other"},
                                                       {"memset", "copy_and_other"},
                                                       {"other", "copy_and_other"}};
  for (const auto& [klass, group] : cases) {
    INFO(klass);
    CHECK(p::compare::kernel_group(klass, classifier) == group);
  }
}

TEST_CASE("compare's text: names from rule files are escaped and any length fits the column",
          "[compare]") {
  // A component name longer than every class name used to make the padding width negative
  // (a size_t underflow: a multi-exabyte string); a control character reached the terminal raw.
  hopsim::profiler::compare::Comparison c;
  c.scenario = "s";
  c.classes.push_back({"gemm", hopsim::Nanoseconds(1000000), hopsim::Nanoseconds(1000000)});
  const std::string long_name = "attention_forward_with_a_very_long_annotation_name\x1b[31m";
  c.components.push_back({long_name, hopsim::Nanoseconds(2000000), hopsim::Nanoseconds(1000000)});
  std::ostringstream out;
  hopsim::profiler::compare::print_text(out, c);
  const std::string text = out.str();
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("attention_forward_with_a_very_long_annotation_name\\x1B[31m") !=
        std::string::npos);
  CHECK(text.size() < 4000);
}

TEST_CASE("compare: aligned rows put a measured step and a predicted rank at time 0",
          "[profiler][compare]") {
  const Scenario sc = t::small_v2_lite_scenario();
  const auto trace = measured_trace();
  sim::RunOptions o;
  o.collect_timeline = true;
  const sim::SimResult r = sim::run_scenario(sc, o);
  const auto& classes = p::classify::KernelClassifier::shipped();
  // The first step's GPU window, hand-derived from the fixture: its GEMM starts 0.1 ms into the
  // step and its DeepEP dispatch ends at 5.2 ms; the warm-up GEMM and step 2 lie outside.
  const auto w = p::compare::measured_window(trace, classes);
  CHECK(w.start == us(100));
  CHECK(w.end == us(5'200));
  CHECK(w.what == "ProfilerStep#1 (first step with GPU work)");
  CHECK(p::compare::measured_origin(trace) == us(-5'000));  // the whole trace's time 0
  const auto rows = p::compare::aligned_rows(trace, classes, r, /*rank=*/0);
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0].label == "measured: device 0 stream 7");
  CHECK(rows[1].label == "measured: device 0 stream 9");
  REQUIRE(rows[0].bars.size() == 2);
  CHECK(rows[0].bars[0].start == us(0));
  CHECK(rows[0].bars[0].end == us(3'000));
  CHECK(rows[0].bars[1].start == us(3'100));
  CHECK(rows[0].bars[1].name == "flash_fwd_kernel");
  CHECK(rows[0].bars[1].kind == p::compare::BarKind::kCompute);
  REQUIRE(rows[1].bars.size() == 1);
  CHECK(rows[1].bars[0].start == us(3'100));
  CHECK(rows[1].bars[0].end == us(5'100));
  CHECK(rows[1].bars[0].kind == p::compare::BarKind::kCommunication);
  // Then rank 0's predicted lanes: every one of its sub-ops, once, in start order.
  std::size_t predicted_bars = 0, rank0_slices = 0;
  for (const auto& s : r.timeline) rank0_slices += s.rank == 0 ? 1 : 0;
  for (std::size_t i = 2; i < rows.size(); ++i) {
    CHECK_FALSE(rows[i].measured);
    CHECK(rows[i].label.rfind("predicted: rank 0 ", 0) == 0);
    for (std::size_t b = 1; b < rows[i].bars.size(); ++b)
      CHECK(rows[i].bars[b - 1].start <= rows[i].bars[b].start);
    predicted_bars += rows[i].bars.size();
  }
  CHECK(rank0_slices > 0);
  CHECK(predicted_bars == rank0_slices);
  // A rank the prediction does not have: the measured rows alone.
  CHECK(p::compare::aligned_rows(trace, classes, r, 99).size() == 2);
}
