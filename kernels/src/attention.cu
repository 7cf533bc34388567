// MLA core attention (d_qk = 192 = 128 + 64 RoPE, d_v = 128), flash-attention-2 style on
// BF16 mma.sync m16n8k16. Forward: a CTA owns 64 queries of one (batch, head) and streams
// 64-key tiles with an online softmax. Backward: a CTA owns 64 keys and streams 32-query tiles,
// accumulating dK and dV in registers and dQ with FP32 atomics.

#include <cfloat>

#include "common.cuh"
#include "hopsim/kernels/kernels.hpp"

namespace hopsim::kernels {
namespace {

using detail::Lane;

constexpr int kDqk = 192;
constexpr int kDv = 128;
constexpr int kLdQk = kDqk + 8;
constexpr int kLdV = kDv + 8;
constexpr float kLog2e = 1.4426950408889634F;

// Copies `rows` rows of `cols` BF16 (global row stride `gstride`) into shared memory.
__device__ void load_rows(__nv_bfloat16* s, int ld, const __nv_bfloat16* g, size_t gstride,
                          int rows, int cols, int nthreads) {
  const int chunks = cols / 8;
  for (int i = static_cast<int>(threadIdx.x); i < rows * chunks; i += nthreads) {
    const int r = i / chunks;
    const int c = (i % chunks) * 8;
    *reinterpret_cast<uint4*>(s + r * ld + c) =
        *reinterpret_cast<const uint4*>(g + r * gstride + c);
  }
}

// ---- forward --------------------------------------------------------------------------------
constexpr int kFwdBq = 64;
constexpr int kFwdBkv = 64;
constexpr int kFwdThreads = 128;
constexpr size_t kFwdSmem =
    sizeof(__nv_bfloat16) * (kFwdBq * kLdQk + kFwdBkv * kLdQk + kFwdBkv * kLdV);

__global__ void __launch_bounds__(kFwdThreads)
    attention_fwd_kernel(const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ k,
                         const __nv_bfloat16* __restrict__ v, __nv_bfloat16* __restrict__ o,
                         float* __restrict__ lse, int seq, int heads, bool causal,
                         float scale_log2) {
  extern __shared__ __align__(16) unsigned char smem[];
  auto* qs = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* ks = qs + kFwdBq * kLdQk;
  __nv_bfloat16* vs = ks + kFwdBkv * kLdQk;
  const int qt = static_cast<int>(gridDim.x - 1 - blockIdx.x);  // longest causal rows first
  const int h = static_cast<int>(blockIdx.y);
  const int bb = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32;
  const Lane l = detail::lane_roles();
  const size_t qk_row = static_cast<size_t>(heads) * kDqk;
  const size_t v_row = static_cast<size_t>(heads) * kDv;
  const int q0 = qt * kFwdBq;
  const __nv_bfloat16* qg = q + (static_cast<size_t>(bb) * seq + q0) * qk_row + h * kDqk;
  load_rows(qs, kLdQk, qg, qk_row, kFwdBq, kDqk, kFwdThreads);

  float oacc[kDv / 8][4] = {};
  float mrow[2] = {-FLT_MAX, -FLT_MAX};  // running max (log2 domain) of rows g and g+8
  float lrow[2] = {0.F, 0.F};
  const int r0 = warp * 16;
  const int kv_tiles = causal ? qt + 1 : seq / kFwdBkv;
  for (int kt = 0; kt < kv_tiles; ++kt) {
    const int kv0 = kt * kFwdBkv;
    __syncthreads();
    load_rows(ks, kLdQk, k + (static_cast<size_t>(bb) * seq + kv0) * qk_row + h * kDqk, qk_row,
              kFwdBkv, kDqk, kFwdThreads);
    load_rows(vs, kLdV, v + (static_cast<size_t>(bb) * seq + kv0) * v_row + h * kDv, v_row, kFwdBkv,
              kDv, kFwdThreads);
    __syncthreads();
    float s[kFwdBkv / 8][4] = {};
#pragma unroll
    for (int kk = 0; kk < kDqk; kk += 16) {
      std::uint32_t af[4];
      detail::load_a_kmajor(af, qs, kLdQk, r0, kk, l);
#pragma unroll
      for (int j = 0; j < kFwdBkv / 8; ++j) {
        std::uint32_t bf[2];
        detail::load_b_kmajor(bf, ks, kLdQk, j * 8, kk, l);
        detail::mma_bf16_16816(s[j], af, bf);
      }
    }
    float mnew[2] = {mrow[0], mrow[1]};
#pragma unroll
    for (int j = 0; j < kFwdBkv / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int row = q0 + r0 + l.g + (e >= 2 ? 8 : 0);
        const int col = kv0 + j * 8 + 2 * l.t + (e & 1);
        s[j][e] = (causal && col > row) ? -FLT_MAX : s[j][e] * scale_log2;
        mnew[e >> 1] = fmaxf(mnew[e >> 1], s[j][e]);
      }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mnew[r] = fmaxf(mnew[r], __shfl_xor_sync(0xffffffffU, mnew[r], 1));
      mnew[r] = fmaxf(mnew[r], __shfl_xor_sync(0xffffffffU, mnew[r], 2));
    }
    float corr[2];
    float psum[2] = {0.F, 0.F};
#pragma unroll
    for (int r = 0; r < 2; ++r) corr[r] = exp2f(mrow[r] - mnew[r]);
#pragma unroll
    for (int j = 0; j < kFwdBkv / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float p = s[j][e] == -FLT_MAX ? 0.F : exp2f(s[j][e] - mnew[e >> 1]);
        s[j][e] = p;
        psum[e >> 1] += p;
      }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      lrow[r] = lrow[r] * corr[r] + psum[r];  // psum is per-thread; reduced once at the end
      mrow[r] = mnew[r];
    }
#pragma unroll
    for (int j = 0; j < kDv / 8; ++j) {
      oacc[j][0] *= corr[0];
      oacc[j][1] *= corr[0];
      oacc[j][2] *= corr[1];
      oacc[j][3] *= corr[1];
    }
#pragma unroll
    for (int kk = 0; kk < kFwdBkv / 16; ++kk) {
      std::uint32_t af[4];
      detail::c_to_a(af, s[2 * kk], s[2 * kk + 1]);
#pragma unroll
      for (int j = 0; j < kDv / 8; ++j) {
        std::uint32_t bf[2];
        detail::load_b_nmajor(bf, vs, kLdV, j * 8, kk * 16, l);
        detail::mma_bf16_16816(oacc[j], af, bf);
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    lrow[r] += __shfl_xor_sync(0xffffffffU, lrow[r], 1);
    lrow[r] += __shfl_xor_sync(0xffffffffU, lrow[r], 2);
  }
#pragma unroll
  for (int j = 0; j < kDv / 8; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int row = q0 + r0 + l.g + (e >= 2 ? 8 : 0);
      const int col = j * 8 + 2 * l.t + (e & 1);
      o[(static_cast<size_t>(bb) * seq + row) * v_row + h * kDv + col] =
          __float2bfloat16_rn(oacc[j][e] / lrow[e >> 1]);
    }
  if (l.t == 0)
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int row = q0 + r0 + l.g + 8 * r;
      lse[(static_cast<size_t>(bb) * heads + h) * seq + row] = (mrow[r] + log2f(lrow[r])) / kLog2e;
    }
}

// ---- backward -------------------------------------------------------------------------------
constexpr int kBwdBkv = 64;
constexpr int kBwdBq = 32;
constexpr int kBwdThreads = 128;
constexpr int kLdDs = kBwdBq + 8;
constexpr size_t kBwdSmem =
    sizeof(__nv_bfloat16) *
        (kBwdBkv * kLdQk + kBwdBkv * kLdV + kBwdBq * kLdQk + kBwdBq * kLdV + kBwdBkv * kLdDs) +
    sizeof(float) * 2 * kBwdBq;

// delta[b,h,i] = sum_d dO[b,i,h,d] * O[b,i,h,d]; one warp per row.
__global__ void attention_delta_kernel(const __nv_bfloat16* __restrict__ o,
                                       const __nv_bfloat16* __restrict__ d_o, float* delta,
                                       int batch, int seq, int heads) {
  const int warp_id = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32);
  const int lane = static_cast<int>(threadIdx.x) & 31;
  if (warp_id >= batch * seq * heads) return;
  const int h = warp_id % heads;
  const int i = (warp_id / heads) % seq;
  const int bb = warp_id / (heads * seq);
  const size_t base = static_cast<size_t>(warp_id) * kDv;  // [b, i, h, :] is row warp_id
  float acc = 0;
  for (int d = lane; d < kDv; d += 32)
    acc += __bfloat162float(o[base + d]) * __bfloat162float(d_o[base + d]);
  for (int off = 16; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffU, acc, off);
  if (lane == 0) delta[(static_cast<size_t>(bb) * heads + h) * seq + i] = acc;
}

