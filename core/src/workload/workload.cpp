#include "hopsim/core/workload/workload.hpp"

#include <cmath>
#include <string>

#include "hopsim/core/enum_names.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim {
namespace {

using I = std::int64_t;

// FP8 block scaling: one FP32 scale per 1x128 activation tile and per 128x128 weight block
// (DeepSeek-V3 report §3.3).
constexpr double kTile = 128.0;
constexpr double kScaleBytes = 4.0;
constexpr double kBf16 = 2.0;
constexpr double kFp32 = 4.0;

Bytes B(double v) {
  return Bytes(static_cast<I>(std::llround(v)));
}
Flops F(double v) {
  return Flops(v);
}

//! An op with its name, kind and compute dtype; shape and costs still zero.
Op make_op(std::string name, OpKind kind, std::string dtype) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.dtype = std::move(dtype);
  return op;
}

//! Inputs and outputs of one GEMM as the kernel sees them.
Op gemm(std::string name, double m, double n, double k, bool fp8, int groups = 1,
        OpKind kind = OpKind::kGemm) {
  Op op = make_op(std::move(name), kind, fp8 ? "fp8" : "bf16");
  op.m = static_cast<I>(std::ceil(m));
  op.n = static_cast<I>(n);
  op.k = static_cast<I>(k);
  op.groups = groups;
  const double g = groups;
  const double f = 2.0 * m * n * k * g;
  op.fwd = op.bwd_input = op.bwd_weight = F(f);
  const double a = fp8 ? 1.0 : kBf16;
  const double act_scales = fp8 ? kScaleBytes / kTile : 0.0;  // per activation element
  const double wb = fp8 ? kFp8WeightBytes : kBf16;            // per weight element
  const double x = g * m * k, w = g * k * n, y = g * m * n;
  op.bytes_fwd = {B(x * (a + act_scales) + w * wb), B(y * kBf16)};
  // B: dX = dY W^T (dY quantised like X in FP8 mode). W: dW = X^T dY, accumulated in FP32.
  op.bytes_bwd_input = {B(y * (a + act_scales) + w * wb), B(x * kBf16)};
  op.bytes_bwd_weight = {B(x * (a + act_scales) + y * (a + act_scales)), B(w * kFp32)};
  return op;
}

//! FP8 backward of one GEMM needs its operands re-quantised along the other axis (DeepSeek-V3
//! §3.3.2: 1x128 tiles in forward become 128x1 for the weight gradient): in B the incoming BF16
//! gradient dY is cast to FP8 row-wise and column-wise (`per_channel_cast_and_transpose`), in W
//! the cached FP8 input X is transposed (`batched_transpose`). One kernel per pass.
Op fp8_backward_casts(const Op& g) {
  Op op = make_op(g.name + "_cast_transpose", OpKind::kQuantize, "fp8");
  const auto d = [](I v) { return static_cast<double>(v); };
  const double x = g.groups * d(g.m) * d(g.k);
  const double y = g.groups * d(g.m) * d(g.n);
  const double fp8 = 1.0 + kScaleBytes / kTile;
  op.m = g.m;
  op.n = g.n;
  op.bwd_input = F(3.0 * y);
  op.bytes_bwd_input = {B(y * kBf16), B(2.0 * y * fp8)};
  op.bytes_bwd_weight = {B(x * fp8), B(x * fp8)};
  op.launches_fwd = 0;
  return op;
}

//! A memory-bound op over `elems` elements; backward (input gradient) reads the saved input and
//! the incoming gradient and writes one gradient.
Op pointwise(std::string name, OpKind kind, double elems, double flops_per_elem, double in_bytes,
             double out_bytes) {
  Op op = make_op(std::move(name), kind, "bf16");
  op.m = static_cast<I>(elems);
  op.fwd = F(elems * flops_per_elem);
  op.bwd_input = F(2.0 * elems * flops_per_elem);
  op.bytes_fwd = {B(elems * in_bytes), B(elems * out_bytes)};
  op.bytes_bwd_input = {B(elems * (in_bytes + out_bytes)), B(elems * in_bytes)};
  return op;
}

