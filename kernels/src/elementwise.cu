// Memory-bound kernels: RMSNorm, FP8 1x128 quantisation, SM-limited copies, benchmark fills.

#include "common.cuh"
#include "hopsim/kernels/kernels.hpp"

namespace hopsim::kernels {
namespace {

constexpr int kNormThreads = 256;

__global__ void __launch_bounds__(kNormThreads)
    rmsnorm_kernel(const __nv_bfloat16* __restrict__ x, const __nv_bfloat16* __restrict__ w,
                   __nv_bfloat16* __restrict__ y, int cols, float eps) {
  __shared__ float partial[kNormThreads / 32];
  const size_t base = static_cast<size_t>(blockIdx.x) * cols;
  float ss = 0;
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += kNormThreads) {
    const float v = __bfloat162float(x[base + c]);
    ss += v * v;
  }
  for (int off = 16; off > 0; off /= 2) ss += __shfl_xor_sync(0xffffffffU, ss, off);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x / 32] = ss;
  __syncthreads();
  float total = 0;
  for (int i = 0; i < kNormThreads / 32; ++i) total += partial[i];
  const float inv = rsqrtf(total / static_cast<float>(cols) + eps);
  for (int c = static_cast<int>(threadIdx.x); c < cols; c += kNormThreads)
    y[base + c] = __float2bfloat16_rn(__bfloat162float(x[base + c]) * inv * __bfloat162float(w[c]));
}

// One warp per 1x128 tile; lane i holds elements 4i..4i+3.
__global__ void quantize_kernel(const __nv_bfloat16* __restrict__ x, __nv_fp8_e4m3* __restrict__ q,
                                float* __restrict__ scale, int rows, int cols) {
  const int tiles_per_row = detail::ceil_div(cols, 128);
  const int tile = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32);
  const int lane = static_cast<int>(threadIdx.x) & 31;
  if (tile >= rows * tiles_per_row) return;
  const int r = tile / tiles_per_row;
  const int c0 = (tile % tiles_per_row) * 128;
  float v[4];
  float amax = 0;
  for (int i = 0; i < 4; ++i) {
    const int c = c0 + lane * 4 + i;
    v[i] = c < cols ? __bfloat162float(x[static_cast<size_t>(r) * cols + c]) : 0.F;
    amax = fmaxf(amax, fabsf(v[i]));
  }
  for (int off = 16; off > 0; off /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffU, amax, off));
  const float s = amax > 0 ? amax / 448.0F : 1.0F;
  for (int i = 0; i < 4; ++i) {
    const int c = c0 + lane * 4 + i;
    if (c < cols) q[static_cast<size_t>(r) * cols + c] = __nv_fp8_e4m3(v[i] / s);
  }
  if (lane == 0) scale[tile] = s;
}

// Persistent: exactly gridDim.x CTAs, each striding over the buffer, so the copy holds as many
// SMs as it has CTAs (one CTA per SM at this size), like a communication kernel.
__global__ void __launch_bounds__(512)
    copy_kernel(uint4* __restrict__ dst, const uint4* __restrict__ src, size_t n16,
                unsigned char* __restrict__ dst_tail, const unsigned char* __restrict__ src_tail,
                int tail) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n16; i += stride)
    dst[i] = src[i];
  if (blockIdx.x == 0 && static_cast<int>(threadIdx.x) < tail)
    dst_tail[threadIdx.x] = src_tail[threadIdx.x];
}

__device__ inline std::uint32_t hash32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
__device__ inline float uniform01(size_t i, std::uint32_t seed) {
  return static_cast<float>(hash32(static_cast<std::uint32_t>(i) ^
                                   hash32(seed + static_cast<std::uint32_t>(i >> 32)))) *
         (1.0F / 4294967296.0F);
}

__global__ void fill_bf16_kernel(__nv_bfloat16* p, size_t n, std::uint32_t seed, float scale) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    p[i] = __float2bfloat16_rn((2.F * uniform01(i, seed) - 1.F) * scale);
}
__global__ void fill_fp8_kernel(std::uint8_t* p, size_t n, std::uint32_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    auto b = static_cast<std::uint8_t>(hash32(static_cast<std::uint32_t>(i) ^ seed) & 0xFFU);
    if ((b & 0x7FU) == 0x7FU) b ^= 1U;  // 0x7F / 0xFF are NaN in e4m3
    p[i] = b;
  }
}
__global__ void fill_f32_kernel(float* p, size_t n, std::uint32_t seed, float lo, float hi) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    p[i] = lo + (hi - lo) * uniform01(i, seed);
}

constexpr unsigned kFillBlocks = 1024;

}  // namespace

cudaError_t rmsnorm_bf16(const bf16_t* x, const bf16_t* weight, bf16_t* y, int rows, int cols,
                         float eps, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return cudaErrorInvalidValue;
  rmsnorm_kernel<<<static_cast<unsigned>(rows), kNormThreads, 0, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(x), reinterpret_cast<const __nv_bfloat16*>(weight),
      reinterpret_cast<__nv_bfloat16*>(y), cols, eps);
  return cudaGetLastError();
}

cudaError_t quantize_fp8_1x128(const bf16_t* x, fp8_t* q, float* scale, int rows, int cols,
                               cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return cudaErrorInvalidValue;
  const long long tiles = 1LL * rows * detail::ceil_div(cols, 128);
  quantize_kernel<<<static_cast<unsigned>((tiles * 32 + 255) / 256), 256, 0, stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(x), reinterpret_cast<__nv_fp8_e4m3*>(q), scale, rows,
      cols);
  return cudaGetLastError();
}

cudaError_t copy_sm_limited(void* dst, const void* src, std::size_t bytes, int blocks,
                            cudaStream_t stream) {
  if (blocks <= 0 || (reinterpret_cast<std::uintptr_t>(dst) % 16) != 0 ||
      (reinterpret_cast<std::uintptr_t>(src) % 16) != 0)
    return cudaErrorInvalidValue;
  const size_t n16 = bytes / 16;
  const int tail = static_cast<int>(bytes % 16);
  copy_kernel<<<static_cast<unsigned>(blocks), 512, 0, stream>>>(
      static_cast<uint4*>(dst), static_cast<const uint4*>(src), n16,
      static_cast<unsigned char*>(dst) + n16 * 16,
      static_cast<const unsigned char*>(src) + n16 * 16, tail);
  return cudaGetLastError();
}

cudaError_t fill_random_bf16(bf16_t* p, std::size_t n, std::uint32_t seed, float scale,
                             cudaStream_t stream) {
  fill_bf16_kernel<<<kFillBlocks, 256, 0, stream>>>(reinterpret_cast<__nv_bfloat16*>(p), n, seed,
                                                    scale);
  return cudaGetLastError();
}
cudaError_t fill_random_fp8(fp8_t* p, std::size_t n, std::uint32_t seed, cudaStream_t stream) {
  fill_fp8_kernel<<<kFillBlocks, 256, 0, stream>>>(p, n, seed);
  return cudaGetLastError();
}
cudaError_t fill_random_f32(float* p, std::size_t n, std::uint32_t seed, float lo, float hi,
                            cudaStream_t stream) {
  fill_f32_kernel<<<kFillBlocks, 256, 0, stream>>>(p, n, seed, lo, hi);
  return cudaGetLastError();
}

}  // namespace hopsim::kernels
