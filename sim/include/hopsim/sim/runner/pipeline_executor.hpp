#pragma once
//! Runs a pipeline schedule on the discrete-event engine: each rank executes its op list in order,
//! each op's sub-ops go to the rank's compute or communication lane (streams, in issue order), and
//! DualPipe's F&B pairs interleave in DeepSeek's published component order.

#include <array>
#include <functional>
#include <vector>

#include "hopsim/core/units.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"
#include "hopsim/sim/schedule/schedule.hpp"

namespace hopsim::sim {

//! How the engine stretched one compute sub-op beyond its programmed duration: what an exported
//! trace needs to give each of its kernels the time the engine gave it. All 1 / 0 by default.
struct Stretch {
  //! The load its routed kernels (SubOp::routed) ran at: the rank's routing load in full mode
  //! with routing variation, else 1.
  double routed_load = 1.0;
  //! The factor the whole sub-op ran at, launch gaps included (kernel-time variation,
  //! stragglers).
  double time_scale = 1.0;
  //! Added to its memory-bound kernels by HBM interference (a payload ran meanwhile).
  Nanoseconds interference{};
};

//! One executed sub-op, reported to the timeline observer as it completes.
struct SubOpEvent {
  int replica = 0;
  int rank = 0;
  Lane lane = Lane::kCompute;
  WorkClass cls = WorkClass::kCompute;
  const SubOp* op = nullptr;
  OpPart part;
  OpType type = OpType::kF;
  Nanoseconds start{};
  Nanoseconds end{};
  bool backward = false;  //!< belongs to the backward chunk (input or weight gradient)
  //! A payload's bytes over its programmed traffic: its group's busiest receiver's load in full
  //! mode with routing variation, else 1.
  double traffic_scale = 1.0;
  Stretch stretch;  //!< how a compute sub-op was stretched (default for communication)
};

//! A pipeline-parallel send between ranks (activations forward, gradients backward).
struct TransferEvent {
  int replica = 0;
  int from_rank = 0;
  int to_rank = 0;
  bool forward = true;
  Nanoseconds start{};
  Nanoseconds end{};
};

struct ExecutorOptions {
  //! Pipeline replicas simulated side by side (full mode). 1 = symmetry mode.
  int replicas = 1;
  //! Replicas whose collective sub-ops rendezvous (the EP group size in replicas). Must divide
  //! `replicas`. A collective starts when every member has reached it: the slowest sets the pace.
  int collective_group = 1;
  //! Per-replica compute slowdown factors (empty = all 1.0), for stragglers and imbalance.
  std::vector<double> replica_compute_scale;
  //! Per-kernel variation: each compute sub-op of each replica and rank takes (1 + cv z) times
  //! its duration, z a standard normal keyed by (seed, replica, rank, op, sub-op); 0 = none.
  double kernel_time_cv = 0;
  //! Routing variation: the routed-expert part of each compute sub-op (SubOp::routed) takes its
  //! rank's load times its duration, the load being the rank's routing_load(...) draw over the
  //! mean draw of its EP group (token copies are conserved: loads average 1), and an EP payload
  //! phase lasts as long as its group's busiest receiver needs (its largest load); 0 = none.
  double routing_cv = 0;
  std::uint64_t seed = 1;
  //! Called for every completed sub-op in completion order (deterministic). May be empty.
  std::function<void(const SubOpEvent&)> on_sub_op;
  //! Called for every pipeline-parallel transfer between ranks, of every replica, once its
  //! timing is known.
  std::function<void(const TransferEvent&)> on_transfer;
  //! Full mode: called after each collective group has been simulated, with the groups done
  //! and their total (groups run one after another when no observer is set). May be empty.
  std::function<void(int done, int total)> on_group_done;
  //! Stop once simulated time passes this (0 = run to the end): the makespan is then known to
  //! exceed it, which is all a search that already has better plans needs to know.
  Nanoseconds stop_after{0};
};

//! Per rank (of replica 0 in symmetry mode; the slowest replica in full mode).
struct RankStats {
  std::array<Nanoseconds, kLaneCount> lane_busy{};
  Nanoseconds compute_busy{};  //!< compute-class sub-ops only (not blocking communication)
  //! Communication not overlapped by compute: the comm lane busy while the compute lane is
  //! idle, or communication running on the compute lane itself (no SMs reserved).
  Nanoseconds exposed_comm{};
  Nanoseconds finish{};
  Flops flops{};
  std::vector<Nanoseconds> pair_times;  //!< each F&B pair op, start to end
  //! The rank's gradient reduce-scatter buckets: first start and last end (0 when none).
  Nanoseconds dp_sync_start{};
  Nanoseconds dp_sync_end{};
};

struct ExecutionResult {
  Nanoseconds makespan{};
  std::vector<RankStats> ranks;                           //!< replica 0's ranks
  std::array<Nanoseconds, kWorkClassCount> class_busy{};  //!< summed over replica 0's ranks
  //! When the last gradient reduce-scatter of any rank and replica ended (0 when none).
  Nanoseconds dp_sync_end{};
  std::uint64_t sub_ops_executed = 0;
  std::uint64_t engine_events = 0;
  //! The run passed ExecutorOptions::stop_after before the schedule completed: makespan is
  //! stop_after (a lower bound) and the other figures are partial.
  bool stopped = false;
};

//! A lower bound on the makespan, known without simulating: the step with every op as long as
//! its compute-class sub-ops and transfers free, under the executor's rules (a rank's ops one
//! after another, successors released when an op is done). A rank's compute lane runs one sub-op
//! at a time and, without variation, no sub-op runs faster than programmed (interference and
//! sharing only add). 0 where `options` could make a sub-op shorter (kernel-time or routing
//! variation, a replica scale below 1).
[[nodiscard]] Nanoseconds compute_lower_bound(const Schedule& schedule,
                                              const PipelineProgram& program,
                                              const ExecutorOptions& options = {});

//! Executes `schedule` with the per-stage work in `program`. Throws PlanError if the schedule
//! cannot complete (a dependency is never satisfied) or the program does not match it.
[[nodiscard]] ExecutionResult execute_pipeline(const Schedule& schedule,
                                               const PipelineProgram& program,
                                               const ExecutorOptions& options = {});

}  // namespace hopsim::sim
