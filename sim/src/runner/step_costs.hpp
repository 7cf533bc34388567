#pragma once
//! Per-step costs outside the pipeline schedule: data-parallel gradient sync and the optimizer
//! step. Internal to the runner.

#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/sim/cost/cost_model.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"

namespace hopsim::sim {

//! ZeRO gradient reduce-scatter over DP that the last micro-batch's backward cannot hide:
//! max over pipeline ranks of max(0, reduce-scatter time - that rank's last backward chunk).
//! `ranks` is memory_per_rank(sc): what each pipeline rank holds.
[[nodiscard]] Nanoseconds dp_sync_exposed(const Scenario& sc, const PipelineProgram& program,
                                          const std::vector<MemoryBreakdown>& ranks);

//! Optimizer step on this GPU's shard (memory-bound) plus the ZeRO parameter all-gather.
[[nodiscard]] Nanoseconds optimizer_time(const Scenario& sc, const CostModel& cm,
                                         const std::vector<MemoryBreakdown>& ranks);

}  // namespace hopsim::sim
