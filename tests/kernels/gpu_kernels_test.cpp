// GPU kernels against the CPU references at small shapes. Every case is tagged [gpu] and skips
// visibly (WARN "SKIPPED: ...") when no usable CUDA device is present: no driver, no GPU, or a
// GPU that is not sm_90 (the kernels are built for sm_90a only).

#include <cuda_runtime_api.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hopsim/kernels/kernels.hpp"
#include "hopsim/kernels/reference.hpp"

namespace hk = hopsim::kernels;
namespace ref = hopsim::kernels::ref;

namespace {

// Empty when a usable device exists, otherwise why not.
std::string no_device_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess)
    return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
  if (count == 0) return "cudaGetDeviceCount returned 0";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "cudaGetDeviceProperties failed";
  if (prop.major != 9)
    return std::string(prop.name) + " is not sm_90 (kernels are built for sm_90a)";
  return {};
}

#define HOPSIM_REQUIRE_GPU()                    \
  do {                                          \
    const std::string why = no_device_reason(); \
    if (!why.empty()) {                         \
      WARN("SKIPPED: no CUDA device: " << why); \
      return;                                   \
    }                                           \
  } while (0)

#define CUDA_OK(expr) REQUIRE((expr) == cudaSuccess)

template <class T>
struct Dev {
  T* p = nullptr;
  std::size_t n = 0;
  explicit Dev(std::size_t count) : n(count) {
    CUDA_OK(cudaMalloc(reinterpret_cast<void**>(&p), count * sizeof(T)));
  }
  explicit Dev(const std::vector<T>& h) : Dev(h.size()) {
    CUDA_OK(cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~Dev() { cudaFree(p); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  std::vector<T> get() const {
    std::vector<T> h(n);
    CUDA_OK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
};

// Random values already rounded to BF16, so CPU and GPU see the same inputs.
std::vector<float> bf16_values(std::size_t n, unsigned seed, float scale = 1.0F) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = ref::bf16_round(u(rng));
  return v;
}
std::vector<std::uint16_t> to_bits(const std::vector<float>& v) {
  std::vector<std::uint16_t> b(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) b[i] = ref::float_to_bf16_bits(v[i]);
  return b;
}
std::vector<float> from_bits(const std::vector<std::uint16_t>& b) {
  std::vector<float> v(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) v[i] = ref::bf16_bits_to_float(b[i]);
  return v;
}
// max |got - want| / max(|want|) : error relative to the output's scale.
double rel_max_error(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0;
  double mag = 1e-30;
  for (std::size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, static_cast<double>(std::fabs(got[i] - want[i])));
    mag = std::max(mag, static_cast<double>(std::fabs(want[i])));
  }
  return err / mag;
}

}  // namespace

TEST_CASE("BF16 GEMM matches the CPU reference", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  const int m = 200, n = 136, k = 96;  // ragged M and N exercise the bounds checks
  const auto a = bf16_values(static_cast<std::size_t>(m * k), 1);
  const auto b = bf16_values(static_cast<std::size_t>(n * k), 2);
  Dev<std::uint16_t> da(to_bits(a)), db(to_bits(b));
  Dev<float> dc(static_cast<std::size_t>(m * n));
  CUDA_OK(hk::gemm_bf16_nt(da.p, db.p, nullptr, dc.p, m, n, k, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  CHECK(rel_max_error(dc.get(), ref::gemm_nt(a, b, m, n, k)) < 1e-5);
  CHECK(hk::gemm_bf16_nt(da.p, db.p, nullptr, dc.p, m, n, 100, nullptr) == cudaErrorInvalidValue);
}

TEST_CASE("FP8 block-scaled GEMM and quantisation match the CPU reference", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  const int m = 130, n = 192, k = 256;
  const auto a = bf16_values(static_cast<std::size_t>(m * k), 3);
  const auto w = bf16_values(static_cast<std::size_t>(n * k), 4, 0.1F);
  const auto qa = ref::quantize_1x128(a, m, k);
  const auto qb = ref::quantize_128x128(w, n, k);
  Dev<std::uint16_t> da(to_bits(a));
  Dev<std::uint8_t> dqa(qa.q.size()), dqb(qb.q);
  Dev<float> dsa(qa.scale.size()), dsb(qb.scale);
  CUDA_OK(hk::quantize_fp8_1x128(da.p, dqa.p, dsa.p, m, k, nullptr));
  Dev<std::uint16_t> dc(static_cast<std::size_t>(m * n));
  CUDA_OK(hk::gemm_fp8_nt(dqa.p, dsa.p, dqb.p, dsb.p, dc.p, m, n, k, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  CHECK(dqa.get() == qa.q);  // bit-exact: same RNE, saturating conversion
  CHECK(dsa.get() == qa.scale);
  // Same FP8 inputs; only FP32 summation order and the BF16 output rounding differ.
  CHECK(rel_max_error(from_bits(dc.get()), ref::fp8_gemm_nt(qa, qb)) < 1e-2);
}

TEST_CASE("grouped FP8 GEMM matches the CPU reference", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  const int n = 128, k = 128;
  const std::vector<int> offsets{0, 128, 128, 384};  // an empty group in the middle
  const int m = offsets.back();
  const auto qa = ref::quantize_1x128(bf16_values(static_cast<std::size_t>(m * k), 5), m, k);
  std::vector<ref::Fp8Tensor> b;
  std::vector<std::uint8_t> bq;
  std::vector<float> bs;
  for (unsigned g = 0; g < 3; ++g) {
    b.push_back(ref::quantize_128x128(bf16_values(static_cast<std::size_t>(n * k), 6 + g), n, k));
    bq.insert(bq.end(), b.back().q.begin(), b.back().q.end());
    bs.insert(bs.end(), b.back().scale.begin(), b.back().scale.end());
  }
  Dev<std::uint8_t> dqa(qa.q), dqb(bq);
  Dev<float> dsa(qa.scale), dsb(bs);
  Dev<int> doff(offsets);
  Dev<std::uint16_t> dc(static_cast<std::size_t>(m * n));
  CUDA_OK(hk::grouped_gemm_fp8_nt(dqa.p, dsa.p, dqb.p, dsb.p, dc.p, doff.p, 3, m, n, k, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  CHECK(rel_max_error(from_bits(dc.get()), ref::fp8_grouped_gemm_nt(qa, b, offsets)) < 1e-2);
}

TEST_CASE("MLA attention forward and backward match the CPU reference", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  for (const bool causal : {true, false}) {
    const ref::AttentionShape s{1, 128, 2, 192, 128, causal};
    const hk::AttentionDims d{1, 128, 2, 192, 128, causal};
    const auto q = bf16_values(128 * 2 * 192, 7);
    const auto k = bf16_values(128 * 2 * 192, 8);
    const auto v = bf16_values(128 * 2 * 128, 9);
    const auto d_o = bf16_values(128 * 2 * 128, 10);
    Dev<std::uint16_t> dq_in(to_bits(q)), dk_in(to_bits(k)), dv_in(to_bits(v)), ddo(to_bits(d_o));
    Dev<std::uint16_t> o(128 * 2 * 128), dk(q.size()), dv(v.size());
    Dev<float> lse(2 * 128), delta(2 * 128), dq(q.size());
    CUDA_OK(hk::attention_fwd(d, dq_in.p, dk_in.p, dv_in.p, o.p, lse.p, nullptr));
    CUDA_OK(hk::attention_bwd(d, dq_in.p, dk_in.p, dv_in.p, o.p, ddo.p, lse.p, delta.p, dq.p, dk.p,
                              dv.p, nullptr));
    CUDA_OK(cudaDeviceSynchronize());
    const auto fwd = ref::attention_forward(s, q, k, v);
    const auto o_gpu = from_bits(o.get());
    INFO("causal = " << causal);
    // P is rounded to BF16 before P.V (as in FlashAttention), so ~0.4% relative error.
    CHECK(rel_max_error(o_gpu, fwd.o) < 2e-2);
    CHECK(rel_max_error(lse.get(), fwd.lse) < 1e-3);
    // Backward is compared with the reference run on the GPU's own (BF16) forward output.
    ref::AttentionForward gpu_fwd{o_gpu, lse.get()};
    const auto g = ref::attention_backward(s, q, k, v, gpu_fwd, d_o);
    CHECK(rel_max_error(dq.get(), g.dq) < 3e-2);
    CHECK(rel_max_error(from_bits(dk.get()), g.dk) < 3e-2);
    CHECK(rel_max_error(from_bits(dv.get()), g.dv) < 3e-2);
  }
}

TEST_CASE("RMSNorm matches the CPU reference", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  const int rows = 7, cols = 1000;
  const auto x = bf16_values(static_cast<std::size_t>(rows * cols), 11);
  const auto w = bf16_values(static_cast<std::size_t>(cols), 12);
  Dev<std::uint16_t> dx(to_bits(x)), dw(to_bits(w)), dy(x.size());
  CUDA_OK(hk::rmsnorm_bf16(dx.p, dw.p, dy.p, rows, cols, 1e-6F, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  CHECK(rel_max_error(from_bits(dy.get()), ref::rmsnorm(x, w, rows, cols, 1e-6F)) < 1e-2);
}

TEST_CASE("MoE router, permutation and combine match the CPU reference", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  const int tokens = 300, hidden = 64;
  const hk::RouterDims rd{256, 8, 4, 8, 2.5F};
  const ref::RouterConfig rc{256, 8, 4, 8, 2.5F};
  std::mt19937 rng(13);
  std::normal_distribution<float> nd(0.F, 2.F);
  std::vector<float> logits(static_cast<std::size_t>(tokens * 256));
  for (auto& x : logits) x = nd(rng);
  std::vector<float> bias(256);
  for (auto& x : bias) x = 0.01F * nd(rng);
  Dev<float> dl(logits), db(bias), dw(static_cast<std::size_t>(tokens * 8));
  Dev<int> de(static_cast<std::size_t>(tokens * 8));
  CUDA_OK(hk::router_topk(dl.p, db.p, de.p, dw.p, tokens, rd, nullptr));
  const auto r = ref::route(logits, bias, tokens, rc);
  CUDA_OK(cudaDeviceSynchronize());
  CHECK(de.get() == r.expert);
  CHECK(rel_max_error(dw.get(), r.weight) < 1e-5);

  const int align = 128;
  const int capacity = tokens * 8 + 256 * (align - 1);
  Dev<int> counts(256), offsets(257), dest(static_cast<std::size_t>(tokens * 8)),
      src(static_cast<std::size_t>(capacity));
  CUDA_OK(hk::moe_permute_plan(de.p, tokens, 8, 256, align, counts.p, offsets.p, dest.p, src.p,
                               capacity, nullptr));
  const auto p = ref::plan_permutation(r.expert, tokens, 8, 256, align);
  const auto x = bf16_values(static_cast<std::size_t>(tokens * hidden), 14);
  Dev<std::uint16_t> dx(to_bits(x)), dy(static_cast<std::size_t>(capacity) * hidden),
      dout(x.size());
  CUDA_OK(hk::moe_permute_rows(dx.p, src.p, offsets.p, 256, dy.p, capacity, hidden, nullptr));
  CUDA_OK(hk::moe_unpermute_combine(dy.p, dest.p, dw.p, dout.p, tokens, 8, hidden, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  CHECK(counts.get() == p.count);
  CHECK(offsets.get() == p.offset);
  CHECK(dest.get() == p.dest);
  auto y = from_bits(dy.get());
  y.resize(static_cast<std::size_t>(p.offset.back()) * hidden);
  CHECK(y == ref::permute_rows(x, hidden, p));
  const auto want = ref::unpermute_combine(y, hidden, p, r.weight, tokens, 8);
  CHECK(rel_max_error(from_bits(dout.get()), want) < 1e-2);
}

TEST_CASE("SM-limited copy copies every byte", "[gpu][kernels]") {
  HOPSIM_REQUIRE_GPU();
  const std::size_t bytes = (1U << 20) + 13;  // a tail that is not a multiple of 16
  std::vector<std::uint8_t> h(bytes);
  for (std::size_t i = 0; i < bytes; ++i) h[i] = static_cast<std::uint8_t>(i * 31 + 7);
  Dev<std::uint8_t> src(h), dst(bytes);
  for (int blocks : {1, 20, 132}) {
    CUDA_OK(cudaMemset(dst.p, 0, bytes));
    CUDA_OK(hk::copy_sm_limited(dst.p, src.p, bytes, blocks, nullptr));
    CUDA_OK(cudaDeviceSynchronize());
    CHECK(dst.get() == h);
  }
}
