// CPU tests of the kernel references (kernels/reference): they always run, GPU or not.

#include "hopsim/kernels/reference.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace ref = hopsim::kernels::ref;

namespace {
std::vector<float> random_vector(std::size_t n, unsigned seed, float scale = 1.0F) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}
}  // namespace

TEST_CASE("e4m3 encodes known values", "[kernels][reference]") {
  // E4M3 (bias 7): 1.0 = 0 0111 000 = 0x38; 448 = 0 1111 110 = 0x7E (largest finite);
  // 2^-6 = 0 0001 000 = 0x08 (smallest normal); 2^-9 = 0 0000 001 = 0x01 (smallest subnormal).
  CHECK(ref::float_to_e4m3(1.0F) == 0x38);
  CHECK(ref::float_to_e4m3(-1.0F) == 0xB8);
  CHECK(ref::float_to_e4m3(448.0F) == 0x7E);
  CHECK(ref::float_to_e4m3(1.0e6F) == 0x7E);  // saturates, no infinity in e4m3fn
  CHECK(ref::float_to_e4m3(-1.0e6F) == 0xFE);
  CHECK(ref::float_to_e4m3(std::ldexp(1.0F, -6)) == 0x08);
  CHECK(ref::float_to_e4m3(std::ldexp(1.0F, -9)) == 0x01);
  CHECK(ref::float_to_e4m3(std::numeric_limits<float>::quiet_NaN()) == 0x7F);
  // Ties to even: 1.0625 lies halfway between 1.0 (mantissa 000) and 1.125 (001) -> 1.0;
  // 1.1875 lies between 1.125 (001) and 1.25 (010) -> 1.25.
  CHECK(ref::float_to_e4m3(1.0625F) == 0x38);
  CHECK(ref::float_to_e4m3(1.1875F) == 0x3A);
  // Half the smallest subnormal (2^-10) ties to even -> 0.
  CHECK(ref::float_to_e4m3(std::ldexp(1.0F, -10)) == 0x00);
}

TEST_CASE("e4m3 decode then encode is the identity on every finite code", "[kernels][reference]") {
  for (int c = 0; c < 256; ++c) {
    const auto b = static_cast<std::uint8_t>(c);
    if ((b & 0x7F) == 0x7F) {
      CHECK(std::isnan(ref::e4m3_to_float(b)));
      continue;
    }
    const float v = ref::e4m3_to_float(b);
    if (v == 0.0F) continue;  // +0 and -0 both exist; sign is kept by signbit
    CHECK(ref::float_to_e4m3(v) == b);
  }
  CHECK(ref::e4m3_to_float(0x7E) == 448.0F);
}

TEST_CASE("bf16 rounds to nearest even", "[kernels][reference]") {
  // 1 + 2^-8 is halfway between BF16 1.0 and 1 + 2^-7 -> even (1.0); 1 + 3*2^-8 -> 1 + 2^-6.
  CHECK(ref::bf16_round(1.0F + std::ldexp(1.0F, -8)) == 1.0F);
  CHECK(ref::bf16_round(1.0F + 3 * std::ldexp(1.0F, -8)) == 1.0F + std::ldexp(1.0F, -6));
  CHECK(ref::float_to_bf16_bits(1.0F) == 0x3F80);
}

TEST_CASE("gemm_nt matches a hand-computed product", "[kernels][reference]") {
  // A = [[1,2],[3,4]], B = [[5,6],[7,8]] (rows are N), C = A B^T = [[17,23],[39,53]].
  const auto c = ref::gemm_nt({1, 2, 3, 4}, {5, 6, 7, 8}, 2, 2, 2);
  CHECK(c == std::vector<float>{17, 23, 39, 53});
  CHECK_THROWS(ref::gemm_nt({1, 2, 3}, {5, 6, 7, 8}, 2, 2, 2));
}

TEST_CASE("1x128 quantisation uses amax/448 per tile", "[kernels][reference]") {
  std::vector<float> x(2 * 256, 0.0F);
  x[5] = -3.5F;    // row 0, tile 0
  x[200] = 0.75F;  // row 0, tile 1
  const auto q = ref::quantize_1x128(x, 2, 256);
  REQUIRE(q.scale.size() == 4);
  CHECK(q.scale[0] == Approx(3.5 / 448));
  CHECK(q.scale[1] == Approx(0.75 / 448));
  CHECK(q.scale[2] == 1.0F);  // all-zero tile
  CHECK(q.q[5] == 0xFE);      // -448 after scaling
  CHECK(ref::e4m3_to_float(q.q[200]) * q.scale[1] == Approx(0.75));
}

