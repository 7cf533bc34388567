#pragma once
//! Warp-level tensor-core helpers shared by the kernels: mma.sync wrappers and fragment loaders
//! (layouts from the PTX ISA, "Matrix fragments for mma.m16n8k16 / m16n8k32").

#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <cstdint>

namespace hopsim::kernels::detail {

// Lane roles in an mma fragment: g = row group (0..7), t = thread in group (0..3).
struct Lane {
  int g;
  int t;
};
__device__ inline Lane lane_roles() {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  return Lane{lane >> 2, lane & 3};
}

__device__ inline void mma_bf16_16816(float (&d)[4], const std::uint32_t (&a)[4],
                                      const std::uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ inline void mma_e4m3_16832(float (&d)[4], const std::uint32_t (&a)[4],
                                      const std::uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ inline std::uint32_t ld32(const void* p) {
  return *static_cast<const std::uint32_t*>(p);
}

__device__ inline std::uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const std::uint32_t*>(&v);
}

__device__ inline std::uint32_t pack_bf16_raw(__nv_bfloat16 lo, __nv_bfloat16 hi) {
  const std::uint16_t l = *reinterpret_cast<const std::uint16_t*>(&lo);
  const std::uint16_t h = *reinterpret_cast<const std::uint16_t*>(&hi);
  return static_cast<std::uint32_t>(l) | (static_cast<std::uint32_t>(h) << 16);
}

// A fragment (16 x 16, row-major) of a K-contiguous BF16 tile: s[row * ld + k].
__device__ inline void load_a_kmajor(std::uint32_t (&a)[4], const __nv_bfloat16* s, int ld, int r0,
                                     int k0, Lane l) {
  a[0] = ld32(s + (r0 + l.g) * ld + k0 + 2 * l.t);
  a[1] = ld32(s + (r0 + l.g + 8) * ld + k0 + 2 * l.t);
  a[2] = ld32(s + (r0 + l.g) * ld + k0 + 2 * l.t + 8);
  a[3] = ld32(s + (r0 + l.g + 8) * ld + k0 + 2 * l.t + 8);
}
// B fragment (16 x 8, "col") of a K-contiguous tile stored as s[n * ld + k].
__device__ inline void load_b_kmajor(std::uint32_t (&b)[2], const __nv_bfloat16* s, int ld, int n0,
                                     int k0, Lane l) {
  b[0] = ld32(s + (n0 + l.g) * ld + k0 + 2 * l.t);
  b[1] = ld32(s + (n0 + l.g) * ld + k0 + 2 * l.t + 8);
}
// B fragment of an N-contiguous tile stored as s[k * ld + n] (two 16-bit loads per register).
__device__ inline void load_b_nmajor(std::uint32_t (&b)[2], const __nv_bfloat16* s, int ld, int n0,
                                     int k0, Lane l) {
  const int n = n0 + l.g;
  const int k = k0 + 2 * l.t;
  b[0] = pack_bf16_raw(s[k * ld + n], s[(k + 1) * ld + n]);
  b[1] = pack_bf16_raw(s[(k + 8) * ld + n], s[(k + 9) * ld + n]);
}
// A fragment of a tile stored transposed, s[k * ld + row].
__device__ inline void load_a_mmajor(std::uint32_t (&a)[4], const __nv_bfloat16* s, int ld, int r0,
                                     int k0, Lane l) {
  const int r = r0 + l.g;
  const int k = k0 + 2 * l.t;
  a[0] = pack_bf16_raw(s[k * ld + r], s[(k + 1) * ld + r]);
  a[1] = pack_bf16_raw(s[k * ld + r + 8], s[(k + 1) * ld + r + 8]);
  a[2] = pack_bf16_raw(s[(k + 8) * ld + r], s[(k + 9) * ld + r]);
  a[3] = pack_bf16_raw(s[(k + 8) * ld + r + 8], s[(k + 9) * ld + r + 8]);
}
// Accumulator tiles c[2j], c[2j+1] (16 x 16 of an m16n8 pair) re-used as an A fragment: the
// C layout of two adjacent n8 tiles equals the A layout of one k16 step.
__device__ inline void c_to_a(std::uint32_t (&a)[4], const float (&c0)[4], const float (&c1)[4]) {
  a[0] = pack_bf16(c0[0], c0[1]);
  a[1] = pack_bf16(c0[2], c0[3]);
  a[2] = pack_bf16(c1[0], c1[1]);
  a[3] = pack_bf16(c1[2], c1[3]);
}

__host__ __device__ inline int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

}  // namespace hopsim::kernels::detail
