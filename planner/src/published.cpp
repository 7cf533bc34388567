#include "hopsim/planner/published.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <exception>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/planner/canonical.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {

namespace {

// Each entry's figure from its primary source; the plan is the shipped scenario's, which cites
// the source line by line. The tests type the figures again, independently of this table.
constexpr std::array kRuns{
    PublishedRun{
        .label = "DeepSeek-V3 pre-training on 2048 H800",
        .who = "DeepSeek",
        .source = "DeepSeek-V3 report, arXiv 2412.19437, §1 and Table 1",
        .metric = PublishedMetric::kGpuHoursPerTrillion,
        .value = kPublishedH800GpuHoursPerTrillion,
        .folder = "scenarios",
        .scenario = "deepseek-v3-h800",
    },
    PublishedRun{
        .label = "DeepSeek-V3 on 1024 H100 with Megatron-Core",
        .who = "NVIDIA",
        .source = "NVIDIA-NeMo/Megatron-Bridge docs/performance-summary-archive.md @0a25f911, "
                  "25.09 DGX-H100 table, DeepSeekV3 (dropless)",
        .metric = PublishedMetric::kTokensPerSecondPerGpu,
        .value = 1297,
        .folder = "scenarios/validation",
        .scenario = "deepseek-v3-h100-megatron",
    },
};

// A canonical value as text: integers without a fraction, other numbers to 6 significant digits.
std::string shown(const nlohmann::ordered_json& v) {
  if (v.is_number_float()) return fmt("%.6g", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Leaf values of a canonical form by dotted path, in document order; arrays are leaves.
void flatten(const nlohmann::ordered_json& j, const std::string& at,
             std::vector<std::pair<std::string, nlohmann::ordered_json>>& out) {
  if (!j.is_object()) {
    out.emplace_back(at, j);
    return;
  }
  for (const auto& [k, v] : j.items()) flatten(v, at.empty() ? k : at + "." + k, out);
}

// The canonical form a published run is compared on: hardware, model and plan.
std::vector<std::pair<std::string, nlohmann::ordered_json>> compared(const Scenario& s) {
  nlohmann::ordered_json j = canonical_json(s);
  j.erase("cost");
  j["plan"].erase("variation");
  std::vector<std::pair<std::string, nlohmann::ordered_json>> out;
  flatten(j, "", out);
  return out;
}

}  // namespace

std::span<const PublishedRun> published_runs() {
  return kRuns;
}

std::vector<std::string> plan_differences(const PublishedRun& run, const Scenario& scenario) {
  Scenario shipped;
  try {
    shipped =
        load_scenario(data_dir() / std::string(run.folder) / (std::string(run.scenario) + ".yaml"));
  } catch (const std::exception& e) {
    return {"the published run's scenario cannot be read: " + std::string(e.what())};
  }
  std::vector<std::string> d;
  if (scenario.model.name != shipped.model.name) {
    d.push_back("model " + scenario.model.name + " (published " + shipped.model.name + ")");
  }
  const auto have = compared(scenario);
  const auto want = compared(shipped);
  for (const auto& [key, v] : want) {
    const auto it = std::find_if(have.begin(), have.end(),
                                 [&key = key](const auto& x) { return x.first == key; });
    if (it == have.end()) {
      d.push_back(key + " unset (published " + shown(v) + ")");
    } else if (it->second != v) {
      d.push_back(key + " " + shown(it->second) + " (published " + shown(v) + ")");
    }
  }
  for (const auto& [key, v] : have) {
    const auto it = std::find_if(want.begin(), want.end(),
                                 [&key = key](const auto& x) { return x.first == key; });
    if (it == want.end()) d.push_back(key + " " + shown(v) + " (published: unset)");
  }
  return d;
}

const PublishedRun* published_run_of(const Scenario& scenario) {
  for (const PublishedRun& r : kRuns) {
    if (plan_differences(r, scenario).empty()) return &r;
  }
  return nullptr;
}

const PublishedRun* nearest_published_run(const Scenario& scenario) {
  const PublishedRun* best = nullptr;
  std::size_t fewest = SIZE_MAX;
  for (const PublishedRun& r : kRuns) {
    const auto d = plan_differences(r, scenario);
    // Another model is no nearer run (its model differs first, when it differs).
    if (!d.empty() && d.front().rfind("model ", 0) == 0) continue;
    const std::size_t n = d.size();
    if (n < fewest) {  // strict: the first of equals, in the table's order
      fewest = n;
      best = &r;
    }
  }
  return best;
}

double predicted_value(const PublishedRun& run, const sim::SimResult& result) {
  switch (run.metric) {
    case PublishedMetric::kGpuHoursPerTrillion:
      return result.gpu_hours_per_trillion;
    case PublishedMetric::kTokensPerSecondPerGpu:
      return result.tokens_per_second_per_gpu;
  }
  return 0;
}

double relative_error(const PublishedRun& run, const sim::SimResult& result) {
  return predicted_value(run, result) / run.value - 1.0;
}

const char* metric_name(PublishedMetric m) {
  switch (m) {
    case PublishedMetric::kGpuHoursPerTrillion:
      return "GPU-hours per 10^12 tokens";
    case PublishedMetric::kTokensPerSecondPerGpu:
      return "tokens/s per GPU";
  }
  return "";
}

const char* metric_key(PublishedMetric m) {
  switch (m) {
    case PublishedMetric::kGpuHoursPerTrillion:
      return "gpu_hours_per_trillion";
    case PublishedMetric::kTokensPerSecondPerGpu:
      return "tokens_per_second_per_gpu";
  }
  return "";
}

std::string published_sentence(const Scenario& scenario, const sim::SimResult& result) {
  if (const PublishedRun* run = published_run_of(scenario)) {
    // Wall-clock GPU-hours: say how much of the clock trains, since the figure includes the rest.
    const bool wall = run->metric == PublishedMetric::kGpuHoursPerTrillion &&
                      result.effective_training_time < 1.0;
    return std::string(run->who) + " measured " + grouped(run->value) + " " +
           metric_name(run->metric) + " for " + std::string(run->label) + " (" +
           std::string(run->source) + "); predicted " + grouped(predicted_value(*run, result)) +
           (wall ? fmt(" (of wall clock, %.1f%% of which trains)",
                       100.0 * result.effective_training_time)
                 : std::string()) +
           ": " + fmt("%+.1f%%", 100.0 * relative_error(*run, result)) +
           ". Nothing is fitted to that figure; docs/VALIDATION.md lists the inputs.";
  }
  const PublishedRun* near = nearest_published_run(scenario);
  if (near == nullptr) return "";
  std::string s = "none for this plan: " + std::string(near->who) + "'s " + grouped(near->value) +
                  " " + metric_name(near->metric) + " are of " + std::string(near->label) +
                  ", whose plan this one changes: ";
  const std::vector<std::string> diff = plan_differences(*near, scenario);
  for (std::size_t i = 0; i < diff.size(); ++i) s += (i ? ", " : "") + diff[i];
  return s + ".";
}

nlohmann::ordered_json published_json(const Scenario& scenario, const sim::SimResult& result) {
  const PublishedRun* run = published_run_of(scenario);
  if (run == nullptr) return nullptr;
  return {{"run", run->label},
          {"measured_by", run->who},
          {"source", run->source},
          {"metric", metric_key(run->metric)},
          {"value", run->value},
          {"predicted", predicted_value(*run, result)},
          {"relative_error", relative_error(*run, result)}};
}

}  // namespace hopsim::planner
