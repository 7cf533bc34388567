// DeepSeek-V3 MoE plumbing: sigmoid router with node-limited (grouped) top-k, permutation into
// expert-contiguous rows (padded per expert for the grouped GEMM), and weighted combine.

#include <cfloat>
#include <cub/block/block_scan.cuh>

#include "common.cuh"
#include "hopsim/kernels/kernels.hpp"

namespace hopsim::kernels {
namespace {

constexpr int kRouterWarps = 4;

// One warp per token. Ties go to the lower expert/group index, as in ref::route.
__global__ void router_kernel(const float* __restrict__ logits, const float* __restrict__ bias,
                              int* __restrict__ out_expert, float* __restrict__ out_weight,
                              int tokens, int experts, int groups, int topk_groups, int topk,
                              float route_scale) {
  extern __shared__ float rsm[];
  const int warp = static_cast<int>(threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int token = static_cast<int>(blockIdx.x) * kRouterWarps + warp;
  float* score = rsm + warp * (2 * experts + groups);
  float* biased = score + experts;
  float* gscore = biased + experts;
  if (token >= tokens) return;
  for (int e = lane; e < experts; e += 32) {
    const float s = 1.0F / (1.0F + expf(-logits[static_cast<size_t>(token) * experts + e]));
    score[e] = s;
    biased[e] = s + bias[e];
  }
  __syncwarp();
  const int per_group = experts / groups;
  if (lane < groups) {
    float b1 = -FLT_MAX;
    float b2 = -FLT_MAX;
    for (int e = lane * per_group; e < (lane + 1) * per_group; ++e) {
      const float x = biased[e];
      if (x > b1) {
        b2 = b1;
        b1 = x;
      } else if (x > b2) {
        b2 = x;
      }
    }
    gscore[lane] = b1 + b2;
  }
  __syncwarp();
  unsigned allowed = 0;
  if (lane == 0) {
    for (int n = 0; n < topk_groups; ++n) {
      int best = -1;
      for (int g = 0; g < groups; ++g)
        if (((allowed >> g) & 1U) == 0 && (best < 0 || gscore[g] > gscore[best])) best = g;
      allowed |= 1U << best;
    }
  }
  allowed = __shfl_sync(0xffffffffU, allowed, 0);
  float wsum = 0;
  int chosen = -1;  // lane n keeps the n-th chosen expert
  for (int n = 0; n < topk; ++n) {
    float bv = -FLT_MAX;
    int be = experts;
    for (int e = lane; e < experts; e += 32)
      if (((allowed >> (e / per_group)) & 1U) != 0 && biased[e] > bv) {
        bv = biased[e];
        be = e;
      }
    for (int off = 16; off > 0; off /= 2) {
      const float ov = __shfl_xor_sync(0xffffffffU, bv, off);
      const int oe = __shfl_xor_sync(0xffffffffU, be, off);
      if (ov > bv || (ov == bv && oe < be)) {
        bv = ov;
        be = oe;
      }
    }
    if (lane == n) chosen = be;
    wsum += score[be];
    __syncwarp();
    if (lane == 0) biased[be] = -FLT_MAX;  // taken
    __syncwarp();
  }
  if (lane < topk) {
    out_expert[static_cast<size_t>(token) * topk + lane] = chosen;
    out_weight[static_cast<size_t>(token) * topk + lane] = score[chosen] / wsum * route_scale;
  }
}

__global__ void histogram_kernel(const int* __restrict__ expert, int n, int* counts) {
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n;
       i += static_cast<int>(gridDim.x * blockDim.x))
    atomicAdd(counts + expert[i], 1);
}

// Padded exclusive scan of counts (experts <= a few thousand: one thread is plenty).
__global__ void offsets_kernel(const int* counts, int* offsets, int experts, int align) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  int acc = 0;
  for (int e = 0; e < experts; ++e) {
    offsets[e] = acc;
    acc += (counts[e] + align - 1) / align * align;
  }
  offsets[experts] = acc;
}

constexpr int kRankThreads = 256;

// One CTA per expert scans all (token, slot) entries in order, so the rows of an expert are in
// token order and the result is deterministic (no atomics on positions).
__global__ void __launch_bounds__(kRankThreads)
    rank_kernel(const int* __restrict__ expert, int n, int topk, const int* __restrict__ counts,
                const int* __restrict__ offsets, int* __restrict__ dest,
                int* __restrict__ src_token) {
  using Scan = cub::BlockScan<int, kRankThreads>;
  __shared__ typename Scan::TempStorage tmp;
  const int e = static_cast<int>(blockIdx.x);
  int base = offsets[e];
  for (int i0 = 0; i0 < n; i0 += kRankThreads) {
    const int i = i0 + static_cast<int>(threadIdx.x);
    const int flag = (i < n && expert[i] == e) ? 1 : 0;
    int pos = 0;
    int total = 0;
    Scan(tmp).ExclusiveSum(flag, pos, total);
    if (flag != 0) {
      dest[i] = base + pos;
      src_token[base + pos] = i / topk;
    }
    base += total;
    __syncthreads();
  }
  for (int r = offsets[e] + counts[e] + static_cast<int>(threadIdx.x); r < offsets[e + 1];
       r += kRankThreads)
    src_token[r] = -1;
}

__global__ void permute_rows_kernel(const uint4* __restrict__ x, const int* __restrict__ src_token,
                                    const int* __restrict__ offsets, int experts,
                                    uint4* __restrict__ out, int chunks_per_row) {
  const int row = static_cast<int>(blockIdx.x);
  if (row >= offsets[experts]) return;
  const int t = src_token[row];
  for (int c = static_cast<int>(threadIdx.x); c < chunks_per_row; c += static_cast<int>(blockDim.x))
    out[static_cast<size_t>(row) * chunks_per_row + c] =
        t < 0 ? make_uint4(0, 0, 0, 0) : x[static_cast<size_t>(t) * chunks_per_row + c];
}

__global__ void combine_kernel(const __nv_bfloat16* __restrict__ y, const int* __restrict__ dest,
                               const float* __restrict__ weight, __nv_bfloat16* __restrict__ out,
                               int topk, int hidden) {
  const int t = static_cast<int>(blockIdx.x);
  for (int c = static_cast<int>(threadIdx.x); c < hidden; c += static_cast<int>(blockDim.x)) {
    float acc = 0;
    for (int n = 0; n < topk; ++n) {
      const size_t i = static_cast<size_t>(t) * topk + n;
      acc += weight[i] * __bfloat162float(y[static_cast<size_t>(dest[i]) * hidden + c]);
    }
    out[static_cast<size_t>(t) * hidden + c] = __float2bfloat16_rn(acc);
  }
}

}  // namespace

