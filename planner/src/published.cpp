#include "hopsim/planner/published.hpp"

#include <array>
#include <climits>

#include "hopsim/core/format.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {

namespace {

// Each entry's figure and plan from its primary source; the tests type them again from the
// source, independently of this table.
constexpr std::array kRuns{
    PublishedRun{
        .label = "DeepSeek-V3 pre-training on 2048 H800",
        .who = "DeepSeek",
        .source = "DeepSeek-V3 report, arXiv 2412.19437, §1 and Table 1",
        .metric = PublishedMetric::kGpuHoursPerTrillion,
        .value = kPublishedH800GpuHoursPerTrillion,
        // §3.1 (2048 H800), §3.2 (PP16, EP64 over 8 nodes, no TP), §3.2.1 (DualPipe), §3.2.2
        // and §3.5.1 (20 SMs for communication), §3.3 (FP8 GEMMs), §4.2 (15,360 sequences of 4K
        // tokens, the batch after its ramp).
        .plan = {.model = "deepseek-v3",
                 .gpu = "H800",
                 .gpus = 2048,
                 .pp = 16,
                 .dp = 128,
                 .tp = 1,
                 .ep = 64,
                 .virtual_stages = 1,
                 .schedule = ScheduleKind::kDualPipe,
                 .fb_overlap = false,
                 .global_batch = 15360,
                 .seq_len = 4096,
                 .precision = Precision::kFp8,
                 .comm_sms = 20},
    },
    PublishedRun{
        .label = "DeepSeek-V3 on 1024 H100 with Megatron-Core",
        .who = "NVIDIA",
        .source = "NVIDIA-NeMo/Megatron-Bridge docs/performance-summary-archive.md @0a25f911, "
                  "25.09 DGX-H100 table, DeepSeekV3 (dropless)",
        .metric = PublishedMetric::kTokensPerSecondPerGpu,
        .value = 1297,
        // The table row (TP2 PP8 VP4 EP64, MBS 1, GBS 8192, 4K) and its release's recipe
        // (scripts/performance/configs/deepseek/deepseek_llm_pretrain.py @01328424: interleaved
        // pipeline with overlap_moe_expert_parallel_comm, FP8).
        .plan = {.model = "deepseek-v3",
                 .gpu = "H100 SXM",
                 .gpus = 1024,
                 .pp = 8,
                 .dp = 64,
                 .tp = 2,
                 .ep = 64,
                 .virtual_stages = 4,
                 .schedule = ScheduleKind::kInterleaved1F1B,
                 .fb_overlap = true,
                 .global_batch = 8192,
                 .seq_len = 4096,
                 .precision = Precision::kFp8,
                 .comm_sms = -1},
    },
};

std::string yes_no(bool b) {
  return b ? "true" : "false";
}

}  // namespace

std::span<const PublishedRun> published_runs() {
  return kRuns;
}

std::vector<std::string> plan_differences(const PublishedRun& run, const Scenario& scenario) {
  const PublishedPlan& w = run.plan;
  const ParallelPlan& p = scenario.plan;
  std::vector<std::string> d;
  auto differ = [&](const char* key, const std::string& have, const std::string& want) {
    if (have != want) d.push_back(std::string(key) + " " + have + " (published " + want + ")");
  };
  if (scenario.model.name != w.model) {
    differ("model", scenario.model.name, std::string(w.model));
  }
  if (scenario.cluster.gpu.name.find(w.gpu) == std::string::npos) {
    d.push_back("GPU " + scenario.cluster.gpu.name + " (published " + std::string(w.gpu) + ")");
  }
  differ("GPUs", std::to_string(scenario.cluster.num_gpus()), std::to_string(w.gpus));
  differ("plan.pp", std::to_string(p.pp), std::to_string(w.pp));
  differ("plan.dp", std::to_string(p.dp), std::to_string(w.dp));
  differ("plan.tp", std::to_string(p.tp), std::to_string(w.tp));
  differ("plan.ep", std::to_string(p.ep), std::to_string(w.ep));
  differ("plan.schedule", to_string(p.schedule), to_string(w.schedule));
  // Virtual stages mean something only to the interleaved schedule.
  if (w.schedule == ScheduleKind::kInterleaved1F1B) {
    differ("plan.virtual_stages", std::to_string(p.virtual_stages),
           std::to_string(w.virtual_stages));
  }
  differ("plan.fb_overlap", yes_no(p.fb_overlap), yes_no(w.fb_overlap));
  // Sequences per step: micro-batches (DualPipe: both directions) x their size x DP, in 64 bits
  // so that no plan's product wraps.
  const long long batch =
      static_cast<long long>(p.micro_batches) * p.micro_batch_size * static_cast<long long>(p.dp);
  differ("global batch (sequences)", std::to_string(batch), std::to_string(w.global_batch));
  differ("plan.seq_len", std::to_string(p.seq_len), std::to_string(w.seq_len));
  differ("plan.precision", to_string(p.gemm_precision), to_string(w.precision));
  if (w.comm_sms >= 0)
    differ("plan.comm_sms", std::to_string(p.comm_sms), std::to_string(w.comm_sms));
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
    if (r.plan.model != scenario.model.name) continue;
    const std::size_t n = plan_differences(r, scenario).size();
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
