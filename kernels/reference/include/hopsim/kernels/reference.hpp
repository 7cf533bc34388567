#pragma once
//! CPU reference implementations of every hopsim CUDA kernel (plain C++, no CUDA headers).
//! They define what the GPU kernels must compute; tests compare the two at small shapes.

#include <cstdint>
#include <vector>

namespace hopsim::kernels::ref {

// ---- number formats -----------------------------------------------------------------------

//! Float to BF16 bits, round-to-nearest-even (NaN stays NaN), as __float2bfloat16_rn does.
[[nodiscard]] std::uint16_t float_to_bf16_bits(float x);
[[nodiscard]] float bf16_bits_to_float(std::uint16_t b);
//! Rounds a float to the nearest BF16 value.
[[nodiscard]] inline float bf16_round(float x) {
  return bf16_bits_to_float(float_to_bf16_bits(x));
}

//! Float to FP8 E4M3 (OCP e4m3fn: bias 7, max 448, no infinities), round-to-nearest-even,
//! saturating to +-448 like __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3). NaN -> 0x7F.
[[nodiscard]] std::uint8_t float_to_e4m3(float x);
[[nodiscard]] float e4m3_to_float(std::uint8_t b);
inline constexpr float kE4m3Max = 448.0F;

// ---- GEMM ---------------------------------------------------------------------------------

//! C[M,N] = A[M,K] * B[N,K]^T, row-major, double accumulation (the "TN" layout of all our GEMMs).
[[nodiscard]] std::vector<float> gemm_nt(const std::vector<float>& a, const std::vector<float>& b,
                                         int m, int n, int k);

//! FP8 values with FP32 scales; x ~= e4m3_to_float(q) * scale of its tile/block.
struct Fp8Tensor {
  std::vector<std::uint8_t> q;
  std::vector<float> scale;
  int rows = 0;
  int cols = 0;
};

inline constexpr int kFp8Block = 128;

//! Activations, 1x128 tiles (DeepSeek-V3 §3.3): scale[r * ceil(cols/128) + kb] = amax/448.
//! An all-zero tile gets scale 1 so that dequantisation never divides by zero.
[[nodiscard]] Fp8Tensor quantize_1x128(const std::vector<float>& x, int rows, int cols);
//! Weights, 128x128 blocks: scale[(r/128) * ceil(cols/128) + c/128].
[[nodiscard]] Fp8Tensor quantize_128x128(const std::vector<float>& w, int rows, int cols);

//! C = A * B^T with A quantised 1x128 and B 128x128; each 128-long K slice is summed in FP32
//! and then promoted (scaled and added) into the FP32 accumulator, the DeepSeek-V3 recipe.
[[nodiscard]] std::vector<float> fp8_gemm_nt(const Fp8Tensor& a, const Fp8Tensor& b);

//! Grouped (per-expert) FP8 GEMM, contiguous layout: rows [m_offsets[g], m_offsets[g+1]) of A
//! multiply weights b[g]; every offset is a multiple of 128 (DeepGEMM's contiguous layout).
[[nodiscard]] std::vector<float> fp8_grouped_gemm_nt(const Fp8Tensor& a,
                                                     const std::vector<Fp8Tensor>& b,
                                                     const std::vector<int>& m_offsets);

// ---- attention ----------------------------------------------------------------------------

//! Shapes of MLA core attention in training (after up-projection, each head sees its own K/V):
//! q,k: [batch, seq, heads, d_qk]; v, o: [batch, seq, heads, d_v]; lse: [batch, heads, seq].
struct AttentionShape {
  int batch = 1;
  int seq = 4096;
  int heads = 128;
  int d_qk = 192;  //!< 128 no-RoPE + 64 RoPE (DeepSeek-V3 qk_nope_head_dim + qk_rope_head_dim)
  int d_v = 128;
  bool causal = true;
  [[nodiscard]] float softmax_scale() const;
  //! Matmul FLOPs of the forward pass (2 GEMMs), counting only the causal half when causal.
  [[nodiscard]] double forward_flops() const;
};

struct AttentionForward {
  std::vector<float> o;
  std::vector<float> lse;  //!< natural-log sum of exp of scaled scores per (b, h, query)
};
[[nodiscard]] AttentionForward attention_forward(const AttentionShape& s,
                                                 const std::vector<float>& q,
                                                 const std::vector<float>& k,
                                                 const std::vector<float>& v);

struct AttentionGrads {
  std::vector<float> dq, dk, dv;
};
[[nodiscard]] AttentionGrads attention_backward(
    const AttentionShape& s, const std::vector<float>& q, const std::vector<float>& k,
    const std::vector<float>& v, const AttentionForward& fwd, const std::vector<float>& d_o);

// ---- normalisation ------------------------------------------------------------------------

//! y = x / sqrt(mean(x^2) + eps) * w, per row of [rows, cols].
[[nodiscard]] std::vector<float> rmsnorm(const std::vector<float>& x, const std::vector<float>& w,
                                         int rows, int cols, float eps);

// ---- MoE ----------------------------------------------------------------------------------

//! DeepSeek-V3 routing: sigmoid scores; selection on score + bias; experts split into groups,
//! a group's score is the sum of its top-2 biased scores; keep the top `topk_groups` groups,
//! then the top `topk` experts among them. Weights are the unbiased scores of the chosen
//! experts normalised to sum 1, times route_scale. Ties go to the lower index.
struct RouterConfig {
  int experts = 256;
  int groups = 8;
  int topk_groups = 4;
  int topk = 8;
  float route_scale = 2.5F;
};
struct Routing {
  std::vector<int> expert;    //!< [tokens * topk], in selection order
  std::vector<float> weight;  //!< [tokens * topk]
};
[[nodiscard]] Routing route(const std::vector<float>& logits, const std::vector<float>& bias,
                            int tokens, const RouterConfig& cfg);

//! Where each (token, slot) goes in the expert-sorted buffer. Rows of expert e occupy
//! [offset[e], offset[e] + count[e]), in token order; each expert's region is padded to a
//! multiple of `align` rows (padding rows have src_token = -1 and hold zeros).
struct Permutation {
  std::vector<int> count;      //!< [experts]
  std::vector<int> offset;     //!< [experts + 1], padded
  std::vector<int> dest;       //!< [tokens * topk]: row in the permuted buffer
  std::vector<int> src_token;  //!< [offset.back()]
};
[[nodiscard]] Permutation plan_permutation(const std::vector<int>& expert, int tokens, int topk,
                                           int experts, int align);
//! Gathers token rows into expert order: out[row] = x[src_token[row]] (zeros for padding).
[[nodiscard]] std::vector<float> permute_rows(const std::vector<float>& x, int hidden,
                                              const Permutation& p);
//! out[t] = sum_k weight[t,k] * y[dest[t,k]].
[[nodiscard]] std::vector<float> unpermute_combine(const std::vector<float>& y, int hidden,
                                                   const Permutation& p,
                                                   const std::vector<float>& weight, int tokens,
                                                   int topk);

}  // namespace hopsim::kernels::ref