//! A pointwise op over a rows x dim matrix: `pointwise` over its elements, shaped m = rows,
//! n = dim.
Op pointwise_rows(std::string name, OpKind kind, double rows, double dim, double flops_per_elem,
                  double in_bytes, double out_bytes) {
  Op op = pointwise(std::move(name), kind, rows * dim, flops_per_elem, in_bytes, out_bytes);
  op.m = static_cast<I>(rows);
  op.n = static_cast<I>(dim);
  return op;
}

// RMSNorm: square, accumulate, scale, weight multiply = 4 FLOPs per element; the tiny weight
// gradient is fused into the input-gradient kernel.
Op rmsnorm(std::string name, double rows, double dim) {
  return pointwise_rows(std::move(name), OpKind::kNorm, rows, dim, 4.0, kBf16, kBf16);
}

// Per-tile abs-max, scale, cast: ~3 FLOPs per element; BF16 in, FP8 + scales out. Backward
// quantises the incoming gradient the same way.
Op quantize(std::string name, double rows, double dim) {
  Op op = pointwise_rows(std::move(name), OpKind::kQuantize, rows, dim, 3.0, kBf16,
                         1.0 + kScaleBytes / kTile);
  op.dtype = "fp8";
  op.bwd_input = op.fwd;
  op.bytes_bwd_input = op.bytes_fwd;
  return op;
}

// Rotation of pairs: 2 multiplies + 1 add per element (cos/sin tables are negligible).
Op rope(std::string name, double rows, double dim) {
  return pointwise_rows(std::move(name), OpKind::kElementwise, rows, dim, 3.0, kBf16, kBf16);
}

// SwiGLU silu(g) * u over `inter` outputs: reads g and u, writes one; ~6 FLOPs per output.
Op swiglu(std::string name, double rows, double inter) {
  return pointwise_rows(std::move(name), OpKind::kElementwise, rows, inter, 6.0, 2.0 * kBf16,
                        kBf16);
}

//! Causal attention core, FlashAttention-style: forward QK^T (d_qk) and PV (d_v) over half the keys
//! on average; backward recomputes S = QK^T and computes dV = P^T dO, dP = dO V^T, dQ = dS K and
//! dK = dS^T Q: three products over d_qk and two over d_v (FlashAttention-2, arXiv 2307.08691,
//! Algorithm 2), so 2.5x forward only when d_qk = d_v (MLA's 192/128: 2.6x). All input gradient.
Op attention_core(double tokens, double seq, double q_heads, double kv_heads, double dqk,
                  double dv) {
  Op op = make_op("attention_core", OpKind::kAttention, "bf16");
  op.m = static_cast<I>(tokens);
  op.n = static_cast<I>(seq);
  op.k = static_cast<I>(dqk);
  op.groups = static_cast<int>(q_heads);
  const double pairs = tokens * q_heads * (seq / 2.0);  // (query, key) products per head
  op.fwd = F(2.0 * pairs * (dqk + dv));
  op.bwd_input = F(2.0 * pairs * (3.0 * dqk + 2.0 * dv));
  const double q = tokens * q_heads * dqk * kBf16;
  const double kv = tokens * kv_heads * (dqk + dv) * kBf16;
  const double o = tokens * q_heads * dv * kBf16;
  const double lse = tokens * q_heads * kFp32;
  op.bytes_fwd = {B(q + kv), B(o + lse)};
  op.bytes_bwd_input = {B(q + kv + 2.0 * o + lse), B(q + kv)};
  return op;
}

//! FlashAttention-3's backward launches two kernels around the main one (Dao-AILab/flash-attention
//! hopper/flash_bwd_launch_template.h @000786d): `FlashAttnBwdPreprocess` reads O and dO for the
//! row sums dP_sum, writes them and a base-2 log-sum-exp (FP32 per row and head) and clears the
//! FP32 dQ accumulator the main kernel adds into with atomics; `FlashAttnBwdPostprocessConvertdQ`
//! reads that accumulator and writes dQ in BF16. Both are memory-bound; the trace classifier files
//! them under attention_bwd, so they are attention ops with no FLOPs.
Op flash_backward_preprocess(double tokens, double q_heads, double dqk, double dv) {
  Op op = make_op("attention_bwd_preprocess", OpKind::kAttention, "fp32");
  op.m = static_cast<I>(tokens);
  const double o = tokens * q_heads * dv * kBf16;
  const double rows = tokens * q_heads;
  op.bytes_bwd_input = {B(2.0 * o), B(2.0 * rows * kFp32 + tokens * q_heads * dqk * kFp32)};
  return op;
}

