#pragma once
//! The per-layer op table of one micro-batch on one GPU: GEMMs, attention, norms, quantisation,
//! grouped into the attention and MLP parts that DualPipe overlaps, plus the layer's EP traffic.

#include <cstdint>
#include <string>
#include <vector>

#include "hopsim/core/model.hpp"
#include "hopsim/core/plan.hpp"
#include "hopsim/core/units.hpp"

namespace hopsim {

enum class OpKind {
  kGemm,
  kGroupedGemm,
  kAttention,
  kNorm,
  kElementwise,
  kRouter,
  kEmbedding,
  kQuantize
};

[[nodiscard]] const char* to_string(OpKind k);

//! An FP8 weight element as a GEMM reads it: one byte and its share of the FP32 scale of its
//! 128x128 block (DeepSeek-V3 report §3.3.2).
inline constexpr double kFp8WeightBytes = 1.0 + 4.0 / (128.0 * 128.0);

//! HBM traffic of one pass of an op (compulsory traffic: each operand read once, written once).
struct OpBytes {
  Bytes read{};
  Bytes written{};
  [[nodiscard]] Bytes total() const { return read + written; }
};

//! One kernel-level operation of a micro-batch. GEMMs are (m, n, k) per group: Y[m,n] = X[m,k]
//! W[k,n]. Backward is split as in zero-bubble schedules: B (input gradient) and W (weight
//! gradient).
struct Op {
  std::string name;
  OpKind kind = OpKind::kGemm;
  std::string dtype;  //!< compute dtype: "fp8", "bf16" or "fp32"
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  int groups = 1;
  Flops fwd{};
  Flops bwd_input{};
  Flops bwd_weight{};
  OpBytes bytes_fwd;
  OpBytes bytes_bwd_input;
  OpBytes bytes_bwd_weight;
  //! Kernel launches per pass (forward, input gradient, weight gradient): each pays the stream's
  //! launch/queue gap. A pass with no work launches nothing whatever these say.
  int launches_fwd = 1;
  int launches_bwd_input = 1;
  int launches_bwd_weight = 1;
  //! Works on the token copies this rank's experts received (the routed experts and their
  //! permute): its time follows the rank's share of the routing (plan.variation.routing_cv).
  bool routed = false;
};

enum class LayerKind { kEmbedding, kDense, kMoe, kMtp, kHead };

[[nodiscard]] const char* to_string(LayerKind k);

//! Communication a layer needs, as plain numbers for the network model (one micro-batch, one GPU).
struct LayerComm {
  //! MoE dispatch payload per token copy: hidden in FP8 + one FP32 scale per 128 channels
  //! (BF16 hidden when GEMMs are BF16).
  Bytes dispatch_bytes_per_copy{};
  //! MoE combine payload per token copy: hidden in BF16 (DeepSeek-V3 report §3.3.3).
  Bytes combine_bytes_per_copy{};
  //! Expected distinct EP ranks / nodes a token is sent to (balanced, uniform routing, node limit).
  double ranks_per_token = 0;
  double nodes_per_token = 0;
  double remote_nodes_per_token = 0;  //!< nodes other than the sender's own
  Bytes dispatch_bytes{};             //!< tokens * ranks_per_token * per-copy (all links together)
  Bytes combine_bytes{};
  Bytes dispatch_internode_bytes{};  //!< tokens * remote_nodes_per_token * per-copy (IB)
  Bytes combine_internode_bytes{};
  Bytes tp_allreduce_bytes{};  //!< per all-reduce of the hidden state (TP > 1), BF16
  int tp_allreduces_fwd = 0;   //!< all-reduces in forward (same number in backward)
};

//! One pipeline-partitionable unit: the embedding, a transformer layer, an MTP module or the head.
struct LayerWorkload {
  int index = 0;   //!< position in build order; transformer layer l has index l + 1
  int layer = -1;  //!< model layer id (MTP: n_layers + d), -1 for embedding and head
  LayerKind kind = LayerKind::kDense;
  std::vector<Op> attention;  //!< norms, projections, RoPE, attention core, output projection
  std::vector<Op> mlp;        //!< norm, router, shared expert, routed experts, dense FFN, head
  LayerComm comm;

  [[nodiscard]] Flops fwd_flops() const;
  [[nodiscard]] Flops bwd_input_flops() const;
  [[nodiscard]] Flops bwd_weight_flops() const;
};

//! What one GPU computes per micro-batch.
struct WorkloadShape {
  std::int64_t tokens = 4096;  //!< micro_batch_size * seq_len
  int seq_len = 4096;
  int tp = 1;
  int ep = 1;
  Precision gemm_precision = Precision::kBf16;
  int experts_per_rank = 0;  //!< 0: n_routed_experts / ep
  int gpus_per_node = 8;     //!< to turn EP ranks into nodes for the dispatch fan-out
  int node_limit = 0;        //!< max nodes per token (0: the model's n_limited_groups if grouped)
};

//! Shape of one micro-batch of `plan` (tokens, TP, EP, precision, node limit).
[[nodiscard]] WorkloadShape shape_from_plan(const ParallelPlan& plan, int gpus_per_node = 8);

//! Embedding, n_layers transformer layers, mtp_depth MTP modules, head, in this order.
[[nodiscard]] std::vector<LayerWorkload> build_workload(const ModelConfig& m,
                                                        const WorkloadShape& s);

//! Expected number of distinct bins hit when k of `items` items are drawn without replacement and
//! the items are split evenly over `bins` bins: bins * (1 - C(items - items/bins, k) / C(items,
//! k)).
[[nodiscard]] double expected_distinct_bins(int items, int bins, int k);

//! Kernel launches of one pass of `op` (0 when the pass has no work).
[[nodiscard]] int launches(const Op& op, int pass);

}  // namespace hopsim
