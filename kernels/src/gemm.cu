// BF16 and FP8 (block-scaled) GEMMs on mma.sync. 128x128 CTA tiles, 8 warps as 2 (M) x 4 (N),
// each warp 64x32. Single-stage shared-memory tiles: simple and correct first; the pipeline
// depth is a documented performance gap (docs/KERNELS.md).

#include "common.cuh"
#include "hopsim/kernels/kernels.hpp"

namespace hopsim::kernels {
namespace {

using detail::ceil_div;
using detail::Lane;

constexpr int kBM = 128;
constexpr int kBN = 128;
constexpr int kThreads = 256;

// ---- BF16 -----------------------------------------------------------------------------------
constexpr int kBK16 = 32;
constexpr int kLd16 = kBK16 + 8;  // padding keeps fragment loads bank-conflict free

__global__ void __launch_bounds__(kThreads)
    gemm_bf16_kernel(const __nv_bfloat16* __restrict__ a, const __nv_bfloat16* __restrict__ b,
                     __nv_bfloat16* c16, float* c32, int m, int n, int k) {
  __shared__ __align__(16) __nv_bfloat16 as[kBM * kLd16];
  __shared__ __align__(16) __nv_bfloat16 bs[kBN * kLd16];
  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid / 32;
  const Lane l = detail::lane_roles();
  const int wm = (warp / 4) * 64;
  const int wn = (warp % 4) * 32;
  const int m0 = static_cast<int>(blockIdx.y) * kBM;
  const int n0 = static_cast<int>(blockIdx.x) * kBN;
  float acc[4][4][4] = {};
  for (int k0 = 0; k0 < k; k0 += kBK16) {
    // 128 rows x 32 cols = 512 chunks of 8 BF16 per operand; 2 per thread.
    for (int i = tid; i < kBM * kBK16 / 8; i += kThreads) {
      const int r = i / 4;
      const int cc = (i % 4) * 8;
      uint4 va = make_uint4(0, 0, 0, 0);
      uint4 vb = make_uint4(0, 0, 0, 0);
      if (m0 + r < m)
        va = *reinterpret_cast<const uint4*>(a + static_cast<size_t>(m0 + r) * k + k0 + cc);
      if (n0 + r < n)
        vb = *reinterpret_cast<const uint4*>(b + static_cast<size_t>(n0 + r) * k + k0 + cc);
      *reinterpret_cast<uint4*>(as + r * kLd16 + cc) = va;
      *reinterpret_cast<uint4*>(bs + r * kLd16 + cc) = vb;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK16; kk += 16) {
      std::uint32_t af[4][4];
      std::uint32_t bf[4][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) detail::load_a_kmajor(af[i], as, kLd16, wm + i * 16, kk, l);
#pragma unroll
      for (int j = 0; j < 4; ++j) detail::load_b_kmajor(bf[j], bs, kLd16, wn + j * 8, kk, l);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) detail::mma_bf16_16816(acc[i][j], af[i], bf[j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int h = 0; h < 4; ++h) {
        const int row = m0 + wm + i * 16 + l.g + (h >= 2 ? 8 : 0);
        const int col = n0 + wn + j * 8 + 2 * l.t + (h & 1);
        if (row >= m || col >= n) continue;
        const size_t o = static_cast<size_t>(row) * n + col;
        if (c32 != nullptr) {
          c32[o] = acc[i][j][h];
        } else {
          c16[o] = __float2bfloat16_rn(acc[i][j][h]);
        }
      }
}

// ---- FP8 ------------------------------------------------------------------------------------
constexpr int kBK8 = 128;        // one scaling block of K per main-loop step
constexpr int kLd8 = kBK8 + 16;  // bytes; 36-word row stride spreads the 8 fragment rows over banks

// Computes one 128x128 output tile of A[m_begin.., :] * B^T, promoting each 128-long K slice.
__device__ void fp8_tile(const std::uint8_t* __restrict__ a, const float* __restrict__ sa,
                         const std::uint8_t* __restrict__ b, const float* __restrict__ sb,
                         __nv_bfloat16* c, int m_rows_end, int n, int k, int m0, int n0,
                         std::uint8_t* as, std::uint8_t* bs) {
  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid / 32;
  const Lane l = detail::lane_roles();
  const int wm = (warp / 4) * 64;
  const int wn = (warp % 4) * 32;
  const int kblocks = k / kBK8;
  float acc[4][4][4] = {};
  for (int kb = 0; kb < kblocks; ++kb) {
    const int k0 = kb * kBK8;
    for (int i = tid; i < kBM * kBK8 / 16; i += kThreads) {
      const int r = i / 8;
      const int cc = (i % 8) * 16;
      uint4 va = make_uint4(0, 0, 0, 0);
      uint4 vb = make_uint4(0, 0, 0, 0);
      if (m0 + r < m_rows_end)
        va = *reinterpret_cast<const uint4*>(a + static_cast<size_t>(m0 + r) * k + k0 + cc);
      if (n0 + r < n)
        vb = *reinterpret_cast<const uint4*>(b + static_cast<size_t>(n0 + r) * k + k0 + cc);
      *reinterpret_cast<uint4*>(as + r * kLd8 + cc) = va;
      *reinterpret_cast<uint4*>(bs + r * kLd8 + cc) = vb;
    }
    __syncthreads();
    // Tensor-core partial sums of this K slice only; promoted below in FP32 with the scales.
    float part[4][4][4] = {};
#pragma unroll
    for (int kk = 0; kk < kBK8; kk += 32) {
      std::uint32_t af[4][4];
      std::uint32_t bf[4][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const std::uint8_t* p = as + (wm + i * 16 + l.g) * kLd8 + kk + 4 * l.t;
        af[i][0] = detail::ld32(p);
        af[i][1] = detail::ld32(p + 8 * kLd8);
        af[i][2] = detail::ld32(p + 16);
        af[i][3] = detail::ld32(p + 8 * kLd8 + 16);
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const std::uint8_t* p = bs + (wn + j * 8 + l.g) * kLd8 + kk + 4 * l.t;
        bf[j][0] = detail::ld32(p);
        bf[j][1] = detail::ld32(p + 16);
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) detail::mma_e4m3_16832(part[i][j], af[i], bf[j]);
    }
    const float s_b = sb[(n0 / kBN) * kblocks + kb];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int r_lo = m0 + wm + i * 16 + l.g;
      const float s_lo =
          r_lo < m_rows_end ? sa[static_cast<size_t>(r_lo) * kblocks + kb] * s_b : 0.F;
      const float s_hi =
          r_lo + 8 < m_rows_end ? sa[static_cast<size_t>(r_lo + 8) * kblocks + kb] * s_b : 0.F;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        acc[i][j][0] += part[i][j][0] * s_lo;
        acc[i][j][1] += part[i][j][1] * s_lo;
        acc[i][j][2] += part[i][j][2] * s_hi;
        acc[i][j][3] += part[i][j][3] * s_hi;
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int h = 0; h < 4; ++h) {
        const int row = m0 + wm + i * 16 + l.g + (h >= 2 ? 8 : 0);
        const int col = n0 + wn + j * 8 + 2 * l.t + (h & 1);
        if (row < m_rows_end && col < n)
          c[static_cast<size_t>(row) * n + col] = __float2bfloat16_rn(acc[i][j][h]);
      }
}

__global__ void __launch_bounds__(kThreads)
    gemm_fp8_kernel(const std::uint8_t* __restrict__ a, const float* __restrict__ sa,
                    const std::uint8_t* __restrict__ b, const float* __restrict__ sb,
                    __nv_bfloat16* c, int m, int n, int k) {
  __shared__ __align__(16) std::uint8_t as[kBM * kLd8];
  __shared__ __align__(16) std::uint8_t bs[kBN * kLd8];
  fp8_tile(a, sa, b, sb, c, m, n, k, static_cast<int>(blockIdx.y) * kBM,
           static_cast<int>(blockIdx.x) * kBN, as, bs);
}

__global__ void __launch_bounds__(kThreads)
    grouped_gemm_fp8_kernel(const std::uint8_t* __restrict__ a, const float* __restrict__ sa,
                            const std::uint8_t* __restrict__ b, const float* __restrict__ sb,
                            __nv_bfloat16* c, const int* __restrict__ m_offsets, int groups, int n,
                            int k) {
  __shared__ __align__(16) std::uint8_t as[kBM * kLd8];
  __shared__ __align__(16) std::uint8_t bs[kBN * kLd8];
  const int m0 = static_cast<int>(blockIdx.y) * kBM;
  if (m0 >= m_offsets[groups]) return;
  // Offsets are multiples of 128, so a row block lies in exactly one group.
  int g = 0;
  while (g + 1 < groups && m_offsets[g + 1] <= m0) ++g;
  const size_t b_stride = static_cast<size_t>(n) * k;
  const size_t sb_stride = static_cast<size_t>(ceil_div(n, kBN)) * (k / kBK8);
  fp8_tile(a, sa, b + g * b_stride, sb + g * sb_stride, c, m_offsets[g + 1], n, k, m0,
           static_cast<int>(blockIdx.x) * kBN, as, bs);
}

}  // namespace

cudaError_t gemm_bf16_nt(const bf16_t* a, const bf16_t* b, bf16_t* c_bf16, float* c_f32, int m,
                         int n, int k, cudaStream_t stream) {
  if (m <= 0 || n <= 0 || k <= 0 || k % kBK16 != 0 || ((c_bf16 == nullptr) == (c_f32 == nullptr)))
    return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(ceil_div(n, kBN)), static_cast<unsigned>(ceil_div(m, kBM)));
  gemm_bf16_kernel<<<grid, kThreads, 0, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(a), reinterpret_cast<const __nv_bfloat16*>(b),
      reinterpret_cast<__nv_bfloat16*>(c_bf16), c_f32, m, n, k);
  return cudaGetLastError();
}

cudaError_t gemm_fp8_nt(const fp8_t* a, const float* scale_a, const fp8_t* b, const float* scale_b,
                        bf16_t* c, int m, int n, int k, cudaStream_t stream) {
  if (m <= 0 || n <= 0 || k <= 0 || k % kBK8 != 0) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(ceil_div(n, kBN)), static_cast<unsigned>(ceil_div(m, kBM)));
  gemm_fp8_kernel<<<grid, kThreads, 0, stream>>>(a, scale_a, b, scale_b,
                                                 reinterpret_cast<__nv_bfloat16*>(c), m, n, k);
  return cudaGetLastError();
}

cudaError_t grouped_gemm_fp8_nt(const fp8_t* a, const float* scale_a, const fp8_t* b,
                                const float* scale_b, bf16_t* c, const int* m_offsets, int groups,
                                int m_capacity, int n, int k, cudaStream_t stream) {
  if (groups <= 0 || m_capacity <= 0 || n <= 0 || k <= 0 || k % kBK8 != 0)
    return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(ceil_div(n, kBN)),
                  static_cast<unsigned>(ceil_div(m_capacity, kBM)));
  grouped_gemm_fp8_kernel<<<grid, kThreads, 0, stream>>>(
      a, scale_a, b, scale_b, reinterpret_cast<__nv_bfloat16*>(c), m_offsets, groups, n, k);
  return cudaGetLastError();
}

}  // namespace hopsim::kernels
