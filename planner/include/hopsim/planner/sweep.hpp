#pragma once
//! Running a sweep: each configuration is checked (plan rules, memory), simulated when feasible,
//! and written to the results store as soon as it is done, by a pool of worker threads.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "hopsim/core/scenario.hpp"
#include "hopsim/planner/results_store.hpp"
#include "hopsim/planner/sweep_spec.hpp"
#include "hopsim/planner/uncertainty.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {

//! The hopsim version this library was built as (provenance).
[[nodiscard]] const char* hopsim_version();

//! A calibration as the planner sees it: a hash for provenance and the cost parameters it gives
//! for a GPU (the CLI builds these from a calibration file; the planner stays free of profiler/).
struct CalibrationRef {
  std::string hash = "uncalibrated";
  std::function<sim::CostParameters(const GpuProfile&)> cost_for;  //!< empty: uncalibrated
  //! The band its predictions carry (from the calibration's own residuals when it has them).
  Uncertainty uncertainty = uncalibrated_uncertainty();
  //! What it was fitted to, for provenance: "trace T (sha256:...)" or "kernel campaign ..."
  //! ("" when uncalibrated).
  std::string fitted_to;
};

struct EvaluateOptions {
  sim::SimMode mode = sim::SimMode::kSymmetry;
  CalibrationRef calibration;
  //! Share of HBM a plan may use (memory_per_gpu total / capacity); above it is infeasible.
  double max_memory_fraction = 1.0;
  //! Stop simulating once the pipeline passes this (0 = never); the result's status is then
  //! "stopped" with step_time_ms = the bound (the plan is known to be slower than it).
  Nanoseconds stop_after{0};
};

//! Checks and simulates one scenario; never throws for a bad plan or input: the reason is in
//! the result. `sim_result` receives the SimResult when the scenario ran.
[[nodiscard]] StoredResult evaluate_scenario(const Scenario& s, const EvaluateOptions& options,
                                             sim::SimResult* sim_result = nullptr);
//! Instantiates the configuration from the template, then evaluate_scenario.
[[nodiscard]] StoredResult evaluate_config(const ScenarioTemplate& base, const SweepConfig& config,
                                           const EvaluateOptions& options);

struct SweepProgress {
  std::size_t done = 0;     //!< configurations finished in this run
  std::size_t to_run = 0;   //!< configurations this run has to do
  std::size_t skipped = 0;  //!< already in the database
  double elapsed_s = 0;
  const StoredResult* last = nullptr;
};

struct SweepOptions {
  int jobs = 1;
  int shard_index = 0;
  int shard_count = 1;
  double max_memory_fraction = 1.0;
  CalibrationRef calibration;
  //! Called after each result is committed, from the worker that wrote it (serialised).
  std::function<void(const SweepProgress&)> on_result;
};

struct SweepSummary {
  std::size_t candidates = 0;  //!< combinations before constraints
  std::size_t excluded = 0;    //!< rejected by constraints
  std::size_t configs = 0;     //!< configurations of the whole sweep
  std::size_t in_shard = 0;
  std::size_t skipped = 0;  //!< already done (resume)
  std::size_t ran = 0;
  std::map<std::string, std::size_t> by_status;
  double elapsed_s = 0;
};

//! Provenance and identity the store must hold for this sweep (see ResultsStore::claim).
[[nodiscard]] std::map<std::string, std::string> sweep_meta(
    const SweepSpec& spec, const std::string& calibration_hash = "uncalibrated");

//! Runs the configurations of shard `shard_index` of `shard_count` (index % count == shard)
//! that `store` does not hold yet. Throws ConfigError for a bad spec or a foreign database.
SweepSummary run_sweep(const SweepSpec& spec, ResultsStore& store, const SweepOptions& options);

}  // namespace hopsim::planner
