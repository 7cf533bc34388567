#pragma once
//! Memory per GPU of a plan: weights, gradients, optimizer states (ZeRO), activations of the
//! micro-batches a schedule keeps in flight, and a fixed reserve. docs/MODEL.md §5.

#include <cstdint>
#include <vector>

#include "hopsim/core/model.hpp"
#include "hopsim/core/plan.hpp"
#include "hopsim/core/scenario.hpp"
#include "hopsim/core/units.hpp"
#include "hopsim/core/workload/placement.hpp"

namespace hopsim {

//! Modelling default, not a measurement: CUDA context, allocator slack and NCCL/DeepEP buffers.
inline constexpr Bytes kDefaultMemoryReserve{std::int64_t{2} << 30};

struct MemoryBreakdown {
  int rank = 0;             //!< pipeline rank described
  std::vector<int> stages;  //!< pipeline stages (model chunks) the rank holds
  int layers = 0;           //!< transformer + MTP layers on the rank
  bool has_embedding = false;
  bool has_head = false;
  std::int64_t dense_parameters = 0;   //!< replicated over DP (split over TP)
  std::int64_t expert_parameters = 0;  //!< routed experts held by this GPU
  //! Of dense_parameters, the weights no FP8 GEMM reads: embedding, output head, norms, MTP's
  //! projection (BF16 GEMMs and lookups, DeepSeek-V3 report §3.3).
  std::int64_t high_precision_parameters = 0;
  Bytes weights{};
  Bytes gradients{};
  Bytes master_weights{};
  Bytes optimizer_moments{};
  Bytes activation_per_micro_batch{};  //!< one micro-batch through one stage (mean of held stages)
  double in_flight = 0;                //!< activation units held at the peak
  Bytes loss_activations{};            //!< logits kept for the loss backward (once per head)
  Bytes activations{};
  Bytes reserve{};
  Bytes total{};
  Bytes capacity{};
  bool fits = false;
};

//! Parameters one GPU holds of one block, by data-parallel group: dense ones are replicated over
//! DP (and split over TP), routed experts are split over EP and replicated over DP*TP/EP.
struct BlockParameters {
  std::int64_t dense = 0;
  std::int64_t expert = 0;
  std::int64_t high_precision = 0;  //!< of dense: not read by an FP8 GEMM (MemoryBreakdown)
};
inline constexpr int kEmbeddingBlock = -1;  //!< block_parameters: the input embedding
inline constexpr int kHeadBlock = -2;       //!< block_parameters: the output head + final norm
//! Block `layer` (0..n_layers-1; n_layers.. are MTP modules), or kEmbeddingBlock / kHeadBlock.
[[nodiscard]] BlockParameters block_parameters(const ModelConfig& m, const ParallelPlan& p,
                                               int layer);

//! Stages held by pipeline rank `rank`.
[[nodiscard]] std::vector<int> stages_of_rank(const ParallelPlan& plan, int rank);
//! Activation bytes one layer stores for backward for one micro-batch (what RecomputeConfig and
//! FP8 caching leave), on one GPU. Layers >= n_layers are MTP modules.
[[nodiscard]] Bytes activation_bytes_per_layer(const ModelConfig& m, const ParallelPlan& plan,
                                               int layer);
//! Activation units (one stage, one micro-batch) pipeline rank `rank` holds at its peak.
[[nodiscard]] double in_flight_micro_batches(const ParallelPlan& plan, int rank);

//! Every pipeline rank, with the blocks placed by `placement` (what the runner simulates).
[[nodiscard]] std::vector<MemoryBreakdown> memory_per_rank(const Scenario& s,
                                                           const StagePlacement& placement,
                                                           Bytes reserve = kDefaultMemoryReserve);
//! Every pipeline rank, with the roofline placement of place_stages(s, stages). Callers that
//! simulate should pass the runner's placement (sim::stage_placement) instead.
[[nodiscard]] std::vector<MemoryBreakdown> memory_per_rank(const Scenario& s,
                                                           Bytes reserve = kDefaultMemoryReserve);
//! The rank with the largest total (the one that decides whether the plan fits).
[[nodiscard]] MemoryBreakdown memory_per_gpu(const Scenario& s,
                                             Bytes reserve = kDefaultMemoryReserve);
//! The rank with the largest total of `ranks`.
[[nodiscard]] MemoryBreakdown worst_rank(std::vector<MemoryBreakdown> ranks);

}  // namespace hopsim
