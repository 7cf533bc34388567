#include "hopsim/profiler/compare/compare.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../core/model_presets.hpp"
#include "../sim/cluster_presets.hpp"
#include "hopsim/profiler/calibrate/cost_parameters.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

using namespace hopsim;
namespace p = hopsim::profiler;

namespace {

// A small DeepSeek-V2-Lite plan on 2 nodes, fast to simulate.
Scenario small_scenario() {
  Scenario s;
  s.name = "v2-lite-16";
  s.cluster = test::h800_cluster(2);
  s.model = test::deepseek_v2_lite();
  s.plan.pp = 2;
  s.plan.dp = 8;
  s.plan.ep = 8;
  s.plan.micro_batches = 8;
  s.plan.seq_len = 4096;
  s.plan.schedule = ScheduleKind::k1F1B;
  s.plan.comm_sms = 20;
  s.plan.gemm_precision = Precision::kFp8;
  return s;
}

p::trace::GpuActivity kernel(const char* name, std::int64_t start_us, std::int64_t dur_us,
                             std::int64_t stream) {
  p::trace::GpuActivity a;
  a.kind = p::trace::ActivityKind::kKernel;
  a.device = 0;
  a.stream = stream;
  a.start = us(start_us);
  a.end = us(start_us + dur_us);
  a.name = name;
  return a;
}

// Two profiler steps of 10 ms and 12 ms. Per step: 3 ms FP8 GEMM, 1 ms attention, 2 ms DeepEP.
p::trace::Trace measured_trace() {
  p::trace::CollectingSink sink;
  for (int step = 0; step < 2; ++step) {
    const std::int64_t t0 = step * 20'000;
    p::trace::Annotation a;
    a.name = step == 0 ? "ProfilerStep#1" : "ProfilerStep#2";
    a.start = us(t0);
    a.end = us(t0 + (step == 0 ? 10'000 : 12'000));
    sink.add_annotation(a);
    sink.add_activity(kernel("deep_gemm::fp8_gemm_kernel", t0 + 100, 3'000, 7));
    sink.add_activity(kernel("flash_fwd_kernel", t0 + 3'200, 1'000, 7));
    sink.add_activity(kernel("deep_ep::intranode::dispatch", t0 + 3'200, 2'000, 9));
  }
  return sink.finish();
}

}  // namespace

TEST_CASE("compare: measured per-class time per step, predicted from the same cost model",
          "[profiler][compare]") {
  const Scenario sc = small_scenario();
  const auto t = measured_trace();
  const auto c = p::compare::compare(sc, t, p::classify::KernelClassifier::shipped(), "synthetic");
  CHECK(c.measured_steps == 2);
  auto row = [&](const std::string& k) {
    for (const auto& r : c.classes)
      if (r.what == k) return r;
    FAIL("no row " << k);
    return p::compare::Row{};
  };
  // Hand-computed: totals over 2 steps on 1 device, halved.
  CHECK(row("fp8_gemm").measured == ms(3));
  CHECK(row("attention_fwd").measured == ms(1));
  CHECK(row("deepep_dispatch").measured == ms(2));
  // Step: mean of 10 ms and 12 ms.
  CHECK(c.step.measured == ms(11));
  const auto predicted = sim::predicted_class_times(sc, {}, -1);
  CHECK(row("fp8_gemm").predicted == predicted.at("fp8_gemm"));
  CHECK(row("fp8_gemm").error() ==
        Approx((to_ms(predicted.at("fp8_gemm")) - 3.0) / 3.0).epsilon(1e-9));
  CHECK(c.step.predicted == sim::run_scenario(sc).step_time);
}

TEST_CASE("compare: the combined trace holds both timelines", "[profiler][compare]") {
  const Scenario sc = small_scenario();
  const auto t = measured_trace();
  std::ostringstream out;
  p::compare::write_combined_trace(out, sc, t);
  const auto doc = nlohmann::json::parse(out.str());
  int predicted = 0, measured = 0;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.value("ph", "") != "X") continue;
    (e.value("pid", 0) >= 10000 ? measured : predicted)++;
  }
  CHECK(measured == 6);
  CHECK(predicted > 0);
}

TEST_CASE("calibration: fitted curves replace the uncalibrated compute terms",
          "[profiler][calibrate]") {
  // Plumbing test with made-up curve parameters (not measurement data): a GEMM of W FLOPs on s SMs
  // must then take W / (rate_max (s/S)^alpha (1 - exp(-W/work0))).
  p::calibrate::Calibration cal;
  cal.device = "test device";
  cal.sm_count = 132;
  p::calibrate::ClassCurve cc;
  cc.kernel_class = "gemm_fp8";
  cc.rate_max = 1.0e15;
  cc.sm_exponent = 1.0;
  cc.work0 = 1.0e9;
  cal.classes.push_back(cc);
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