// With grouped KV heads the main kernel also accumulates dK and dV in FP32 (zeroed beforehand),
// and one more conversion kernel each turns them into BF16.
Op flash_backward_postprocess(double tokens, double q_heads, double kv_heads, double dqk,
                              double dv) {
  Op op = make_op("attention_bwd_postprocess", OpKind::kAttention, "fp32");
  op.m = static_cast<I>(tokens);
  const double dq = tokens * q_heads * dqk;
  op.bytes_bwd_input = {B(dq * kFp32), B(dq * kBf16)};
  if (kv_heads < q_heads) {
    const double dkv = tokens * kv_heads * (dqk + dv);
    op.bytes_bwd_input.read += B(dkv * kFp32);
    op.bytes_bwd_input.written += B(dkv * (kFp32 + kBf16));
    op.launches_bwd_input = 4;
  }
  return op;
}

//! MLA's key for a FlashAttention kernel (non-absorbed form, qk head dim nope + rope): the per-head
//! k_nope and the one shared, rotated k_pe broadcast over the heads are concatenated into a new
//! tensor (`torch.cat([k_nope, k_pe.expand(...)])`, deepseek-ai/DeepSeek-V3 inference/model.py
//! @1ea5a1a, MLA.forward). Backward sums k_pe's gradient over the heads (a reduction); dk_nope
//! and dV reach the up-projection's backward cast as strided views.
Op mla_key_assembly(double tokens, double heads, const MlaConfig& a) {
  Op op = make_op("mla_key_assembly", OpKind::kElementwise, "bf16");
  op.m = static_cast<I>(tokens);
  op.n = static_cast<I>(heads * a.qk_head_dim());
  const double nope = tokens * heads * a.qk_nope_head_dim;
  const double pe = tokens * a.qk_rope_head_dim;
  const double pe_grad = tokens * heads * a.qk_rope_head_dim;
  op.bytes_fwd = {B((nope + pe) * kBf16), B(tokens * heads * a.qk_head_dim() * kBf16)};
  op.bytes_bwd_input = {B(pe_grad * kBf16), B(pe * kBf16)};
  op.fwd = F(0.0);
  op.bwd_input = F(pe_grad);
  return op;
}

Op embedding_lookup(std::string name, double tokens, double hidden) {
  Op op = make_op(std::move(name), OpKind::kEmbedding, "bf16");
  op.m = static_cast<I>(tokens);
  op.n = static_cast<I>(hidden);
  op.bytes_fwd = {B(tokens * (hidden * kBf16 + kFp32)), B(tokens * hidden * kBf16)};
  // Weight gradient: scatter-add of the incoming rows into FP32 gradient rows.
  op.bwd_weight = F(tokens * hidden);
  op.bytes_bwd_weight = {B(tokens * hidden * (kBf16 + kFp32)), B(tokens * hidden * kFp32)};
  return op;
}

struct Builder {
  const ModelConfig& m;
  const WorkloadShape& s;
  bool fp8;
  double T;  // tokens of the micro-batch on this GPU
  double h;

  void add_gemm(std::vector<Op>& ops, const std::string& name, double n, double k) const {
    push_gemm(ops, gemm(name, T, n, k, fp8));
  }

  // A GEMM and, in FP8, the casts its backward needs. Grouped GEMMs also launch DeepGEMM's
  // `fill_tensormaps_kernel` before each pass.
  void push_gemm(std::vector<Op>& ops, Op g) const {
    if (g.kind == OpKind::kGroupedGemm)
      g.launches_fwd = g.launches_bwd_input = g.launches_bwd_weight = 2;
    const bool cast = g.dtype == "fp8";
    ops.push_back(std::move(g));
    if (cast) ops.push_back(fp8_backward_casts(ops.back()));
  }