TEST_CASE("FP8 block-scaled GEMM approximates the exact product", "[kernels][reference]") {
  const int m = 32;
  const int n = 160;  // one full and one partial 128-row weight block
  const int k = 384;
  const auto a = random_vector(static_cast<std::size_t>(m * k), 1);
  const auto b = random_vector(static_cast<std::size_t>(n * k), 2, 0.05F);
  const auto qa = ref::quantize_1x128(a, m, k);
  const auto qb = ref::quantize_128x128(b, n, k);
  CHECK(qb.scale.size() == 2 * 3);
  const auto c = ref::fp8_gemm_nt(qa, qb);
  const auto exact = ref::gemm_nt(a, b, m, n, k);
  // e4m3 keeps 3 mantissa bits (relative step 2^-4 near the top of a binade), so each product
  // has ~3% error; summed over 384 terms with random signs the result's error relative to
  // the output's RMS stays well under 10%.
  double err = 0;
  double norm = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    err += (c[i] - exact[i]) * (c[i] - exact[i]);
    norm += exact[i] * exact[i];
  }
  CHECK(std::sqrt(err / norm) < 0.1);
  CHECK(std::sqrt(err / norm) > 0.0);  // it is a lossy format: exact equality would be a bug
}

TEST_CASE("grouped FP8 GEMM equals per-group GEMMs", "[kernels][reference]") {
  const int k = 128;
  const int n = 128;
  const auto a = random_vector(256 * k, 3);
  const auto qa = ref::quantize_1x128(a, 256, k);
  std::vector<ref::Fp8Tensor> b;
  for (unsigned g = 0; g < 2; ++g)
    b.push_back(ref::quantize_128x128(random_vector(n * k, 10 + g), n, k));
  const auto c = ref::fp8_grouped_gemm_nt(qa, b, {0, 128, 256});
  ref::Fp8Tensor lower = qa;
  lower.rows = 128;
  lower.q.assign(qa.q.begin() + 128 * k, qa.q.end());
  lower.scale.assign(qa.scale.begin() + 128, qa.scale.end());
  const auto c1 = ref::fp8_gemm_nt(lower, b[1]);
  for (int i = 0; i < 128 * n; ++i)
    REQUIRE(c[static_cast<std::size_t>(128 * n + i)] == c1[static_cast<std::size_t>(i)]);
  CHECK_THROWS(ref::fp8_grouped_gemm_nt(qa, b, {0, 128}));
}

TEST_CASE("causal attention: the first query sees only the first key", "[kernels][reference]") {
  ref::AttentionShape s{1, 3, 1, 192, 128, true};
  auto q = random_vector(3 * 192, 4);
  auto k = random_vector(3 * 192, 5);
  auto v = random_vector(3 * 128, 6);
  const auto f = ref::attention_forward(s, q, k, v);
  for (int d = 0; d < 128; ++d)
    CHECK(f.o[static_cast<std::size_t>(d)] == Approx(v[static_cast<std::size_t>(d)]));
  // LSE of a single visible key is its scaled score.
  double dot = 0;
  for (int d = 0; d < 192; ++d)
    dot += static_cast<double>(q[static_cast<std::size_t>(d)]) * k[static_cast<std::size_t>(d)];
  CHECK(f.lse[0] == Approx(dot / std::sqrt(192.0)).epsilon(1e-5));
  // FLOPs: 2 * heads * pairs * (192 + 128) with pairs = 3*4/2 = 6 -> 3840.
  CHECK(s.forward_flops() == 3840.0);
}

TEST_CASE("attention backward matches finite differences", "[kernels][reference]") {
  ref::AttentionShape s{1, 4, 2, 192, 128, true};
  const auto q = random_vector(4 * 2 * 192, 7);
  const auto k = random_vector(4 * 2 * 192, 8);
  const auto v = random_vector(4 * 2 * 128, 9);
  const auto d_o = random_vector(4 * 2 * 128, 10);
  const auto fwd = ref::attention_forward(s, q, k, v);
  const auto g = ref::attention_backward(s, q, k, v, fwd, d_o);
  // loss = sum(dO * O); d loss / d x by central differences at a few coordinates.
  auto loss = [&](const std::vector<float>& qq, const std::vector<float>& kk,
                  const std::vector<float>& vv) {
    const auto o = ref::attention_forward(s, qq, kk, vv).o;
    double l = 0;
    for (std::size_t i = 0; i < o.size(); ++i) l += static_cast<double>(o[i]) * d_o[i];
    return l;
  };
  const float h = 1e-2F;
  for (std::size_t i : {std::size_t{5}, std::size_t{200}, std::size_t{700}, std::size_t{1500}}) {
    auto qp = q, qm = q, kp = k, km = k;
    qp[i] += h;
    qm[i] -= h;
    kp[i] += h;
    km[i] -= h;
    CHECK(g.dq[i] == Approx((loss(qp, k, v) - loss(qm, k, v)) / (2 * h)).margin(2e-3));
    CHECK(g.dk[i] == Approx((loss(q, kp, v) - loss(q, km, v)) / (2 * h)).margin(2e-3));
  }
  for (std::size_t i : {std::size_t{3}, std::size_t{600}, std::size_t{1000}}) {
    auto vp = v, vm = v;
    vp[i] += h;
    vm[i] -= h;
    CHECK(g.dv[i] == Approx((loss(q, k, vp) - loss(q, k, vm)) / (2 * h)).margin(2e-3));
  }
}

