#pragma once
//! Pipeline schedules as pure functions: the ordered op list of every pipeline rank.
//! 1F1B, interleaved 1F1B, ZB-H1, DualPipe and DualPipeV; the runner adds timing from dependencies.

#include <cstdint>
#include <string>
#include <vector>

#include "hopsim/core/plan.hpp"

namespace hopsim::sim {

//! F: forward. B: full backward. Bi: backward for the input only (its weight gradient is deferred).
//! W: a deferred weight gradient. FB: an overlapped forward/backward pair (DualPipe, and
//! interleaved 1F1B with fb_overlap).
enum class OpType : std::uint8_t { kF, kB, kBi, kW, kFB };

//! One chunk of work on one micro-batch at one pipeline stage.
//! A micro-batch is identified by (direction, micro_batch): DualPipe has two independent streams
//! (direction 0 enters rank 0, direction 1 enters rank pp-1), every other kind has direction 0.
//! `chunk` is which of the rank's model chunks computes it: the virtual stage (interleaved), the
//! V half (DualPipeV: 0 = stage r, 1 = stage 2*ranks-1-r), the direction (DualPipe: 0 = stage r,
//! 1 = stage pp-1-r), or 0.
struct OpPart {
  int micro_batch = 0;
  int direction = 0;
  int chunk = 0;
  int stage = 0;  //!< pipeline stage whose layers this computes, counted along its direction
  friend bool operator==(const OpPart&, const OpPart&) = default;
};

//! One entry of a rank's op list.
struct ScheduleOp {
  OpType type = OpType::kF;
  OpPart part;      //!< the op itself; for kFB its forward part
  OpPart backward;  //!< kFB only: the (full) backward part
  friend bool operator==(const ScheduleOp&, const ScheduleOp&) = default;
};

struct ScheduleOptions {
  //! Pipeline ranks. For every kind but DualPipeV this is also the number of stages; for DualPipeV
  //! it is the number of ranks and the pipeline has 2*pp stages (rank r holds r and 2*pp-1-r).
  int pp = 1;
  //! Micro-batches per step. DualPipe: both directions together (each direction gets half), as in
  //! DualPipe's num_chunks; DualPipeV: all micro-batches (each goes through both halves of the V).
  int micro_batches = 1;
  int virtual_stages = 1;  //!< interleaved 1F1B: model chunks per rank
  //! Interleaved 1F1B: one more warm-up forward, then each steady-state forward and backward as
  //! one F&B pair (Megatron-Core's overlap_moe_expert_parallel_comm).
  bool fb_overlap = false;
};

//! The op order of every rank. Pure data: no timing, no dependencies stored (see dependencies()).
struct Schedule {
  ScheduleKind kind = ScheduleKind::k1F1B;
  int ranks = 1;
  int stages = 1;      //!< pipeline stages along one direction
  int directions = 1;  //!< 2 for DualPipe, else 1
  int micro_batches_per_direction = 1;
  std::vector<std::vector<ScheduleOp>> ops;  //!< ops[rank] in execution order
};

//! Builds the schedule. Throws PlanError naming the violated rule for impossible options.
[[nodiscard]] Schedule make_schedule(ScheduleKind kind, const ScheduleOptions& opts);

//! The rank that computes `stage` for `direction` (the stage -> rank mapping of the schedule).
[[nodiscard]] int rank_of_stage(const Schedule& s, int direction, int stage);

//! Where an op sits: ops[rank][index].
struct OpRef {
  int rank = 0;
  int index = 0;
  friend bool operator==(const OpRef&, const OpRef&) = default;
};

//! Data dependencies of every op (program order on a rank is implicit and not listed):
//! F(d,s,m) needs F(d,s-1,m); B/Bi(d,s,m) needs F(d,s,m) and the backward of (d,s+1,m);
//! W(d,s,m) needs Bi(d,s,m). A kFB op needs the union of its two parts' dependencies.
struct DependencyGraph {
  std::vector<std::vector<std::vector<OpRef>>> preds;  //!< preds[rank][index]
  //! Parallel to preds: whether that dependency is of the op's backward part (an F&B pair can
  //! wait on the same neighbour op twice, once for activations and once for gradients).
  std::vector<std::vector<std::vector<bool>>> feeds_backward;
};

//! Builds the whole graph in O(ops). Throws PlanError if an op's predecessor is missing.
[[nodiscard]] DependencyGraph build_dependencies(const Schedule& s);

//! Predecessors of one op (convenience; builds the graph, so prefer build_dependencies in loops).
[[nodiscard]] std::vector<OpRef> dependencies(const Schedule& s, int rank, int index);

//! One op in the notation of tests/data/schedule/dualpipe_pp8_c20.txt: F0.3, Bi1.0, W1.0,
//! F0.7&B1.3, B1.6.
[[nodiscard]] std::string format_op(const ScheduleOp& op);
//! A rank's ops, space separated, in the same notation.
[[nodiscard]] std::string format_rank(const Schedule& s, int rank);

//! Peak number of (stage, micro-batch) activations held by each rank: +1 when a forward runs,
//! -1 when its B or Bi runs (W is ignored, as in the paper's Table 2). In an FB pair the forward
//! counts before the backward frees, because both are live while the pair executes.
[[nodiscard]] std::vector<int> peak_activations(const Schedule& s);

//! Model chunks (stages) each rank holds: 2 for DualPipe and DualPipeV, virtual_stages for
//! interleaved, else 1.
[[nodiscard]] int stages_per_rank(const Schedule& s);

}  // namespace hopsim::sim
