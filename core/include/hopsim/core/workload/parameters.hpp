#pragma once
//! Exact parameter counts of a transformer, split by part (attention, experts, FFN, norms, ...).
//! Totals follow the published conventions; docs/MODEL.md §1 gives every equation.

#include <cstdint>

#include "hopsim/core/model.hpp"

namespace hopsim {

//! Parameter counts in elements. Main-model parts exclude the MTP module, which is `mtp`.
struct ParameterCount {
  std::int64_t embedding = 0;
  std::int64_t attention = 0;   //!< all layers; MLA includes q_norm and kv_norm
  std::int64_t moe_routed = 0;  //!< all routed experts of all MoE layers
  std::int64_t moe_shared = 0;
  std::int64_t moe_gate = 0;  //!< router weight (+ sigmoid bias for aux-loss-free balancing)
  std::int64_t dense_ffn = 0;
  std::int64_t norms = 0;  //!< per-layer attention/FFN RMSNorms and the final norm
  std::int64_t output_head = 0;
  std::int64_t mtp = 0;         //!< unique MTP parameters (embedding and head are shared)
  std::int64_t mtp_active = 0;  //!< MTP parameters a token activates (top-k routed experts)

  std::int64_t total = 0;             //!< main model
  std::int64_t total_with_mtp = 0;    //!< main model + unique MTP parameters
  std::int64_t active_per_token = 0;  //!< main model, routed experts counted top-k of n
  std::int64_t active_with_mtp = 0;
};

//! Parameters of one transformer layer, split into what data parallelism replicates (dense) and
//! what expert parallelism shards (routed experts).
struct LayerParameters {
  std::int64_t attention = 0;
  std::int64_t ffn_dense = 0;  //!< dense FFN, shared experts and router
  std::int64_t routed = 0;     //!< all routed experts of the layer
  std::int64_t norms = 0;
  [[nodiscard]] std::int64_t total() const { return attention + ffn_dense + routed + norms; }
};

[[nodiscard]] ParameterCount count_parameters(const ModelConfig& m);

//! Attention parameters of one layer (MLA, MHA or GQA).
[[nodiscard]] std::int64_t attention_parameters(const ModelConfig& m);
//! The norm weights inside attention_parameters: MLA's q_norm and kv_norm on its latents (0 for
//! MHA and GQA).
[[nodiscard]] std::int64_t attention_norm_parameters(const ModelConfig& m);
//! Parameters of one SwiGLU expert (gate, up, down) of the MoE.
[[nodiscard]] std::int64_t expert_parameters(const ModelConfig& m);
//! Parameters of transformer layer `layer`; layers >= n_layers are MTP blocks (MoE if the model
//! has MoE), without the MTP-specific norms and projection.
[[nodiscard]] LayerParameters layer_parameters(const ModelConfig& m, int layer);
//! MTP-specific parameters beyond its transformer block: enorm, hnorm, the head's norm and the
//! 2*hidden -> hidden projection.
[[nodiscard]] std::int64_t mtp_extra_parameters(const ModelConfig& m);

}  // namespace hopsim
