#pragma once
//! Which transformer blocks each pipeline stage holds: the one placement that the memory model
//! and the runner share. Contiguous, balanced by training FLOPs, embedding first, head and MTP
//! last.

#include <functional>
#include <string>
#include <vector>

#include "hopsim/core/model.hpp"
#include "hopsim/core/plan.hpp"
#include "hopsim/core/scenario.hpp"
#include "hopsim/core/workload/workload.hpp"

namespace hopsim {

//! Blocks are numbered as layers: 0 .. n_layers-1 the main model, n_layers .. n_layers+mtp-1 the
//! MTP modules. Stage s holds blocks [first[s], first[s] + count[s]).
struct StagePlacement {
  std::vector<int> first;
  std::vector<int> count;
  [[nodiscard]] int stages() const { return static_cast<int>(count.size()); }
};

//! Splits the main layers over `stages` contiguous stages so that the most expensive stage
//! (the sum of `unit_cost` over its units, e.g. one micro-batch's forward + backward) is as
//! cheap as possible. The embedding is on
//! the first stage; the MTP modules and the output head are on the last (DeepSeek-V3 §2.2 and
//! §3.2.1 place MTP with the head). Every stage gets at least one main layer, except that the
//! last may hold MTP modules only. Ties go to the split with the earliest boundaries. Stages,
//! not ranks, are balanced: balancing what a DualPipe rank holds (stages r and PP-1-r) was tried
//! and made the simulated step longer (docs/COST_MODEL.md "Stage placement"). A plan's explicit
//! `layers_per_stage` is taken as it is instead. Throws PlanError when there are fewer blocks
//! than stages or the explicit layout is broken (layout_problem).
[[nodiscard]] StagePlacement place_stages(
    const ModelConfig& m, const ParallelPlan& plan, int stages,
    const std::function<double(const LayerWorkload&)>& unit_cost, int gpus_per_node = 8);

//! The placement of a scenario: units costed by a roofline on its GPU (each op's FLOPs at the
//! nominal peak of its dtype, or its HBM bytes at nominal bandwidth, whichever is longer, over
//! forward, input-gradient and weight-gradient passes), so a BF16 output head weighs what it
//! costs in time, not in FLOPs. What the memory model and the runner both use.
[[nodiscard]] StagePlacement place_stages(const Scenario& sc, int stages);

//! What is wrong with an explicit `layers_per_stage` for `stages` stages of model `m` ("" when
//! nothing): one count per stage, summing to the main layers, each at least 1 except that the
//! last may be 0 when it holds MTP modules (the rules the balanced placement keeps).
[[nodiscard]] std::string layout_problem(const ModelConfig& m,
                                         const std::vector<int>& layers_per_stage, int stages);

//! Training FLOPs of a unit (forward + both backward passes): the cost when no GPU is known.
[[nodiscard]] double training_flops(const LayerWorkload& u);

}  // namespace hopsim
