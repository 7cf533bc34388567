#pragma once
//! Per-step costs outside the pipeline schedule: data-parallel gradient sync and the optimizer
//! step. Internal to the runner.

#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/sim/cost/cost_model.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"

namespace hopsim::sim {

//! Gradient reduce-scatter over a data-parallel group of `group` GPUs, per byte of gradients:
//! the bytes it moves through one GPU's NIC and NVLink ports, its fixed latency, and its time
//! alone. All zero for a group of one.
struct DpSyncRate {
  double nic_per_byte = 0;
  double nvlink_per_byte = 0;
  Nanoseconds latency{};
  double seconds_per_byte = 0;  //!< alone, beyond the latency
  //! Capacities (bytes/s) of the GPU ports the reduce-scatter crosses (0 where it uses none):
  //! the step network needs them even when no other communication crosses those ports.
  double nic_capacity = 0;
  double nvlink_capacity = 0;
};
[[nodiscard]] DpSyncRate dp_sync_rate(const Scenario& sc, int group);

//! Optimizer step on this GPU's shard (memory-bound) plus the ZeRO parameter all-gather.
[[nodiscard]] Nanoseconds optimizer_time(const Scenario& sc, const CostModel& cm,
                                         const std::vector<MemoryBreakdown>& ranks);

}  // namespace hopsim::sim