  void attention(std::vector<Op>& ops) const {
    const double tp = s.tp;
    ops.push_back(rmsnorm("attn_norm", T, h));
    if (fp8) ops.push_back(quantize("attn_norm_quant", T, h));
    if (m.attention == AttentionKind::kMla) {
      const MlaConfig& a = *m.mla;
      const double hl = m.n_heads / tp;
      const double qk = a.qk_head_dim();
      if (a.q_lora_rank > 0) {
        add_gemm(ops, "wq_a", a.q_lora_rank, h);
        ops.push_back(rmsnorm("q_norm", T, a.q_lora_rank));
        if (fp8) ops.push_back(quantize("q_norm_quant", T, a.q_lora_rank));
        add_gemm(ops, "wq_b", hl * qk, a.q_lora_rank);
      } else {
        add_gemm(ops, "wq", hl * qk, h);
      }
      add_gemm(ops, "wkv_a", a.kv_lora_rank + a.qk_rope_head_dim, h);
      ops.push_back(rmsnorm("kv_norm", T, a.kv_lora_rank));
      if (fp8) ops.push_back(quantize("kv_norm_quant", T, a.kv_lora_rank));
      add_gemm(ops, "wkv_b", hl * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank);
      ops.push_back(rope("rope", T, hl * a.qk_rope_head_dim + a.qk_rope_head_dim));
      ops.push_back(mla_key_assembly(T, hl, a));
      ops.push_back(attention_core(T, s.seq_len, hl, hl, qk, a.v_head_dim));
      ops.push_back(flash_backward_preprocess(T, hl, qk, a.v_head_dim));
      ops.push_back(flash_backward_postprocess(T, hl, hl, qk, a.v_head_dim));
      if (fp8) ops.push_back(quantize("attn_out_quant", T, hl * a.v_head_dim));
      add_gemm(ops, "wo", h, hl * a.v_head_dim);
    } else {
      const double hl = m.n_heads / tp;
      const double kvh = (m.attention == AttentionKind::kMha ? m.n_heads : m.n_kv_heads) / tp;
      const double hd = m.head_dim;
      add_gemm(ops, "wq", hl * hd, h);
      add_gemm(ops, "wk", kvh * hd, h);
      add_gemm(ops, "wv", kvh * hd, h);
      ops.push_back(rope("rope", T, (hl + kvh) * hd));
      ops.push_back(attention_core(T, s.seq_len, hl, kvh, hd, hd));
      ops.push_back(flash_backward_preprocess(T, hl, hd, hd));
      ops.push_back(flash_backward_postprocess(T, hl, kvh, hd, hd));
      if (fp8) ops.push_back(quantize("attn_out_quant", T, hl * hd));
      add_gemm(ops, "wo", h, hl * hd);
    }
    ops.push_back(residual_add("attn_residual"));
  }

  // x + f(x): PyTorch's `vectorized_elementwise_kernel`; backward adds the branch gradient.
  Op residual_add(std::string name) const {
    Op op = pointwise(std::move(name), OpKind::kElementwise, T * h, 1.0, 2.0 * kBf16, kBf16);
    op.launches_bwd_weight = 0;
    return op;
  }

  // SwiGLU FFN over `rows` tokens with intermediate `inter` (already divided by TP).
  void swiglu_ffn(std::vector<Op>& ops, const std::string& p, double rows, double inter,
                  int groups) const {
    const double m_per_group = rows / groups;
    const OpKind kind = groups > 1 ? OpKind::kGroupedGemm : OpKind::kGemm;
    push_gemm(ops, gemm(p + "_gate_up", m_per_group, 2.0 * inter, h, fp8, groups, kind));
    ops.push_back(swiglu(p + "_swiglu", rows, inter));
    if (fp8) ops.push_back(quantize(p + "_swiglu_quant", rows, inter));
    push_gemm(ops, gemm(p + "_down", m_per_group, h, inter, fp8, groups, kind));
  }

