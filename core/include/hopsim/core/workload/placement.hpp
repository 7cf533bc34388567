#pragma once
//! Which transformer blocks each pipeline stage holds: the one placement that the memory model
//! and the runner share. Contiguous, balanced by training FLOPs, embedding first, head and MTP
//! last.

#include <vector>

#include "hopsim/core/model.hpp"
#include "hopsim/core/plan.hpp"

namespace hopsim {

//! Blocks are numbered as layers: 0 .. n_layers-1 the main model, n_layers .. n_layers+mtp-1 the
//! MTP modules. Stage s holds blocks [first[s], first[s] + count[s]).
struct StagePlacement {
  std::vector<int> first;
  std::vector<int> count;
  [[nodiscard]] int stages() const { return static_cast<int>(count.size()); }
};

//! Splits the main layers over `stages` contiguous stages so that the most expensive stage
//! (forward + backward FLOPs of one micro-batch) is as cheap as possible. The embedding is on
//! the first stage; the MTP modules and the output head are on the last (DeepSeek-V3 §2.2 and
//! §3.2.1 place MTP with the head). Every stage gets at least one main layer, except that the
//! last may hold MTP modules only. Ties go to the split with the earliest boundaries.
//! Throws PlanError when there are fewer blocks than stages.
[[nodiscard]] StagePlacement place_stages(const ModelConfig& m, const ParallelPlan& plan,
                                          int stages, int gpus_per_node = 8);

}  // namespace hopsim
