#include "hopsim/planner/published.hpp"

#include <catch2/catch.hpp>
#include <string>

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
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "GPU H100 SXM5 (published H800)");

  // One key changed: exactly that key is named, with both values.
  Scenario no_sms = load_scenario_spec("deepseek-v3-h800");
  no_sms.plan.comm_sms = 0;
  CHECK(published_run_of(no_sms) == nullptr);
  CHECK(plan_differences(*nearest_published_run(no_sms), no_sms) ==
        std::vector<std::string>{"plan.comm_sms 0 (published 20)"});

  // The batch counts sequences per step: half the micro-batches is another run.
  Scenario half = load_scenario_spec("deepseek-v3-h800");
  half.plan.micro_batches = 60;
  CHECK(plan_differences(*nearest_published_run(half), half) ==
        std::vector<std::string>{"global batch (sequences) 7680 (published 15360)"});

  // NVIDIA's plan on H800s (what the report's counterpart is): nearer NVIDIA's run, and no error.
  Scenario megatron_h800 = load_scenario(kMegatron);
  megatron_h800.cluster.gpu.name = "H800 SXM5";
  CHECK(published_run_of(megatron_h800) == nullptr);
  CHECK(nearest_published_run(megatron_h800)->who == "NVIDIA");

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
        "plan.dp 256 (published 128), global batch (sequences) 30720 (published 15360).");
}