  void mlp(std::vector<Op>& ops, LayerComm& comm, bool moe) const {
    ops.push_back(rmsnorm("ffn_norm", T, h));
    if (!moe) {
      if (fp8) ops.push_back(quantize("ffn_norm_quant", T, h));
      swiglu_ffn(ops, "ffn", T, m.dense_inter_dim / static_cast<double>(s.tp), 1);
      ops.push_back(residual_add("ffn_residual"));
      return;
    }
    const MoeConfig& e = *m.moe;
    // Gating stays in BF16 (DeepSeek-V3 report §3.3); sigmoid/softmax and top-k add ~4 FLOPs per
    // score.
    Op router = gemm("router", T, e.n_routed_experts, h, false, 1, OpKind::kRouter);
    router.fwd = router.fwd + F(4.0 * T * e.n_routed_experts);
    ops.push_back(router);
    // Top-k selection and the expert mapping (`topk_sum_and_topk_idx`, `gatherTopK`,
    // `clean_and_count_expert`, `get_fused_mapping`, `unique_group_indices`): five small kernels
    // over the T x n_experts scores; backward scatters the gate gradients (two kernels).
    Op topk = pointwise("routing_topk", OpKind::kRouter, T * e.n_routed_experts, 2.0, kFp32, 0.0);
    topk.bytes_fwd.written = B(T * e.n_activated_experts * (kFp32 + 4.0));
    topk.launches_fwd = 5;
    topk.launches_bwd_input = 2;
    topk.launches_bwd_weight = 0;
    ops.push_back(topk);
    if (fp8) ops.push_back(quantize("dispatch_quant", T, h));
    if (e.n_shared_experts > 0) {
      swiglu_ffn(ops, "shared", T, static_cast<double>(e.n_shared_experts) * e.moe_inter_dim / s.tp,
                 1);
    }
    // Balanced routing: every EP rank holds T tokens and receives T * top-k token copies.
    const int per_rank = s.experts_per_rank > 0 ? s.experts_per_rank : e.n_routed_experts / s.ep;
    const double rows = T * e.n_activated_experts * per_rank * s.ep / e.n_routed_experts;
    // Received tokens are permuted into expert-major order (`expand_to_fused_with_scales`); the
    // backward un-permutes their gradients.
    const double row_bytes = fp8 ? h * (1.0 + kScaleBytes / kTile) : h * kBf16;
    Op permute;
    permute.name = "experts_permute";
    permute.kind = OpKind::kElementwise;
    permute.dtype = fp8 ? "fp8" : "bf16";
    permute.m = static_cast<I>(rows);
    permute.n = static_cast<I>(h);
    permute.bytes_fwd = {B(rows * row_bytes), B(rows * row_bytes)};
    permute.bytes_bwd_input = {B(rows * h * kBf16), B(rows * h * kBf16)};
    permute.launches_bwd_weight = 0;
    const std::size_t first_routed = ops.size();
    ops.push_back(permute);
    swiglu_ffn(ops, "experts", rows, e.moe_inter_dim, per_rank);
    for (std::size_t i = first_routed; i < ops.size(); ++i) ops[i].routed = true;
    // Weighted sum of the top-k combined expert outputs: one multiply-add per element.
    ops.push_back(pointwise("combine_weighted_sum", OpKind::kElementwise,
                            T * e.n_activated_experts * h, 2.0, kBf16,
                            kBf16 / e.n_activated_experts));
    if (e.n_shared_experts > 0) {
      // Routed plus shared output (`y + z`, deepseek-ai/DeepSeek-V3 inference/model.py @1ea5a1a,
      // MoE.forward) before the residual add; its backward passes the gradient through unchanged.
      Op add = pointwise("moe_shared_add", OpKind::kElementwise, T * h, 1.0, 2.0 * kBf16, kBf16);
      add.bwd_input = F(0.0);
      add.bytes_bwd_input = {};
      ops.push_back(add);
    }
    ops.push_back(residual_add("moe_residual"));

    comm.dispatch_bytes_per_copy = fp8 ? B(h + std::ceil(h / kTile) * kScaleBytes) : B(h * kBf16);
    comm.combine_bytes_per_copy = B(h * kBf16);
    const int gpn = std::max(1, s.gpus_per_node);
    const int nodes = std::max(1, (s.ep + gpn - 1) / gpn);
    const int limit = s.node_limit > 0 && s.node_limit < nodes ? s.node_limit : nodes;
    const int experts_reach = e.n_routed_experts / nodes * limit;
    const int ranks_reach = std::max(1, s.ep / nodes * limit);
    comm.ranks_per_token =
        expected_distinct_bins(experts_reach, ranks_reach, e.n_activated_experts);
    comm.nodes_per_token = expected_distinct_bins(experts_reach, limit, e.n_activated_experts);
    comm.remote_nodes_per_token = comm.nodes_per_token * (nodes - 1) / nodes;
    comm.dispatch_bytes =
        B(T * comm.ranks_per_token * static_cast<double>(comm.dispatch_bytes_per_copy.value()));
    comm.combine_bytes =
        B(T * comm.ranks_per_token * static_cast<double>(comm.combine_bytes_per_copy.value()));
    comm.dispatch_internode_bytes = B(T * comm.remote_nodes_per_token *
                                      static_cast<double>(comm.dispatch_bytes_per_copy.value()));
    comm.combine_internode_bytes = B(T * comm.remote_nodes_per_token *
                                     static_cast<double>(comm.combine_bytes_per_copy.value()));
  }

