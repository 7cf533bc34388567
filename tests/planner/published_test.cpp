#include "hopsim/planner/published.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/runner/runner.hpp"

using namespace hopsim;
using namespace hopsim::planner;

namespace {

const std::string kMegatron =
    std::string(HOPSIM_SOURCE_DIR) + "/scenarios/validation/deepseek-v3-h100-megatron.yaml";

}  // namespace

// The figures below are typed from their sources, independently of planner/src/published.cpp:
// DeepSeek-V3 report (arXiv 2412.19437) §1 and Table 1, "180K H800 GPU hours" per trillion
// tokens; NVIDIA-NeMo/Megatron-Bridge docs/performance-summary-archive.md @0a25f911, DGX-H100,
// "DeepSeekV3 (dropless)", 1297 tokens/s per GPU.
TEST_CASE("published runs: the shipped scenarios of each run are recognised, with their figures",
          "[planner][published]") {
  const PublishedRun* deepseek = published_run_of(load_scenario_spec("deepseek-v3-h800"));
  REQUIRE(deepseek != nullptr);
  CHECK(deepseek->metric == PublishedMetric::kGpuHoursPerTrillion);
  CHECK(deepseek->value == 180000.0);
  CHECK(deepseek->who == "DeepSeek");

  const PublishedRun* nvidia = published_run_of(load_scenario(kMegatron));
  REQUIRE(nvidia != nullptr);
  CHECK(nvidia->metric == PublishedMetric::kTokensPerSecondPerGpu);
  CHECK(nvidia->value == 1297.0);
  CHECK(nvidia->who == "NVIDIA");
  CHECK(published_runs().size() == 2);
}

TEST_CASE("published runs: another plan, GPU or model is no published run, and says how it differs",
          "[planner][published]") {
  // The what-if's counterpart: DeepSeek's plan on H100 nodes (scenarios/deepseek-v3-h100.yaml).
  const Scenario h100 = load_scenario_spec("deepseek-v3-h100");
  CHECK(published_run_of(h100) == nullptr);
  REQUIRE(nearest_published_run(h100) != nullptr);
  CHECK(nearest_published_run(h100)->who == "DeepSeek");
  const auto d = plan_differences(*nearest_published_run(h100), h100);
  // The H100's NVLink: 900 GB/s bidirectional against the H800's 400 (DeepSeek-V3 §3.2.2 and
  // NVIDIA's datasheets), one of the figures that differ.
  CHECK(std::find(d.begin(), d.end(), "gpu.nvlink_bidirectional 9e+11 (published 4e+11)") !=
        d.end());

  // One key changed: exactly that key is named, with both values.
  Scenario no_sms = load_scenario_spec("deepseek-v3-h800");
  no_sms.plan.comm_sms = 0;
  CHECK(published_run_of(no_sms) == nullptr);
  CHECK(plan_differences(*nearest_published_run(no_sms), no_sms) ==
        std::vector<std::string>{"plan.comm_sms 0 (published 20)"});

  // NVIDIA's plan on a GPU with the H800's NVLink, whatever its profile is called: no error.
  Scenario megatron_h800 = load_scenario(kMegatron);
  megatron_h800.cluster.gpu.nvlink_bidirectional = BytesPerSecond(400e9);
  CHECK(published_run_of(megatron_h800) == nullptr);
  CHECK(nearest_published_run(megatron_h800)->who == "NVIDIA");

  // How a run is modelled is not what ran: variation leaves it the published run.
  Scenario varied = load_scenario(kMegatron);
  varied.plan.variation.kernel_time_cv = 0.02;
  CHECK(published_run_of(varied) != nullptr);

  // A model nobody published a run of: nothing to say.
  Scenario other = load_scenario_spec("deepseek-v3-h800");
  other.model.name = "tiny-moe";
  CHECK(nearest_published_run(other) == nullptr);
  CHECK(published_sentence(other, sim::SimResult{}).empty());
  CHECK(published_json(other, sim::SimResult{}).is_null());
}

