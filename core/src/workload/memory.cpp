#include "hopsim/core/workload/memory.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/parameters.hpp"
#include "hopsim/core/workload/placement.hpp"

namespace hopsim {
namespace {

using I = std::int64_t;

double state_bytes(StateDtype d) {
  return bytes_of(d);
}

Bytes round_bytes(double v) {
  return Bytes(static_cast<I>(std::llround(v)));
}

void check_plan(const ParallelPlan& p) {
  if (p.pp <= 0 || p.dp <= 0 || p.tp <= 0 || p.ep <= 0 || p.micro_batch_size <= 0 ||
      p.seq_len <= 0 || p.micro_batches <= 0) {
    throw PlanError("plan: pp, dp, tp, ep, micro_batch_size, micro_batches, seq_len must be > 0");
  }
  if ((p.dp * p.tp) % p.ep != 0) {
    throw PlanError("plan: ep " + std::to_string(p.ep) + " does not divide dp*tp " +
                    std::to_string(p.dp * p.tp));
  }
  if (p.zero_stage < 0 || p.zero_stage > 3) throw PlanError("plan: zero_stage must be 0..3");
}

}  // namespace

std::vector<int> stages_of_rank(const ParallelPlan& plan, int rank) {
  const int pp = plan.pp;
  switch (plan.schedule) {
    case ScheduleKind::kDualPipe:
      // Rank r holds stage r and stage PP-1-r (deepseek-ai/DualPipe @3da1bbea
      // examples/example_dualpipe.py).
      return {rank, pp - 1 - rank};
    case ScheduleKind::kDualPipeV:
      return {rank, 2 * pp - 1 - rank};
    case ScheduleKind::kInterleaved1F1B: {
      std::vector<int> v;
      for (int i = 0; i < std::max(1, plan.virtual_stages); ++i) v.push_back(rank + i * pp);
      return v;
    }
    default:
      return {rank};
  }
}

double in_flight_micro_batches(const ParallelPlan& plan, int rank) {
  const double pp = plan.pp;
  const double mb = plan.micro_batches;
  switch (plan.schedule) {
    case ScheduleKind::k1F1B:
    case ScheduleKind::kZbH1:
      // Rank r warms up with PP-r forwards before its first backward (ZB-H1 keeps 1F1B's peak).
      return std::min(pp - rank, mb);
    case ScheduleKind::kInterleaved1F1B: {
      // Megatron-LM warm-up: 2(PP-r-1) + (v-1)PP chunks, plus the one in progress; with
      // forward/backward pairs one more warm-up forward (NVIDIA/Megatron-LM
      // megatron/core/pipeline_parallel/schedules.py, get_pp_rank_microbatches).
      // With micro_batches == PP and no pairs every forward runs first (sim/schedule).
      const double v = std::max(1, plan.virtual_stages);
      if (mb == pp && !plan.fb_overlap) return mb * v;
      const double extra = plan.fb_overlap ? 1.0 : 0.0;
      return std::min(2.0 * (pp - rank - 1) + (v - 1.0) * pp + 1.0 + extra, mb * v);
    }
    case ScheduleKind::kDualPipe:
      // DeepSeek-V3 report Table 2: PP+1 stage activations; num_chunks counts both directions.
      return std::min(pp + 1.0, mb);
    case ScheduleKind::kDualPipeV:
      // deepseek-ai/DualPipe README.md @3da1bbea: PP+1 where PP counts stages (2x ranks).
      return std::min(2.0 * pp + 1.0, 2.0 * mb);
  }
  return pp;
}

Bytes activation_bytes_per_layer(const ModelConfig& m, const ParallelPlan& plan, int layer) {
  const RecomputeConfig& rc = plan.recompute;
  const bool fp8 = plan.gemm_precision == Precision::kFp8;
  const double tokens = static_cast<double>(plan.micro_batch_size) * plan.seq_len;
  const double h = m.hidden;
  const double tp = plan.tp;
  // GEMM inputs are cached in FP8 with a 1x128 FP32 scale when GEMMs run in FP8 (DeepSeek-V3 report
  // §3.3.2).
  const double a = fp8 ? 1.0 + 4.0 / 128.0 : 2.0;
  const double bf = 2.0;
  const bool mtp = layer >= m.n_layers;
  double t = 0;  // bytes per token
  if (rc.full) {
    t = h * bf;  // only the layer input; the whole layer is recomputed in backward
    if (mtp) t += h * bf;
    return round_bytes(t * tokens);
  }
  // Attention half.
  t += h * bf;                  // layer input (residual, norm backward)
  if (!rc.rmsnorm) t += h * a;  // normalised input of the down/q/k/v projections
  if (m.attention == AttentionKind::kMla) {
    const MlaConfig& c = *m.mla;
    const double hl = m.n_heads / tp;
    if (c.q_lora_rank > 0) {
      t += c.q_lora_rank * bf;                  // c_q before q_norm
      if (!rc.rmsnorm) t += c.q_lora_rank * a;  // q_norm output (wq_b input)
    }
    t += (c.kv_lora_rank + c.qk_rope_head_dim) * bf;  // kv latent + k_pe before kv_norm / RoPE
    if (!rc.rmsnorm) t += c.kv_lora_rank * a;         // kv_norm output (wkv_b input)
    if (!rc.mla_up_projection) t += hl * (2.0 * c.qk_head_dim() + c.v_head_dim) * bf;  // q, k, v
    // Attention output (input of wo): E5M6 in DeepSeek's FP8 recipe (DeepSeek-V3 report §3.3.2), 12
    // bits.
    t += hl * c.v_head_dim * (fp8 ? 1.5 : bf) + hl * 4.0;  // + log-sum-exp
  } else {
    const double hl = m.n_heads / tp;
    const double kvh = (m.attention == AttentionKind::kMha ? m.n_heads : m.n_kv_heads) / tp;
    t += (hl + 2.0 * kvh) * m.head_dim * bf;  // q, k, v after RoPE
    t += hl * m.head_dim * (fp8 ? 1.5 : bf) + hl * 4.0;
  }
  if (mtp) t += h * bf + 2.0 * h * a;  // shifted-token embedding; [h; e] input of eh_proj
  // MLP half.
  t += h * bf;
  if (!rc.rmsnorm) t += h * a;
  const double swiglu_in = fp8 ? a : bf;  // SwiGLU inputs cached in FP8 (DeepSeek-V3 report §3.3.2)
  auto ffn = [&](double inter) {
    double f = 2.0 * inter * swiglu_in;  // gate/up output = SwiGLU input
    if (!rc.swiglu) f += inter * a;      // SwiGLU output = down-projection input
    return f;
  };
  const bool moe = mtp ? m.moe.has_value() : m.is_moe_layer(layer);
  if (!moe) {
    t += ffn(m.dense_inter_dim / tp);
  } else {
    const MoeConfig& e = *m.moe;
    t += e.n_routed_experts * 4.0 + e.n_activated_experts * 8.0;  // scores; top-k ids + weights
    if (e.n_shared_experts > 0) {
      t += h * (rc.rmsnorm ? a : 0.0);  // shared-expert input when the norm output is not kept
      t += ffn(static_cast<double>(e.n_shared_experts) * e.moe_inter_dim / tp);
    }
    // Balanced routing: T * top-k received rows per GPU; each keeps its FP8 input and SwiGLU
    // state. Its output is not kept: the routing weight's gradient <dy, W_down s> equals
    // <W_down^T dy, s>, and W_down^T dy (the down projection's input gradient) and the SwiGLU
    // output s are both at hand in backward.
    t += e.n_activated_experts * (h * a + ffn(e.moe_inter_dim));
  }
  return round_bytes(t * tokens);
}

BlockParameters block_parameters(const ModelConfig& m, const ParallelPlan& p, int layer) {
  const I emb = I{m.vocab} * m.hidden / p.tp;
  BlockParameters b;
  if (layer == kEmbeddingBlock) {
    b.dense = emb;
    b.high_precision = b.dense;
  } else if (layer == kHeadBlock) {
    b.dense = (m.tie_embeddings ? 0 : emb) + m.hidden;  // head + final norm
    b.high_precision = b.dense;
  } else {
    const LayerParameters lp = layer_parameters(m, layer);
    b.dense = (lp.attention + lp.ffn_dense) / p.tp + lp.norms;
    b.high_precision = lp.norms + attention_norm_parameters(m);
    if (layer >= m.n_layers) {
      b.dense += mtp_extra_parameters(m);
      b.high_precision += mtp_extra_parameters(m);
    }
    b.expert = lp.routed / p.ep;
  }
  return b;
}

std::vector<MemoryBreakdown> memory_per_rank(const Scenario& s, Bytes reserve) {
  check_plan(s.plan);
  return memory_per_rank(s, place_stages(s, pipeline_stages(s.plan)), reserve);
}

std::vector<MemoryBreakdown> memory_per_rank(const Scenario& s, const StagePlacement& placement,
                                             Bytes reserve) {
  const ModelConfig& m = s.model;
  const ParallelPlan& p = s.plan;
  check_plan(p);
  const int n_stages = pipeline_stages(p);
  if (placement.stages() != n_stages) {
    throw PlanError("memory: a placement of " + std::to_string(placement.stages()) +
                    " stages for a plan of " + std::to_string(n_stages));
  }
  const double tokens = static_cast<double>(p.micro_batch_size) * p.seq_len;
  const double dense_dp = p.dp;
  const double expert_dp = static_cast<double>(p.dp) * p.tp / p.ep;

  std::vector<MemoryBreakdown> out;
  for (int r = 0; r < p.pp; ++r) {
    MemoryBreakdown mb;
    mb.rank = r;
    mb.stages = stages_of_rank(p, r);
    std::sort(mb.stages.begin(), mb.stages.end());
    mb.stages.erase(std::unique(mb.stages.begin(), mb.stages.end()), mb.stages.end());
    double act = 0;
    const auto hold = [&](int block) {
      const BlockParameters bp = block_parameters(m, p, block);
      mb.dense_parameters += bp.dense;
      mb.expert_parameters += bp.expert;
      mb.high_precision_parameters += bp.high_precision;
    };
    for (int st : mb.stages) {
      const int lo = placement.first[static_cast<std::size_t>(st)];
      const int hi = lo + placement.count[static_cast<std::size_t>(st)];
      for (int l = lo; l < hi; ++l) {
        hold(l);
        act += static_cast<double>(activation_bytes_per_layer(m, p, l).value());
        ++mb.layers;
        if (l >= m.n_layers) {
          // The MTP head's logits (BF16), kept once like the main head's.
          mb.loss_activations += round_bytes(tokens * m.vocab / p.tp * 2.0);
        }
      }
      if (st == 0) {
        mb.has_embedding = true;
        hold(kEmbeddingBlock);
      }
      if (st == n_stages - 1) {
        mb.has_head = true;
        hold(kHeadBlock);
        // Final-norm input and BF16 logits for the cross-entropy backward.
        mb.loss_activations += round_bytes(tokens * (m.hidden * 2.0 + m.vocab / p.tp * 2.0));
      }
    }
    const double dense = static_cast<double>(mb.dense_parameters);
    const double expert = static_cast<double>(mb.expert_parameters);
    // Parameter-sized state, sharded over its data-parallel group when ZeRO covers it.
    auto state = [&](double bytes_per_param, bool sharded) {
      return round_bytes(bytes_per_param *
                         (sharded ? dense / dense_dp + expert / expert_dp : dense + expert));
    };
    const OptimizerStateConfig& o = p.optimizer;
    mb.weights = state(2.0, p.zero_stage >= 3);  // BF16 working copy
    mb.gradients = state(state_bytes(o.gradients), p.zero_stage >= 2);
    mb.master_weights = state(state_bytes(o.master_weights), p.zero_stage >= 1);
    mb.optimizer_moments = state(2.0 * state_bytes(o.moments), p.zero_stage >= 1);
    mb.activation_per_micro_batch = round_bytes(act / static_cast<double>(mb.stages.size()));
    mb.in_flight = in_flight_micro_batches(p, r);
    mb.activations =
        round_bytes(mb.in_flight * static_cast<double>(mb.activation_per_micro_batch.value())) +
        mb.loss_activations;
    mb.reserve = reserve;
    mb.total = mb.weights + mb.gradients + mb.master_weights + mb.optimizer_moments +
               mb.activations + mb.reserve;
    mb.capacity = s.cluster.gpu.hbm_capacity;
    mb.fits = mb.total <= mb.capacity;
    out.push_back(std::move(mb));
  }
  return out;
}

MemoryBreakdown memory_per_gpu(const Scenario& s, Bytes reserve) {
  return worst_rank(memory_per_rank(s, reserve));
}

MemoryBreakdown worst_rank(std::vector<MemoryBreakdown> all) {
  if (all.empty()) throw PlanError("memory: no pipeline ranks");
  auto it = std::max_element(
      all.begin(), all.end(),
      [](const MemoryBreakdown& a, const MemoryBreakdown& b) { return a.total < b.total; });
  return *it;
}

}  // namespace hopsim
