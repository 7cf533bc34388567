#pragma once
//! Host entry points of hopsim's CUDA kernels (sm_90a): MLA attention, BF16 and FP8 GEMMs, MoE
//! routing/permutation/combine, RMSNorm, FP8 quantisation and SM-limited copies (docs/KERNELS.md).

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "hopsim/kernels/reference.hpp"

namespace hopsim::kernels {

//! Storage types: BF16 and FP8 E4M3 as raw bits, so this header needs no CUDA math headers and
//! host code fills them through hopsim::kernels::ref::float_to_bf16_bits / float_to_e4m3.
using bf16_t = std::uint16_t;
using fp8_t = std::uint8_t;

//! C[M,N] = A[M,K] * B[N,K]^T (both K-major), FP32 accumulation; exactly one of c_bf16 / c_f32
//! is non-null. K must be a multiple of 32. mma.sync m16n8k16, 128x128x32 tiles.
cudaError_t gemm_bf16_nt(const bf16_t* a, const bf16_t* b, bf16_t* c_bf16, float* c_f32, int m,
                         int n, int k, cudaStream_t stream);

//! FP8 block-scaled GEMM (DeepSeek-V3): A [M,K] e4m3 with scale_a [M, K/128] (1x128 tiles),
//! B [N,K] e4m3 with scale_b [ceil(N/128), K/128] (128x128 blocks). Each 128-long K slice is
//! accumulated by mma.sync m16n8k32 (e4m3) in FP32 registers and then promoted into the FP32
//! accumulator with both scales. Output BF16. K must be a multiple of 128.
cudaError_t gemm_fp8_nt(const fp8_t* a, const float* scale_a, const fp8_t* b, const float* scale_b,
                        bf16_t* c, int m, int n, int k, cudaStream_t stream);

//! Grouped FP8 GEMM, contiguous layout: rows [m_offsets[g], m_offsets[g+1]) of A use weight group
//! g (B is [groups, N, K], scale_b [groups, ceil(N/128), K/128]). m_offsets is a device array of
//! groups+1 multiples of 128; m_capacity bounds m_offsets[groups] (rows past it are skipped).
cudaError_t grouped_gemm_fp8_nt(const fp8_t* a, const float* scale_a, const fp8_t* b,
                                const float* scale_b, bf16_t* c, const int* m_offsets, int groups,
                                int m_capacity, int n, int k, cudaStream_t stream);

//! BF16 [rows, cols] -> e4m3 with one FP32 scale per 1x128 tile (scale = amax / 448).
cudaError_t quantize_fp8_1x128(const bf16_t* x, fp8_t* q, float* scale, int rows, int cols,
                               cudaStream_t stream);

cudaError_t rmsnorm_bf16(const bf16_t* x, const bf16_t* weight, bf16_t* y, int rows, int cols,
                         float eps, cudaStream_t stream);

//! MLA core attention: the reference's shape and layouts (ref::AttentionShape), so a test runs
//! both on one value. Only d_qk = 192 and d_v = 128 (DeepSeek-V3) are compiled; seq must be a
//! multiple of 64.
using AttentionDims = ref::AttentionShape;
//! Flash-attention-style forward: o (BF16) and the natural-log LSE per (b, h, query) in FP32.
cudaError_t attention_fwd(const AttentionDims& d, const bf16_t* q, const bf16_t* k, const bf16_t* v,
                          bf16_t* o, float* lse, cudaStream_t stream);
//! Backward: dq in FP32 (accumulated atomically across KV tiles), dk and dv in BF16.
//! `delta` is a workspace of batch*heads*seq floats.
cudaError_t attention_bwd(const AttentionDims& d, const bf16_t* q, const bf16_t* k, const bf16_t* v,
                          const bf16_t* o, const bf16_t* d_o, const float* lse, float* delta,
                          float* dq, bf16_t* dk, bf16_t* dv, cudaStream_t stream);

//! DeepSeek-V3 router on FP32 logits [tokens, experts], configured as ref::route is.
//! experts <= 1024, groups <= 32, topk <= 32.
using RouterDims = ref::RouterConfig;
cudaError_t router_topk(const float* logits, const float* bias, int* expert, float* weight,
                        int tokens, const RouterDims& r, cudaStream_t stream);

//! Permutation plan (see ref::plan_permutation): counts [experts], offsets [experts+1],
//! dest [tokens*topk], src_token [capacity] where capacity >= tokens*topk + experts*(align-1).
cudaError_t moe_permute_plan(const int* expert, int tokens, int topk, int experts, int align,
                             int* counts, int* offsets, int* dest, int* src_token, int capacity,
                             cudaStream_t stream);
//! out[row] = x[src_token[row]] for rows < offsets[experts]; padding rows are zeroed.
cudaError_t moe_permute_rows(const bf16_t* x, const int* src_token, const int* offsets, int experts,
                             bf16_t* out, int capacity, int hidden, cudaStream_t stream);
//! out[t] = sum_k weight[t,k] * y[dest[t,k]] (FP32 sum, BF16 out).
cudaError_t moe_unpermute_combine(const bf16_t* y, const int* dest, const float* weight,
                                  bf16_t* out, int tokens, int topk, int hidden,
                                  cudaStream_t stream);

//! Device-to-device copy that emulates a communication kernel holding `blocks` SMs: a persistent
//! grid of exactly `blocks` CTAs strides over the buffer with 16-byte accesses.
cudaError_t copy_sm_limited(void* dst, const void* src, std::size_t bytes, int blocks,
                            cudaStream_t stream);

//! Deterministic pseudo-random fills for benchmarks (values in [-scale, scale]).
cudaError_t fill_random_bf16(bf16_t* p, std::size_t n, std::uint32_t seed, float scale,
                             cudaStream_t stream);
//! Random finite e4m3 bytes (NaN codes avoided).
cudaError_t fill_random_fp8(fp8_t* p, std::size_t n, std::uint32_t seed, cudaStream_t stream);
cudaError_t fill_random_f32(float* p, std::size_t n, std::uint32_t seed, float lo, float hi,
                            cudaStream_t stream);

}  // namespace hopsim::kernels