cudaError_t router_topk(const float* logits, const float* bias, int* expert, float* weight,
                        int tokens, const RouterDims& r, cudaStream_t stream) {
  if (tokens <= 0 || r.experts <= 0 || r.experts > 1024 || r.groups <= 0 || r.groups > 32 ||
      r.experts % r.groups != 0 || r.topk_groups > r.groups || r.topk > 32 ||
      r.topk > r.topk_groups * (r.experts / r.groups) || r.experts / r.groups < 2)
    return cudaErrorInvalidValue;
  const size_t smem = sizeof(float) * kRouterWarps * (2 * r.experts + r.groups);
  router_kernel<<<static_cast<unsigned>(detail::ceil_div(tokens, kRouterWarps)), 32 * kRouterWarps,
                  smem, stream>>>(logits, bias, expert, weight, tokens, r.experts, r.groups,
                                  r.topk_groups, r.topk, r.route_scale);
  return cudaGetLastError();
}

cudaError_t moe_permute_plan(const int* expert, int tokens, int topk, int experts, int align,
                             int* counts, int* offsets, int* dest, int* src_token, int capacity,
                             cudaStream_t stream) {
  if (tokens <= 0 || topk <= 0 || experts <= 0 || align <= 0 ||
      capacity < tokens * topk + experts * (align - 1))
    return cudaErrorInvalidValue;
  cudaError_t err = cudaMemsetAsync(counts, 0, sizeof(int) * static_cast<size_t>(experts), stream);
  if (err != cudaSuccess) return err;
  const int n = tokens * topk;
  histogram_kernel<<<static_cast<unsigned>(detail::ceil_div(n, 256)), 256, 0, stream>>>(expert, n,
                                                                                        counts);
  offsets_kernel<<<1, 32, 0, stream>>>(counts, offsets, experts, align);
  rank_kernel<<<static_cast<unsigned>(experts), kRankThreads, 0, stream>>>(
      expert, n, topk, counts, offsets, dest, src_token);
  return cudaGetLastError();
}

cudaError_t moe_permute_rows(const bf16_t* x, const int* src_token, const int* offsets, int experts,
                             bf16_t* out, int capacity, int hidden, cudaStream_t stream) {
  if (capacity <= 0 || hidden <= 0 || hidden % 8 != 0) return cudaErrorInvalidValue;
  permute_rows_kernel<<<static_cast<unsigned>(capacity), 128, 0, stream>>>(
      reinterpret_cast<const uint4*>(x), src_token, offsets, experts, reinterpret_cast<uint4*>(out),
      hidden / 8);
  return cudaGetLastError();
}

cudaError_t moe_unpermute_combine(const bf16_t* y, const int* dest, const float* weight,
                                  bf16_t* out, int tokens, int topk, int hidden,
                                  cudaStream_t stream) {
  if (tokens <= 0 || topk <= 0 || hidden <= 0) return cudaErrorInvalidValue;
  combine_kernel<<<static_cast<unsigned>(tokens), 256, 0, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(y), dest, weight,
      reinterpret_cast<__nv_bfloat16*>(out), topk, hidden);
  return cudaGetLastError();
}

}  // namespace hopsim::kernels