__global__ void __launch_bounds__(kBwdThreads)
    attention_bwd_kernel(const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ k,
                         const __nv_bfloat16* __restrict__ v, const __nv_bfloat16* __restrict__ d_o,
                         const float* __restrict__ lse, const float* __restrict__ delta,
                         float* __restrict__ dq, __nv_bfloat16* __restrict__ dk,
                         __nv_bfloat16* __restrict__ dv, int seq, int heads, bool causal,
                         float scale) {
  extern __shared__ __align__(16) unsigned char smem[];
  auto* ks = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* vs = ks + kBwdBkv * kLdQk;
  __nv_bfloat16* qs = vs + kBwdBkv * kLdV;
  __nv_bfloat16* dos = qs + kBwdBq * kLdQk;
  __nv_bfloat16* dss = dos + kBwdBq * kLdV;  // dS^T [kv][q]
  auto* lse_s = reinterpret_cast<float*>(dss + kBwdBkv * kLdDs);
  float* delta_s = lse_s + kBwdBq;

  const int kt = static_cast<int>(blockIdx.x);
  const int h = static_cast<int>(blockIdx.y);
  const int bb = static_cast<int>(blockIdx.z);
  const int warp = static_cast<int>(threadIdx.x) / 32;
  const Lane l = detail::lane_roles();
  const size_t qk_row = static_cast<size_t>(heads) * kDqk;
  const size_t v_row = static_cast<size_t>(heads) * kDv;
  const int kv0 = kt * kBwdBkv;
  const int w0 = warp * 16;  // this warp's 16 keys within the tile
  load_rows(ks, kLdQk, k + (static_cast<size_t>(bb) * seq + kv0) * qk_row + h * kDqk, qk_row,
            kBwdBkv, kDqk, kBwdThreads);
  load_rows(vs, kLdV, v + (static_cast<size_t>(bb) * seq + kv0) * v_row + h * kDv, v_row, kBwdBkv,
            kDv, kBwdThreads);
  float dk_acc[kDqk / 8][4] = {};
  float dv_acc[kDv / 8][4] = {};
  const float scale_log2 = scale * kLog2e;
  const size_t row_stat = (static_cast<size_t>(bb) * heads + h) * seq;
  for (int q0 = causal ? kv0 : 0; q0 < seq; q0 += kBwdBq) {
    __syncthreads();
    load_rows(qs, kLdQk, q + (static_cast<size_t>(bb) * seq + q0) * qk_row + h * kDqk, qk_row,
              kBwdBq, kDqk, kBwdThreads);
    load_rows(dos, kLdV, d_o + (static_cast<size_t>(bb) * seq + q0) * v_row + h * kDv, v_row,
              kBwdBq, kDv, kBwdThreads);
    for (int i = static_cast<int>(threadIdx.x); i < kBwdBq; i += kBwdThreads) {
      lse_s[i] = lse[row_stat + q0 + i] * kLog2e;
      delta_s[i] = delta[row_stat + q0 + i];
    }
    __syncthreads();
    // S^T = K Q^T and dP^T = V dO^T for this warp's 16 keys x 32 queries.
    float st[kBwdBq / 8][4] = {};
    float dpt[kBwdBq / 8][4] = {};
#pragma unroll
    for (int kk = 0; kk < kDqk; kk += 16) {
      std::uint32_t af[4];
      detail::load_a_kmajor(af, ks, kLdQk, w0, kk, l);
#pragma unroll
      for (int j = 0; j < kBwdBq / 8; ++j) {
        std::uint32_t bf[2];
        detail::load_b_kmajor(bf, qs, kLdQk, j * 8, kk, l);
        detail::mma_bf16_16816(st[j], af, bf);
      }
    }
#pragma unroll
    for (int kk = 0; kk < kDv; kk += 16) {
      std::uint32_t af[4];
      detail::load_a_kmajor(af, vs, kLdV, w0, kk, l);
#pragma unroll
      for (int j = 0; j < kBwdBq / 8; ++j) {
        std::uint32_t bf[2];
        detail::load_b_kmajor(bf, dos, kLdV, j * 8, kk, l);
        detail::mma_bf16_16816(dpt[j], af, bf);
      }
    }
    // P^T and dS^T = P^T * (dP^T - delta) * scale (the softmax scale folded in for dQ and dK).
#pragma unroll
    for (int j = 0; j < kBwdBq / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int kvr = kv0 + w0 + l.g + (e >= 2 ? 8 : 0);
        const int qi = j * 8 + 2 * l.t + (e & 1);
        const float p = (causal && kvr > q0 + qi) ? 0.F : exp2f(st[j][e] * scale_log2 - lse_s[qi]);
        st[j][e] = p;
        dpt[j][e] = p * (dpt[j][e] - delta_s[qi]) * scale;
        dss[(w0 + l.g + (e >= 2 ? 8 : 0)) * kLdDs + qi] = __float2bfloat16_rn(dpt[j][e]);
      }
      // dV += P^T dO and dK += dS^T Q (k = queries).
#pragma unroll
    for (int kk = 0; kk < kBwdBq / 16; ++kk) {
      std::uint32_t pa[4];
      std::uint32_t dsa[4];
      detail::c_to_a(pa, st[2 * kk], st[2 * kk + 1]);
      detail::c_to_a(dsa, dpt[2 * kk], dpt[2 * kk + 1]);
#pragma unroll
      for (int j = 0; j < kDv / 8; ++j) {
        std::uint32_t bf[2];
        detail::load_b_nmajor(bf, dos, kLdV, j * 8, kk * 16, l);
        detail::mma_bf16_16816(dv_acc[j], pa, bf);
      }
#pragma unroll
      for (int j = 0; j < kDqk / 8; ++j) {
        std::uint32_t bf[2];
        detail::load_b_nmajor(bf, qs, kLdQk, j * 8, kk * 16, l);
        detail::mma_bf16_16816(dk_acc[j], dsa, bf);
      }
    }
    __syncthreads();
    // dQ += dS K over the 64 keys of this tile: 2 query m-tiles x 24 d n-tiles shared by 4 warps.
    for (int t = warp; t < (kBwdBq / 16) * (kDqk / 8); t += kBwdThreads / 32) {
      const int mi = t / (kDqk / 8);
      const int nj = t % (kDqk / 8);
      float acc[4] = {};
#pragma unroll
      for (int kk = 0; kk < kBwdBkv; kk += 16) {
        std::uint32_t af[4];
        std::uint32_t bf[2];
        detail::load_a_mmajor(af, dss, kLdDs, mi * 16, kk, l);
        detail::load_b_nmajor(bf, ks, kLdQk, nj * 8, kk, l);
        detail::mma_bf16_16816(acc, af, bf);
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int qi = q0 + mi * 16 + l.g + (e >= 2 ? 8 : 0);
        const int d = nj * 8 + 2 * l.t + (e & 1);
        atomicAdd(dq + (static_cast<size_t>(bb) * seq + qi) * qk_row + h * kDqk + d, acc[e]);
      }
    }
  }
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int kvr = kv0 + w0 + l.g + (e >= 2 ? 8 : 0);
    const size_t kbase = (static_cast<size_t>(bb) * seq + kvr) * qk_row + h * kDqk;
    const size_t vbase = (static_cast<size_t>(bb) * seq + kvr) * v_row + h * kDv;
#pragma unroll
    for (int j = 0; j < kDqk / 8; ++j)
      dk[kbase + j * 8 + 2 * l.t + (e & 1)] = __float2bfloat16_rn(dk_acc[j][e]);
#pragma unroll
    for (int j = 0; j < kDv / 8; ++j)
      dv[vbase + j * 8 + 2 * l.t + (e & 1)] = __float2bfloat16_rn(dv_acc[j][e]);
  }
}

