#include "hopsim/core/workload/parameters.hpp"

#include "hopsim/core/error.hpp"

namespace hopsim {
namespace {

using I = std::int64_t;

I gate_parameters(const ModelConfig& m) {
  if (!m.moe) return 0;
  const I e = m.moe->n_routed_experts;
  // Sigmoid routing carries the aux-loss-free balancing bias, one per expert (DeepSeek-V3 report
  // §2.1.2).
  const I bias = m.moe->score_func == ScoreFunc::kSigmoid ? e : 0;
  return e * m.hidden + bias;
}

}  // namespace

I attention_parameters(const ModelConfig& m) {
  const I h = m.hidden;
  const I nh = m.n_heads;
  if (m.attention == AttentionKind::kMla) {
    if (!m.mla) throw PlanError("model '" + m.name + "': MLA attention without an mla section");
    const MlaConfig& a = *m.mla;
    const I qk = a.qk_head_dim();
    I q = 0;
    if (a.q_lora_rank > 0) {
      q = h * a.q_lora_rank + a.q_lora_rank + I{a.q_lora_rank} * nh * qk;  // wq_a, q_norm, wq_b
    } else {
      q = h * nh * qk;  // wq
    }
    const I kv =
        h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank +
        I{a.kv_lora_rank} * nh * (a.qk_nope_head_dim + a.v_head_dim);  // wkv_a, norm, wkv_b
    const I o = nh * a.v_head_dim * h;
    return q + kv + o;
  }
  const I hd = m.head_dim;
  const I kvh = m.attention == AttentionKind::kMha ? nh : m.n_kv_heads;
  return h * nh * hd + 2 * h * kvh * hd + nh * hd * h;
}

I attention_norm_parameters(const ModelConfig& m) {
  if (m.attention != AttentionKind::kMla || !m.mla) return 0;
  return I{m.mla->q_lora_rank} + m.mla->kv_lora_rank;  // q_norm (0 without q_lora), kv_norm
}

I expert_parameters(const ModelConfig& m) {
  if (!m.moe) return 0;
  return I{3} * m.hidden * m.moe->moe_inter_dim;
}

LayerParameters layer_parameters(const ModelConfig& m, int layer) {
  LayerParameters p;
  p.attention = attention_parameters(m);
  p.norms = I{2} * m.hidden;
  const bool moe = layer >= m.n_layers ? m.moe.has_value() : m.is_moe_layer(layer);
  if (moe) {
    p.routed = I{m.moe->n_routed_experts} * expert_parameters(m);
    p.ffn_dense = I{m.moe->n_shared_experts} * expert_parameters(m) + gate_parameters(m);
  } else {
    p.ffn_dense = I{3} * m.hidden * m.dense_inter_dim;
  }
  return p;
}

I mtp_extra_parameters(const ModelConfig& m) {
  const I h = m.hidden;
  return 3 * h + 2 * h * h;  // enorm, hnorm, shared_head.norm; eh_proj (deepseek-ai/DeepSeek-V3
                             // README_WEIGHTS.md @9b4e978)
}

ParameterCount count_parameters(const ModelConfig& m) {
  if (m.n_layers <= 0 || m.hidden <= 0 || m.vocab <= 0) {
    throw PlanError("model '" + m.name + "': n_layers, hidden and vocab must be positive");
  }
  ParameterCount c;
  const I h = m.hidden;
  c.embedding = I{m.vocab} * h;
  c.output_head = m.tie_embeddings ? 0 : I{m.vocab} * h;
  const I expert = expert_parameters(m);
  I routed_active_per_layer = 0;
  for (int l = 0; l < m.n_layers; ++l) {
    c.attention += attention_parameters(m);
    c.norms += 2 * h;
    if (m.is_moe_layer(l)) {
      c.moe_routed += I{m.moe->n_routed_experts} * expert;
      c.moe_shared += I{m.moe->n_shared_experts} * expert;
      c.moe_gate += gate_parameters(m);
      routed_active_per_layer += I{m.moe->n_activated_experts} * expert;
    } else {
      c.dense_ffn += I{3} * h * m.dense_inter_dim;
    }
  }
  c.norms += h;  // final norm
  c.total = c.embedding + c.attention + c.moe_routed + c.moe_shared + c.moe_gate + c.dense_ffn +
            c.norms + c.output_head;
  c.active_per_token = c.total - c.moe_routed + routed_active_per_layer;

  for (int d = 0; d < m.mtp_depth; ++d) {
    const LayerParameters block = layer_parameters(m, m.n_layers + d);
    c.mtp += block.total() + mtp_extra_parameters(m);
    const I routed_active = m.moe ? I{m.moe->n_activated_experts} * expert : 0;
    c.mtp_active += block.total() - block.routed + routed_active + mtp_extra_parameters(m);
  }
  c.total_with_mtp = c.total + c.mtp;
  c.active_with_mtp = c.active_per_token + c.mtp_active;
  return c;
}

}  // namespace hopsim