TEST_CASE("published runs: the error is the prediction of the figure's own quantity over it",
          "[planner][published]") {
  // By hand: 162,000 GPU-hours against 180,000 is -10%; 1,426.7 tokens/s against 1,297 is +10%.
  sim::SimResult r;
  r.gpu_hours_per_trillion = 162000;
  r.tokens_per_second_per_gpu = 1426.7;
  r.effective_training_time = 0.98;
  const Scenario deepseek = load_scenario_spec("deepseek-v3-h800");
  const Scenario nvidia = load_scenario(kMegatron);
  CHECK(relative_error(*published_run_of(deepseek), r) == Approx(-0.10));
  CHECK(relative_error(*published_run_of(nvidia), r) == Approx(0.10));

  const std::string said = published_sentence(deepseek, r);
  CHECK_THAT(said, Catch::StartsWith("DeepSeek measured 180,000 GPU-hours per 10^12 tokens"));
  CHECK_THAT(said, Catch::Contains("predicted 162,000 (of wall clock, 98.0% of which trains): "
                                   "-10.0%"));
  CHECK_THAT(published_sentence(nvidia, r), Catch::Contains("predicted 1,427: +10.0%"));
  const auto j = published_json(nvidia, r);
  CHECK(j.at("metric") == "tokens_per_second_per_gpu");
  CHECK(j.at("value").get<double>() == 1297.0);
  CHECK(j.at("relative_error").get<double>() == Approx(0.10));

  // Without a match the sentence says why, naming the nearest run and each difference.
  Scenario pp8 = load_scenario_spec("deepseek-v3-h800");
  pp8.plan.pp = 8;
  pp8.plan.dp = 256;
  CHECK(published_sentence(pp8, r) ==
        "none for this plan: DeepSeek's 180,000 GPU-hours per 10^12 tokens are of DeepSeek-V3 "
        "pre-training on 2048 H800, whose plan this one changes: plan.pp 8 (published 16), "
        "plan.dp 256 (published 128).");
}

TEST_CASE("published runs: any setting of hardware, model or plan changed is another run",
          "[planner][published]") {
  // Each edit below changes what ran (the sources state every one of them: DeepSeek-V3 §3.2-§3.3
  // for node limit, ZeRO-1, recompute and BF16 moments; the Megatron-Bridge recipe for the
  // layout, MBS 1 and the unoverlapped gradient reduce-scatter), so neither run may be matched.
  using Edit = std::function<void(Scenario&)>;
  const std::vector<std::pair<const char*, Edit>> edits = {
      {"plan.node_limit", [](Scenario& s) { s.plan.node_limit = 0; }},
      {"plan.zero_stage", [](Scenario& s) { s.plan.zero_stage = 2; }},
      {"plan.recompute", [](Scenario& s) { s.plan.recompute.full = true; }},
      {"plan.optimizer", [](Scenario& s) { s.plan.optimizer.moments = StateDtype::kFp32; }},
      {"plan.micro_batch_size", [](Scenario& s) { s.plan.micro_batch_size = 2; }},
      {"plan.overlap_grad_reduce",
       [](Scenario& s) { s.plan.overlap_grad_reduce = !s.plan.overlap_grad_reduce; }},
      {"plan.layers_per_stage", [](Scenario& s) { s.plan.layers_per_stage = {}; }},
      {"plan.ep", [](Scenario& s) { s.plan.ep = 32; }},
      {"plan.tp", [](Scenario& s) { s.plan.tp = 4; }},
      {"plan.schedule", [](Scenario& s) { s.plan.schedule = ScheduleKind::kZbH1; }},
      {"plan.virtual_stages", [](Scenario& s) { s.plan.virtual_stages = 2; }},
      {"plan.fb_overlap", [](Scenario& s) { s.plan.fb_overlap = !s.plan.fb_overlap; }},
      {"plan.seq_len", [](Scenario& s) { s.plan.seq_len = 8192; }},
      {"plan.gemm_precision", [](Scenario& s) { s.plan.gemm_precision = Precision::kBf16; }},
      {"gpu.hbm_bandwidth",
       [](Scenario& s) { s.cluster.gpu.hbm_bandwidth = BytesPerSecond(4.8e12); }},
      {"node.nic_unidirectional",
       [](Scenario& s) { s.cluster.node.nic_unidirectional = BytesPerSecond(25e9); }},
      {"nodes", [](Scenario& s) { s.cluster.num_nodes /= 2; }},
      {"model.n_layers", [](Scenario& s) { s.model.n_layers = 60; }},
  };
  for (const Scenario& base : {load_scenario_spec("deepseek-v3-h800"), load_scenario(kMegatron)}) {
    REQUIRE(published_run_of(base) != nullptr);
    for (const auto& [key, edit] : edits) {
      Scenario s = base;
      edit(s);
      const std::string what = key;
      // An edit that leaves this run's value as it was (Megatron's layout cleared, DeepSeek's
      // has none) is not an edit of it.
      if (what == "plan.layers_per_stage" && base.plan.layers_per_stage.empty()) continue;
      INFO(base.name << ": " << what);
      CHECK(published_run_of(s) == nullptr);
      const auto d = plan_differences(*nearest_published_run(s), s);
      CHECK(std::any_of(d.begin(), d.end(),
                        [&](const std::string& x) { return x.rfind(what, 0) == 0; }));
    }
  }
}
