#pragma once
//! Published measurements of whole training runs that predictions are held against (validation
//! targets, never fitting targets), and which scenario is the run a figure measured: one home
//! for the CLI, reports and the GUI, so that no other plan is ever called a "relative error".

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

//! One published measurement of a training run, and the shipped scenario that states the run
//! (every line citing the source): a scenario is that run when its hardware, model and plan are
//! the shipped scenario's.
struct PublishedRun {
  std::string_view label;   //!< "DeepSeek-V3 pre-training on 2048 H800"
  std::string_view who;     //!< who measured it: "DeepSeek", "NVIDIA"
  std::string_view source;  //!< primary source: paper section or repository@commit and file
  PublishedMetric metric = PublishedMetric::kGpuHoursPerTrillion;
  double value = 0;
  std::string_view folder;    //!< of the data directory: "scenarios", "scenarios/validation"
  std::string_view scenario;  //!< the shipped scenario's name in that folder
};

//! Every published run hopsim holds predictions against, in a fixed order.
[[nodiscard]] std::span<const PublishedRun> published_runs();

//! How `scenario` differs from the run's shipped scenario, one "key value (published value)" per
//! field of the canonical form (hardware, model, plan; not the cost inputs, names or the
//! variation, which model the run rather than change it), in document order; empty when the
//! scenario is that run. A shipped scenario that cannot be read is one difference.
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