  void head(std::vector<Op>& ops, const std::string& p) const {
    const double v = m.vocab / static_cast<double>(s.tp);
    ops.push_back(rmsnorm(p + "final_norm", T, h));
    // Output head stays in BF16 (DeepSeek-V3 report §3.3).
    ops.push_back(gemm(p + "head", T, v, h, false));
    // Softmax cross-entropy over the logits: max, exp, sum, log, subtract ~5 FLOPs per logit.
    ops.push_back(pointwise(p + "cross_entropy", OpKind::kElementwise, T * v, 5.0, kBf16, 0.0));
  }

  void tp_comm(LayerComm& comm) const {
    if (s.tp > 1) {
      comm.tp_allreduce_bytes = B(T * h * kBf16);
      comm.tp_allreduces_fwd = 2;
    }
  }
};

Flops sum(const std::vector<Op>& ops, Flops Op::*f) {
  Flops t{};
  for (const Op& o : ops) t += o.*f;
  return t;
}

}  // namespace

constexpr EnumNames<OpKind::kQuantize> kOpKindNames{{"gemm", "grouped_gemm", "attention", "norm",
                                                     "elementwise", "router", "embedding",
                                                     "quantize"}};
constexpr EnumNames<LayerKind::kHead> kLayerKindNames{{"embedding", "dense", "moe", "mtp", "head"}};

const char* to_string(OpKind k) {
  return kOpKindNames.name(k, "?");
}

const char* to_string(LayerKind k) {
  return kLayerKindNames.name(k, "?");
}

Flops LayerWorkload::fwd_flops() const {
  return sum(attention, &Op::fwd) + sum(mlp, &Op::fwd);
}
Flops LayerWorkload::bwd_input_flops() const {
  return sum(attention, &Op::bwd_input) + sum(mlp, &Op::bwd_input);
}
Flops LayerWorkload::bwd_weight_flops() const {
  return sum(attention, &Op::bwd_weight) + sum(mlp, &Op::bwd_weight);
}

int launches(const Op& op, int pass) {
  switch (pass) {
    case 0:
      return op.fwd.value() > 0 || op.bytes_fwd.total().value() > 0 ? op.launches_fwd : 0;
    case 1:
      return op.bwd_input.value() > 0 || op.bytes_bwd_input.total().value() > 0
                 ? op.launches_bwd_input
                 : 0;
    default:
      return op.bwd_weight.value() > 0 || op.bytes_bwd_weight.total().value() > 0
                 ? op.launches_bwd_weight
                 : 0;
  }
}

