#include "hopsim/core/workload/flops.hpp"

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/workload.hpp"

namespace hopsim {
namespace {

bool is_matmul(OpKind k) {
  return k == OpKind::kGemm || k == OpKind::kGroupedGemm || k == OpKind::kRouter;
}

void accumulate(FlopsPerToken& f, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    if (is_matmul(op.kind)) {
      f.matmul_fwd += op.fwd;
      f.matmul_bwd_input += op.bwd_input;
      f.matmul_bwd_weight += op.bwd_weight;
    } else if (op.kind == OpKind::kAttention) {
      f.attention_fwd += op.fwd;
      f.attention_bwd_input += op.bwd_input + op.bwd_weight;
    } else {
      f.other_fwd += op.fwd;
      f.other_bwd += op.bwd_input + op.bwd_weight;
    }
  }
}

}  // namespace

FlopsPerToken training_flops(const ModelConfig& m, int seq_len, bool include_mtp) {
  if (seq_len <= 0) throw PlanError("training_flops: seq_len must be positive");
  // The op table of one sequence without parallelism (all experts on one rank) is exactly the
  // model-level count; dividing by its tokens gives per-token figures.
  WorkloadShape s;
  s.tokens = seq_len;
  s.seq_len = seq_len;
  s.tp = 1;
  s.ep = 1;
  FlopsPerToken f;
  for (const LayerWorkload& lw : build_workload(m, s)) {
    if (lw.kind == LayerKind::kMtp && !include_mtp) continue;
    accumulate(f, lw.attention);
    accumulate(f, lw.mlp);
  }
  const double t = seq_len;
  f.matmul_fwd = f.matmul_fwd / t;
  f.matmul_bwd_input = f.matmul_bwd_input / t;
  f.matmul_bwd_weight = f.matmul_bwd_weight / t;
  f.attention_fwd = f.attention_fwd / t;
  f.attention_bwd_input = f.attention_bwd_input / t;
  f.other_fwd = f.other_fwd / t;
  f.other_bwd = f.other_bwd / t;
  return f;
}

KvCacheBytes kv_cache_per_token(const ModelConfig& m, int dtype_bytes, int gqa_groups) {
  if (dtype_bytes <= 0 || gqa_groups <= 0) {
    throw PlanError("kv_cache_per_token: dtype_bytes and gqa_groups must be positive");
  }
  using I = std::int64_t;
  KvCacheBytes kv;
  kv.gqa_groups = gqa_groups;
  I k_dim = m.head_dim, v_dim = m.head_dim;
  if (m.attention == AttentionKind::kMla) {
    if (!m.mla) throw PlanError("model '" + m.name + "': MLA attention without an mla section");
    // MLA caches the compressed latent and the shared RoPE key (DeepSeek-V3 report §2.1.1).
    kv.elements_per_layer = I{m.mla->kv_lora_rank} + m.mla->qk_rope_head_dim;
    k_dim = m.mla->qk_head_dim();
    v_dim = m.mla->v_head_dim;
  } else {
    const I kvh = m.attention == AttentionKind::kMha ? m.n_heads : m.n_kv_heads;
    kv.elements_per_layer = kvh * (k_dim + v_dim);
  }
  const I layers = m.n_layers;
  kv.per_token = Bytes(kv.elements_per_layer * layers * dtype_bytes);
  kv.mha_equivalent = Bytes(I{m.n_heads} * (k_dim + v_dim) * layers * dtype_bytes);
  kv.gqa_equivalent = Bytes(I{gqa_groups} * (k_dim + v_dim) * layers * dtype_bytes);
  return kv;
}

}  // namespace hopsim
