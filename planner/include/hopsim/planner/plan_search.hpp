#pragma once
//! Plan search: enumerate PP/TP/DP/EP, schedule (with virtual stages and F&B pairs for
//! interleaved 1F1B), communication SMs and micro-batches for a model on a cluster at a fixed
//! global batch, prune what breaks plan rules or memory before
//! simulating, simulate the rest in parallel and rank by GPU-hours per trillion tokens.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/planner/results_store.hpp"

namespace hopsim::planner {

struct PlanSearchOptions {
  std::string model = "deepseek-v3";
  int gpus = 2048;
  std::string gpu = "h800-sxm5";
  //! Scenario that supplies everything not searched: fabric, recompute, precision, optimizer
  //! dtypes, ZeRO stage, node limit, sequence length, global batch, cost inputs.
  std::string base = "deepseek-v3-h800";
  std::string node;  //!< node profile; "" = "hgx-<gpu family>-8gpu" when shipped, else the base's
  long long global_batch_sequences = 0;  //!< 0 = the base scenario's dp * micro_batches * mbs
  double max_memory_fraction = 1.0;
  std::optional<double> budget_usd;  //!< whole training run (cost.training_tokens)
  std::vector<std::string> schedules = {"1f1b", "interleaved-1f1b", "zb-h1", "dualpipe"};
  //! Chunks per rank tried for "interleaved-1f1b", each with and without Megatron-Core's F&B pairs
  //! (plan.fb_overlap) where the plan allows them (EP >= 2, no full recompute).
  std::vector<int> virtual_stages = {2, 4};
  std::vector<int> comm_sms = {10, 20, 32};
  std::vector<int> tp = {1, 2, 4, 8};
  int top = 10;
  int jobs = 1;
  //! Stop simulating a plan once it is slower than the `top` best found so far (the top list
  //! is the same either way; false simulates every plan to the end).
  bool stop_early = true;
  //! Called after each simulated plan (from one thread at a time): plans done, plans to
  //! simulate, seconds since the simulations started.
  std::function<void(std::size_t done, std::size_t total, double elapsed_s)> on_progress;
};

struct PlanCandidate {
  Scenario scenario;
  StoredResult result;
  std::string why;  //!< step time, bubble, exposed comm and memory headroom, against the best
};

struct PlanSearchResult {
  Scenario base;  //!< the cluster and fixed inputs the plans were searched on
  std::size_t enumerated = 0;
  std::map<std::string, std::size_t> pruned;  //!< reason class -> count (before simulation)
  std::size_t simulated = 0;
  std::size_t failed = 0;  //!< simulated but the runner rejected them
  //! Stopped once slower than the top plans found so far (not ranked); the same for any
  //! number of jobs.
  std::size_t stopped_early = 0;
  std::size_t over_budget = 0;
  std::vector<PlanCandidate> top;  //!< best first
};

//! Throws ConfigError for unknown model/GPU names or a GPU count the nodes cannot make.
[[nodiscard]] PlanSearchResult search_plans(const PlanSearchOptions& options);

//! "PP16 DP128 EP64 TP1 dualpipe 20 SMs 120x1 mb"; interleaved plans add their virtual stages
//! and pairs: "PP8 DP64 EP64 TP2 interleaved-1f1b v4 F&B 20 SMs 128x1 mb".
[[nodiscard]] std::string plan_label(const Scenario& s);

}  // namespace hopsim::planner
