#pragma once
//! Published measurements of whole training runs that predictions are held against (validation
//! targets, never fitting targets), and which scenario is the run a figure measured: one home
//! for the CLI, reports and the GUI, so that no other plan is ever called a "relative error".

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/plan.hpp"
#include "hopsim/core/scenario.hpp"

namespace hopsim::sim {
struct SimResult;
}

namespace hopsim::planner {

//! 180K H800 GPU-hours per trillion tokens of DeepSeek-V3 pre-training ("each trillion tokens
//! requires only 180K H800 GPU hours", DeepSeek-V3 report, arXiv 2412.19437, §1 p.5; Table 1).
inline constexpr double kPublishedH800GpuHoursPerTrillion = 180e3;

//! What a published figure measures, and so which prediction it is set against.
enum class PublishedMetric {
  kGpuHoursPerTrillion,  //!< wall-clock GPU-hours per 10^12 tokens (SimResult's, interruptions in)
  kTokensPerSecondPerGpu,  //!< steady training steps (SimResult::tokens_per_second_per_gpu)
};

//! The plan a published run ran, as far as its source states it. A scenario is that run when
//! every field matches; another plan on the same model is a what-if, not a validation.
struct PublishedPlan {
  std::string_view model;  //!< ModelConfig::name
  std::string_view gpu;    //!< part of the GPU profile's name ("H800")
  int gpus = 0;
  int pp = 1, dp = 1, tp = 1, ep = 1, virtual_stages = 1;
  ScheduleKind schedule = ScheduleKind::k1F1B;
  bool fb_overlap = false;
  int global_batch = 0;  //!< sequences per step
  int seq_len = 0;
  Precision precision = Precision::kBf16;
  int comm_sms = -1;  //!< -1 where the source does not state it
};

//! One published measurement of a training run.
struct PublishedRun {
  std::string_view label;   //!< "DeepSeek-V3 pre-training on 2048 H800"
  std::string_view who;     //!< who measured it: "DeepSeek", "NVIDIA"
  std::string_view source;  //!< primary source: paper section or repository@commit and file
  PublishedMetric metric = PublishedMetric::kGpuHoursPerTrillion;
  double value = 0;
  PublishedPlan plan;
};

//! Every published run hopsim holds predictions against, in a fixed order.
[[nodiscard]] std::span<const PublishedRun> published_runs();

//! How `scenario` differs from the run's published plan, one "key scenario-value vs published"
//! per field, in a fixed order; empty when the scenario is that run.
[[nodiscard]] std::vector<std::string> plan_differences(const PublishedRun& run,
                                                        const Scenario& scenario);

//! The published run `scenario` reproduces, or nullptr.
[[nodiscard]] const PublishedRun* published_run_of(const Scenario& scenario);

//! The published run of the scenario's model whose plan is nearest (fewest differences), or
//! nullptr when no run of that model is published: what to say instead of a comparison.
[[nodiscard]] const PublishedRun* nearest_published_run(const Scenario& scenario);

//! The prediction the run's figure is set against, and (prediction / figure - 1).
[[nodiscard]] double predicted_value(const PublishedRun& run, const sim::SimResult& result);
[[nodiscard]] double relative_error(const PublishedRun& run, const sim::SimResult& result);

//! "GPU-hours per 10^12 tokens" / "tokens/s per GPU"; key: a JSON / HTML id fragment.
[[nodiscard]] const char* metric_name(PublishedMetric m);
[[nodiscard]] const char* metric_key(PublishedMetric m);

//! One sentence comparing a result with the run it reproduces ("NVIDIA measured ..."), or saying
//! why there is none ("none for this plan: ...", the nearest published plan and how this one
//! differs); "" when no run of the scenario's model is published.
[[nodiscard]] std::string published_sentence(const Scenario& scenario,
                                             const sim::SimResult& result);

//! The comparison as JSON (run, measured_by, source, metric, value, predicted, relative_error), or
//! null when the scenario is no published run: one shape for `run`, `whatif` and reports.
[[nodiscard]] nlohmann::ordered_json published_json(const Scenario& scenario,
                                                    const sim::SimResult& result);

}  // namespace hopsim::planner