double expected_distinct_bins(int items, int bins, int k) {
  if (bins <= 0 || items <= 0 || k <= 0) return 0.0;
  const double per_bin = static_cast<double>(items) / bins;
  // P(a given bin gets none of the k draws) = C(items - per_bin, k) / C(items, k).
  double p_empty = 1.0;
  for (int i = 0; i < k; ++i) {
    const double num = items - per_bin - i;
    if (num <= 0) {
      p_empty = 0.0;
      break;
    }
    p_empty *= num / (items - i);
  }
  return bins * (1.0 - p_empty);
}

WorkloadShape shape_from_plan(const ParallelPlan& plan, int gpus_per_node) {
  WorkloadShape s;
  s.tokens = static_cast<std::int64_t>(plan.micro_batch_size) * plan.seq_len;
  s.seq_len = plan.seq_len;
  s.tp = plan.tp;
  s.ep = plan.ep;
  s.gemm_precision = plan.gemm_precision;
  s.gpus_per_node = gpus_per_node;
  s.node_limit = plan.node_limit;
  return s;
}

std::vector<LayerWorkload> build_workload(const ModelConfig& m, const WorkloadShape& s) {
  if (s.tokens <= 0 || s.seq_len <= 0 || s.tp <= 0 || s.ep <= 0) {
    throw PlanError("workload shape: tokens, seq_len, tp and ep must be positive");
  }
  if (m.n_heads % s.tp != 0) {
    throw PlanError("model '" + m.name + "': n_heads " + std::to_string(m.n_heads) +
                    " is not divisible by tp " + std::to_string(s.tp));
  }
  if (m.attention == AttentionKind::kMla && !m.mla) {
    throw PlanError("model '" + m.name + "': MLA attention without an mla section");
  }
  if (m.moe && s.experts_per_rank == 0 && m.moe->n_routed_experts % s.ep != 0) {
    throw PlanError("model '" + m.name + "': n_routed_experts " +
                    std::to_string(m.moe->n_routed_experts) + " is not divisible by ep " +
                    std::to_string(s.ep));
  }
  const Builder b{m, s, s.gemm_precision == Precision::kFp8, static_cast<double>(s.tokens),
                  static_cast<double>(m.hidden)};
  std::vector<LayerWorkload> out;
  out.reserve(static_cast<std::size_t>(m.n_layers + m.mtp_depth + 2));

  LayerWorkload emb;
  emb.kind = LayerKind::kEmbedding;
  emb.mlp.push_back(embedding_lookup("embedding", b.T, b.h));
  out.push_back(std::move(emb));

  for (int l = 0; l < m.n_layers + m.mtp_depth; ++l) {
    LayerWorkload lw;
    lw.index = static_cast<int>(out.size());
    lw.layer = l;
    const bool mtp = l >= m.n_layers;
    const bool moe = mtp ? m.moe.has_value() : m.is_moe_layer(l);
    lw.kind = mtp ? LayerKind::kMtp : (moe ? LayerKind::kMoe : LayerKind::kDense);
    if (mtp) {
      // MTP module (DeepSeek-V3 report §2.2): embed the shifted tokens (shared table), normalise
      // both inputs, project [h; e] (2*hidden) back to hidden, then a full transformer block and
      // the shared head.
      lw.attention.push_back(embedding_lookup("mtp_embedding", b.T, b.h));
      lw.attention.push_back(rmsnorm("mtp_enorm", b.T, b.h));
      lw.attention.push_back(rmsnorm("mtp_hnorm", b.T, b.h));
      lw.attention.push_back(gemm("mtp_eh_proj", b.T, b.h, 2.0 * b.h, false));
    }
    b.attention(lw.attention);
    b.mlp(lw.mlp, lw.comm, moe);
    if (mtp) b.head(lw.mlp, "mtp_");
    b.tp_comm(lw.comm);
    out.push_back(std::move(lw));
  }

  LayerWorkload head;
  head.index = static_cast<int>(out.size());
  head.kind = LayerKind::kHead;
  b.head(head.mlp, "");
  out.push_back(std::move(head));
  return out;
}

}  // namespace hopsim