bool supported(const AttentionDims& d) {
  return d.d_qk == kDqk && d.d_v == kDv && d.batch > 0 && d.heads > 0 && d.seq > 0 &&
         d.seq % kFwdBq == 0;
}

}  // namespace

cudaError_t attention_fwd(const AttentionDims& d, const bf16_t* q, const bf16_t* k, const bf16_t* v,
                          bf16_t* o, float* lse, cudaStream_t stream) {
  if (!supported(d)) return cudaErrorInvalidValue;
  cudaError_t err =
      cudaFuncSetAttribute(attention_fwd_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(kFwdSmem));
  if (err != cudaSuccess) return err;
  const dim3 grid(static_cast<unsigned>(d.seq / kFwdBq), static_cast<unsigned>(d.heads),
                  static_cast<unsigned>(d.batch));
  const float scale_log2 = kLog2e / sqrtf(static_cast<float>(d.d_qk));
  attention_fwd_kernel<<<grid, kFwdThreads, kFwdSmem, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(q), reinterpret_cast<const __nv_bfloat16*>(k),
      reinterpret_cast<const __nv_bfloat16*>(v), reinterpret_cast<__nv_bfloat16*>(o), lse, d.seq,
      d.heads, d.causal, scale_log2);
  return cudaGetLastError();
}