TEST_CASE("rmsnorm of a hand-computed row", "[kernels][reference]") {
  // x = [3, 4]: mean square 12.5, rms = 3.5355; y = x / rms * w with w = [1, 2].
  const auto y = ref::rmsnorm({3, 4}, {1, 2}, 1, 2, 0.0F);
  CHECK(y[0] == Approx(3 / std::sqrt(12.5)));
  CHECK(y[1] == Approx(8 / std::sqrt(12.5)));
}

TEST_CASE("router keeps experts inside the top groups (node-limited routing)",
          "[kernels][reference]") {
  // 16 experts in 4 groups of 4, top-2 groups, top-3 experts. Group 0 has one very strong
  // expert but a weak second; groups 1 and 2 have two good experts each.
  ref::RouterConfig cfg{16, 4, 2, 3, 1.0F};
  std::vector<float> logits(16, -6.0F);
  logits[0] = 6.0F;              // group 0: 1 strong + weak -> group score ~ 1.0 + 0.0025
  logits[4] = logits[5] = 2.0F;  // group 1: ~0.88 + 0.88 = 1.76
  logits[8] = logits[9] = 1.0F;  // group 2: ~0.73 + 0.73 = 1.46
  const std::vector<float> bias(16, 0.0F);
  const auto r = ref::route(logits, bias, 1, cfg);
  // Groups 1 and 2 win, so expert 0 (the single best score) is excluded.
  CHECK(std::set<int>(r.expert.begin(), r.expert.end()) == std::set<int>{4, 5, 8});
  CHECK(r.expert[0] == 4);  // ties go to the lower index
  CHECK(r.weight[0] + r.weight[1] + r.weight[2] == Approx(1.0));
  // The bias changes selection but not the weights: push expert 9 above expert 8.
  std::vector<float> bias2(16, 0.0F);
  bias2[9] = 0.01F;
  const auto r2 = ref::route(logits, bias2, 1, cfg);
  CHECK(std::set<int>(r2.expert.begin(), r2.expert.end()) == std::set<int>{4, 5, 9});
  CHECK(r2.weight[2] == Approx(r.weight[2]));
}

TEST_CASE("permute then combine returns the weighted token", "[kernels][reference]") {
  const int tokens = 5;
  const int topk = 2;
  const int hidden = 4;
  const std::vector<int> expert{0, 2, 2, 1, 0, 1, 2, 0, 1, 2};
  const auto p = ref::plan_permutation(expert, tokens, topk, 3, 4);
  CHECK(p.count == std::vector<int>{3, 3, 4});
  CHECK(p.offset == std::vector<int>{0, 4, 8, 12});  // each padded to a multiple of 4
  CHECK(p.src_token[3] == -1);                       // padding row of expert 0
  CHECK(p.dest[0] == 0);                             // token 0 is first in expert 0
  CHECK(p.dest[1] == 8);                             // token 0's slot 1 is first in expert 2
  const auto x = random_vector(tokens * hidden, 11);
  const auto y = ref::permute_rows(x, hidden, p);
  const std::vector<float> w{0.25F, 0.75F, 1, 1, 0.5F, 0.5F, 2, 0, 1, 1};
  const auto out = ref::unpermute_combine(y, hidden, p, w, tokens, topk);
  for (int t = 0; t < tokens; ++t)
    for (int c = 0; c < hidden; ++c) {
      const auto i = static_cast<std::size_t>(t * hidden + c);
      const float wsum =
          w[static_cast<std::size_t>(2 * t)] + w[static_cast<std::size_t>(2 * t + 1)];
      CHECK(out[i] == Approx(x[i] * wsum));
    }
  CHECK_THROWS(ref::plan_permutation({0, 7}, 1, 2, 3, 1));
}
