#pragma once
//! Model presets for tests, built in C++ so that core tests do not depend on YAML loading.
//! Each field cites where it comes from.

#include "hopsim/core/model.hpp"

namespace hopsim::test {

//! DeepSeek-V3 671B: deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json @9b4e9788; MTP
//! depth 1 from DeepSeek-V3 report (arXiv 2412.19437) §4.2, p.22.
inline ModelConfig deepseek_v3() {
  ModelConfig m;
  m.name = "DeepSeek-V3";
  m.n_layers = 61;
  m.hidden = 7168;
  m.vocab = 129280;
  m.n_heads = 128;
  m.n_kv_heads = 128;
  m.attention = AttentionKind::kMla;
  m.mla = MlaConfig{1536, 512, 128, 64, 128};
  m.dense_inter_dim = 18432;
  MoeConfig e;
  e.n_routed_experts = 256;
  e.n_shared_experts = 1;
  e.n_activated_experts = 8;
  e.moe_inter_dim = 2048;
  e.n_expert_groups = 8;
  e.n_limited_groups = 4;
  e.first_k_dense = 3;
  e.route_scale = 2.5;
  e.score_func = ScoreFunc::kSigmoid;
  m.moe = e;
  m.mtp_depth = 1;
  return m;
}

//! DeepSeek-V2-Lite: the Hugging Face config.json of deepseek-ai/DeepSeek-V2-Lite(-Chat)
//! (hidden 2048, 27 layers, first_k_dense_replace 1, intermediate 10944, moe_intermediate 1408,
//! 64 routed + 2 shared experts, top-6, 16 heads, q_lora_rank null, kv_lora_rank 512,
//! qk_nope 128, qk_rope 64, v 128, vocab 102400, softmax gating, untied embeddings).
inline ModelConfig deepseek_v2_lite() {
  ModelConfig m;
  m.name = "DeepSeek-V2-Lite";
  m.n_layers = 27;
  m.hidden = 2048;
  m.vocab = 102400;
  m.n_heads = 16;
  m.n_kv_heads = 16;
  m.attention = AttentionKind::kMla;
  m.mla = MlaConfig{0, 512, 128, 64, 128};
  m.dense_inter_dim = 10944;
  MoeConfig e;
  e.n_routed_experts = 64;
  e.n_shared_experts = 2;
  e.n_activated_experts = 6;
  e.moe_inter_dim = 1408;
  e.first_k_dense = 1;
  e.score_func = ScoreFunc::kSoftmax;
  m.moe = e;
  return m;
}

//! Llama-3-70B: meta-llama/Meta-Llama-3-70B config.json (hidden 8192, 80 layers, 64 heads,
//! 8 KV heads, head dim 128, intermediate 28672, vocab 128256, untied embeddings).
inline ModelConfig llama3_70b() {
  ModelConfig m;
  m.name = "Llama-3-70B";
  m.n_layers = 80;
  m.hidden = 8192;
  m.vocab = 128256;
  m.n_heads = 64;
  m.n_kv_heads = 8;
  m.head_dim = 128;
  m.attention = AttentionKind::kGqa;
  m.dense_inter_dim = 28672;
  return m;
}

}  // namespace hopsim::test
