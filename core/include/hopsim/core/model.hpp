#pragma once
//! Transformer model description: attention (MHA, GQA or MLA), FFN (dense or fine-grained MoE)
//! and multi-token prediction. Field names follow DeepSeek-V3's config_671B.json where they exist.

#include <optional>
#include <string>

namespace hopsim {

enum class AttentionKind { kMha, kGqa, kMla };

//! Multi-head latent attention (DeepSeek-V2/V3). q_lora_rank == 0 means queries are not compressed.
struct MlaConfig {
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  [[nodiscard]] int qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

enum class ScoreFunc { kSoftmax, kSigmoid };

//! Fine-grained mixture of experts with shared experts and node/group-limited routing.
struct MoeConfig {
  int n_routed_experts = 0;
  int n_shared_experts = 0;
  int n_activated_experts = 0;  //!< top-k routed experts per token
  int moe_inter_dim = 0;
  int n_expert_groups = 1;
  int n_limited_groups = 1;  //!< groups (DeepSeek-V3: nodes) a token may be routed to
  int first_k_dense = 0;     //!< the first k layers use a dense FFN instead
  double route_scale = 1.0;
  ScoreFunc score_func = ScoreFunc::kSoftmax;
};

struct ModelConfig {
  std::string name;
  int n_layers = 0;
  int hidden = 0;
  int vocab = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  //!< MHA: == n_heads; GQA: fewer; MLA: unused
  int head_dim = 0;    //!< MHA/GQA head dimension
  AttentionKind attention = AttentionKind::kMha;
  std::optional<MlaConfig> mla;
  int dense_inter_dim = 0;  //!< dense FFN intermediate size (SwiGLU: gate, up, down)
  std::optional<MoeConfig> moe;
  int mtp_depth = 0;  //!< multi-token-prediction modules (DeepSeek-V3: 1)
  bool tie_embeddings = false;

  [[nodiscard]] bool is_moe_layer(int layer) const {
    return moe.has_value() && layer >= moe->first_k_dense;
  }
};

}  // namespace hopsim