cudaError_t attention_bwd(const AttentionDims& d, const bf16_t* q, const bf16_t* k, const bf16_t* v,
                          const bf16_t* o, const bf16_t* d_o, const float* lse, float* delta,
                          float* dq, bf16_t* dk, bf16_t* dv, cudaStream_t stream) {
  if (!supported(d)) return cudaErrorInvalidValue;
  const size_t rows = static_cast<size_t>(d.batch) * d.seq * d.heads;
  cudaError_t err = cudaMemsetAsync(dq, 0, rows * kDqk * sizeof(float), stream);
  if (err != cudaSuccess) return err;
  attention_delta_kernel<<<static_cast<unsigned>((rows * 32 + 255) / 256), 256, 0, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(o), reinterpret_cast<const __nv_bfloat16*>(d_o), delta,
      d.batch, d.seq, d.heads);
  if ((err = cudaGetLastError()) != cudaSuccess) return err;
  err = cudaFuncSetAttribute(attention_bwd_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(kBwdSmem));
  if (err != cudaSuccess) return err;
  const dim3 grid(static_cast<unsigned>(d.seq / kBwdBkv), static_cast<unsigned>(d.heads),
                  static_cast<unsigned>(d.batch));
  attention_bwd_kernel<<<grid, kBwdThreads, kBwdSmem, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(q), reinterpret_cast<const __nv_bfloat16*>(k),
      reinterpret_cast<const __nv_bfloat16*>(v), reinterpret_cast<const __nv_bfloat16*>(d_o), lse,
      delta, dq, reinterpret_cast<__nv_bfloat16*>(dk), reinterpret_cast<__nv_bfloat16*>(dv), d.seq,
      d.heads, d.causal, 1.0F / sqrtf(static_cast<float>(d.d_qk)));
  return cudaGetLastError();
}

}  // namespace hopsim::kernels
