#include "hopsim/planner/published.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <optional>

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

using CanonicalLeaves = std::vector<std::pair<std::string, nlohmann::ordered_json>>;

// Leaf values of a canonical form by dotted path, in document order; arrays are leaves.
void flatten(const nlohmann::ordered_json& j, const std::string& at, CanonicalLeaves& out) {
  if (!j.is_object()) {
    out.emplace_back(at, j);
    return;
  }
  for (const auto& [k, v] : j.items()) flatten(v, at.empty() ? k : at + "." + k, out);
}

// The canonical form a published run is compared on: hardware, model and plan.
CanonicalLeaves compared(const Scenario& s) {
  nlohmann::ordered_json j = canonical_json(s);
  j.erase("cost");
  j["plan"].erase("variation");
  CanonicalLeaves out;
  flatten(j, "", out);
  return out;
}

}  // namespace

std::span<const PublishedRun> published_runs() {
  return kRuns;
}

namespace {

// The run's shipped scenario, or nullopt with the reason when it cannot be read.
std::optional<Scenario> shipped_scenario(const PublishedRun& run, std::string* why) {
  try {
    return load_scenario(data_dir() / std::string(run.folder) /
                         (std::string(run.scenario) + ".yaml"));
  } catch (const std::exception& e) {
    *why = "the published run's scenario cannot be read: " + std::string(e.what());
    return std::nullopt;
  }
}

// How a scenario (its compared form `have`) differs from a run's shipped scenario.
std::vector<std::string> differences(const Scenario& scenario, const CanonicalLeaves& have,
                                     const Scenario& shipped) {
  std::vector<std::string> d;
  if (scenario.model.name != shipped.model.name) {
    d.push_back("model " + scenario.model.name + " (published " + shipped.model.name + ")");
  }
  const auto want = compared(shipped);
  const auto find = [](const CanonicalLeaves& in, const std::string& key) {
    return std::find_if(in.begin(), in.end(), [&key](const auto& x) { return x.first == key; });
  };
  for (const auto& [key, v] : want) {
    const auto it = find(have, key);
    if (it == have.end()) {
      d.push_back(key + " unset (published " + shown(v) + ")");
    } else if (it->second != v) {
      d.push_back(key + " " + shown(it->second) + " (published " + shown(v) + ")");
    }
  }
  for (const auto& [key, v] : have) {
    if (find(want, key) == want.end()) d.push_back(key + " " + shown(v) + " (published: unset)");
  }
  return d;
}

// A scenario against every published run: each shipped scenario is read once per question.
struct Candidate {
  const PublishedRun* run = nullptr;
  bool same_model = false;  //!< the run's model is the scenario's (and its scenario was read)
  std::vector<std::string> diff;
};

std::vector<Candidate> candidates(const Scenario& scenario) {
  const CanonicalLeaves have = compared(scenario);
  std::vector<Candidate> out;
  for (const PublishedRun& r : kRuns) {
    Candidate c;
    c.run = &r;
    std::string why;
    if (const auto shipped = shipped_scenario(r, &why)) {
      c.same_model = shipped->model.name == scenario.model.name;
      c.diff = differences(scenario, have, *shipped);
    } else {
      c.diff = {why};
    }
    out.push_back(std::move(c));
  }
  return out;
}

const Candidate* exact(const std::vector<Candidate>& cs) {
  for (const Candidate& c : cs) {
    if (c.diff.empty()) return &c;
  }
  return nullptr;
}

const Candidate* nearest(const std::vector<Candidate>& cs) {
  const Candidate* best = nullptr;
  for (const Candidate& c : cs) {
    // Strict: the first of equals, in the table's order. Another model is no nearer run.
    if (c.same_model && (best == nullptr || c.diff.size() < best->diff.size())) best = &c;
  }
  return best;
}

}  // namespace

std::vector<std::string> plan_differences(const PublishedRun& run, const Scenario& scenario) {
  std::string why;
  const auto shipped = shipped_scenario(run, &why);
  if (!shipped) return {why};
  return differences(scenario, compared(scenario), *shipped);
}

const PublishedRun* published_run_of(const Scenario& scenario) {
  const auto cs = candidates(scenario);
  const Candidate* c = exact(cs);
  return c != nullptr ? c->run : nullptr;
}

const PublishedRun* nearest_published_run(const Scenario& scenario) {
  const auto cs = candidates(scenario);
  const Candidate* c = nearest(cs);
  return c != nullptr ? c->run : nullptr;
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

namespace {
// Each metric's label and JSON / HTML id fragment, in PublishedMetric's order.
struct MetricNames {
  const char* name;
  const char* key;
};
constexpr MetricNames kMetricNames[] = {
    {"GPU-hours per 10^12 tokens", "gpu_hours_per_trillion"},
    {"tokens/s per GPU", "tokens_per_second_per_gpu"},
};
}  // namespace

const char* metric_name(PublishedMetric m) {
  return kMetricNames[static_cast<int>(m)].name;
}

const char* metric_key(PublishedMetric m) {
  return kMetricNames[static_cast<int>(m)].key;
}

std::string published_sentence(const Scenario& scenario, const sim::SimResult& result) {
  const auto cs = candidates(scenario);
  if (const Candidate* match = exact(cs)) {
    const PublishedRun* run = match->run;
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
  const Candidate* c = nearest(cs);
  if (c == nullptr) return "";
  const PublishedRun* near = c->run;
  std::string s = "none for this plan: " + std::string(near->who) + "'s " + grouped(near->value) +
                  " " + metric_name(near->metric) + " are of " + std::string(near->label) +
                  ", whose plan this one changes: ";
  for (std::size_t i = 0; i < c->diff.size(); ++i) s += (i ? ", " : "") + c->diff[i];
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
