#pragma once
//! Training FLOPs and KV-cache bytes per token: the model-level totals of the op table, for
//! comparison with published figures (docs/MODEL.md §2 and §3).

#include <cstdint>

#include "hopsim/core/model.hpp"
#include "hopsim/core/units.hpp"

namespace hopsim {

//! FLOPs per token of one training step, split into forward, backward-input (B) and
//! backward-weight (W), and into matmuls (GEMMs, router, head), attention core and the rest.
struct FlopsPerToken {
  Flops matmul_fwd{};
  Flops matmul_bwd_input{};
  Flops matmul_bwd_weight{};
  Flops attention_fwd{};
  Flops attention_bwd_input{};  //!< 2.6x forward for MLA's 192/128 head dims (recomputed QK^T)
  Flops other_fwd{};            //!< norms, RoPE, SwiGLU, quantisation, softmax of the loss
  Flops other_bwd{};
  [[nodiscard]] Flops matmul() const { return matmul_fwd + matmul_bwd_input + matmul_bwd_weight; }
  [[nodiscard]] Flops attention() const { return attention_fwd + attention_bwd_input; }
  [[nodiscard]] Flops total() const { return matmul() + attention() + other_fwd + other_bwd; }
};

//! Per token at sequence length `seq_len`, causal, no parallelism. MTP modules are included only
//! when `include_mtp` is set.
[[nodiscard]] FlopsPerToken training_flops(const ModelConfig& m, int seq_len,
                                           bool include_mtp = false);

//! KV cache per token over all main-model layers, and what MHA / GQA would need instead.
struct KvCacheBytes {
  std::int64_t elements_per_layer = 0;  //!< MLA: kv_lora_rank + qk_rope_head_dim
  Bytes per_token{};                    //!< this model as configured
  Bytes mha_equivalent{};               //!< every head caches its own K and V
  Bytes gqa_equivalent{};               //!< `gqa_groups` K/V heads shared by all query heads
  int gqa_groups = 0;
};

[[nodiscard]] KvCacheBytes kv_cache_per_token(const ModelConfig& m, int dtype_bytes,
                                              int gqa_groups = 8);

}  // namespace hopsim
