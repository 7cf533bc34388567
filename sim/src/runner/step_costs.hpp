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

//! The optimizer's local update on one pipeline rank holding `mb`'s parameters (its ZeRO shard):
//! an HBM-bound pass over the gradients, master weights and moments, no communication.
[[nodiscard]] Nanoseconds optimizer_update_time(const Scenario& sc, const CostModel& cm,
                                                const MemoryBreakdown& mb);
//! With FP8 GEMMs, the re-quantisation of the weights the rank's FP8 GEMMs read once the ZeRO
//! all-gather has made the BF16 working copy whole (an FP8 cast kernel); zero otherwise.
[[nodiscard]] Nanoseconds weight_requant_time(const Scenario& sc, const CostModel& cm,
                                              const MemoryBreakdown& mb);
//! The step's optimizer phase: per rank the update, the ZeRO parameter all-gather and the
//! re-quantisation one after the other; the slowest rank's, as every rank waits for it.
[[nodiscard]] Nanoseconds optimizer_time(const Scenario& sc, const CostModel& cm,
                                         const std::vector<MemoryBreakdown>& ranks);

}  // namespace hopsim::sim
