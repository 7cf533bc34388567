#pragma once
//! Per-step costs outside the pipeline schedule: data-parallel gradient sync and the optimizer
//! step. Internal to the runner.

#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/sim/cost/cost_model.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::sim {

//! The gradient reduce-scatter's rate over a data-parallel group of `group` GPUs (DpSyncRate).
[[nodiscard]] DpSyncRate dp_sync_rate(const Scenario& sc, int group);

//! Optimizer step on this GPU's shard (memory-bound) plus the ZeRO parameter all-gather.
[[nodiscard]] Nanoseconds optimizer_time(const Scenario& sc, const CostModel& cm,
                                         const std::vector<MemoryBreakdown>& ranks);

}  // namespace hopsim::sim
