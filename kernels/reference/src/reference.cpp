#include "hopsim/kernels/reference.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace hopsim::kernels::ref {

namespace {
std::size_t idx(long long v) {
  return static_cast<std::size_t>(v);
}
int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}
}  // namespace

std::uint16_t float_to_bf16_bits(float x) {
  const auto u = std::bit_cast<std::uint32_t>(x);
  if (std::isnan(x)) return static_cast<std::uint16_t>((u >> 16) | 0x40U);
  const std::uint32_t rounding = 0x7FFFU + ((u >> 16) & 1U);
  return static_cast<std::uint16_t>((u + rounding) >> 16);
}

float bf16_bits_to_float(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

std::uint8_t float_to_e4m3(float x) {
  if (std::isnan(x)) return 0x7F;
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  const double a = std::fabs(static_cast<double>(x));
  if (a >= 448.0) return static_cast<std::uint8_t>(sign | 0x7E);
  // Subnormals (biased exponent 0) step by 2^-9; a result of 8 steps is the smallest normal,
  // whose code is also 8, so the same formula covers the boundary.
  if (a < std::ldexp(1.0, -6)) {
    const auto q = static_cast<int>(std::nearbyint(a * 512.0));
    return static_cast<std::uint8_t>(sign | q);
  }
  int e2 = 0;
  (void)std::frexp(a, &e2);
  int e = e2 - 1;  // a = 1.m * 2^e
  auto q = static_cast<int>(std::nearbyint((a / std::ldexp(1.0, e) - 1.0) * 8.0));
  if (q == 8) {
    q = 0;
    ++e;
  }
  const int code = ((e + 7) << 3) | q;
  return static_cast<std::uint8_t>(sign | std::min(code, 0x7E));
}

float e4m3_to_float(std::uint8_t b) {
  const int e = (b >> 3) & 0xF;
  const int m = b & 0x7;
  if (e == 0xF && m == 0x7) return std::numeric_limits<float>::quiet_NaN();
  const double mag = e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1.0 + m / 8.0, e - 7);
  return static_cast<float>((b & 0x80) != 0 ? -mag : mag);
}

std::vector<float> gemm_nt(const std::vector<float>& a, const std::vector<float>& b, int m, int n,
                           int k) {
  if (a.size() != idx(1LL * m * k) || b.size() != idx(1LL * n * k))
    throw std::invalid_argument("gemm_nt: operand sizes do not match M, N, K");
  std::vector<float> c(idx(1LL * m * n));
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int t = 0; t < k; ++t)
        acc += static_cast<double>(a[idx(1LL * i * k + t)]) * b[idx(1LL * j * k + t)];
      c[idx(1LL * i * n + j)] = static_cast<float>(acc);
    }
  return c;
}

namespace {
Fp8Tensor quantize_blocks(const std::vector<float>& x, int rows, int cols, int block_rows) {
  if (x.size() != idx(1LL * rows * cols)) throw std::invalid_argument("quantize: size mismatch");
  Fp8Tensor t;
  t.rows = rows;
  t.cols = cols;
  t.q.resize(x.size());
  const int kb_n = ceil_div(cols, kFp8Block);
  const int rb_n = ceil_div(rows, block_rows);
  t.scale.assign(idx(1LL * rb_n * kb_n), 1.0F);
  for (int rb = 0; rb < rb_n; ++rb)
    for (int kb = 0; kb < kb_n; ++kb) {
      const int r0 = rb * block_rows;
      const int r1 = std::min(rows, r0 + block_rows);
      const int c0 = kb * kFp8Block;
      const int c1 = std::min(cols, c0 + kFp8Block);
      float amax = 0;
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(x[idx(1LL * r * cols + c)]));
      const float scale = amax > 0 ? amax / kE4m3Max : 1.0F;
      t.scale[idx(1LL * rb * kb_n + kb)] = scale;
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c)
          t.q[idx(1LL * r * cols + c)] = float_to_e4m3(x[idx(1LL * r * cols + c)] / scale);
    }
  return t;
}
}  // namespace

Fp8Tensor quantize_1x128(const std::vector<float>& x, int rows, int cols) {
  return quantize_blocks(x, rows, cols, 1);
}

Fp8Tensor quantize_128x128(const std::vector<float>& w, int rows, int cols) {
  return quantize_blocks(w, rows, cols, kFp8Block);
}

namespace {
// Rows [m0, m1) of `a` times `b`, written into c (row stride n).
void fp8_gemm_rows(const Fp8Tensor& a, const Fp8Tensor& b, int m0, int m1, float* c) {
  const int n = b.rows;
  const int k = a.cols;
  const int kb_n = ceil_div(k, kFp8Block);
  for (int i = m0; i < m1; ++i)
    for (int j = 0; j < n; ++j) {
      float acc = 0;
      for (int kb = 0; kb < kb_n; ++kb) {
        float partial = 0;  // FP32 partial sum of one 128-long K slice
        for (int t = kb * kFp8Block; t < std::min(k, (kb + 1) * kFp8Block); ++t)
          partial +=
              e4m3_to_float(a.q[idx(1LL * i * k + t)]) * e4m3_to_float(b.q[idx(1LL * j * k + t)]);
        acc += partial * a.scale[idx(1LL * i * kb_n + kb)] *
               b.scale[idx(1LL * (j / kFp8Block) * kb_n + kb)];
      }
      c[idx(1LL * (i - m0) * n + j)] = acc;
    }
}
}  // namespace

std::vector<float> fp8_gemm_nt(const Fp8Tensor& a, const Fp8Tensor& b) {
  if (a.cols != b.cols) throw std::invalid_argument("fp8_gemm_nt: K differs");
  std::vector<float> c(idx(1LL * a.rows * b.rows));
  fp8_gemm_rows(a, b, 0, a.rows, c.data());
  return c;
}

std::vector<float> fp8_grouped_gemm_nt(const Fp8Tensor& a, const std::vector<Fp8Tensor>& b,
                                       const std::vector<int>& m_offsets) {
  if (b.empty() || m_offsets.size() != b.size() + 1 || m_offsets.back() != a.rows)
    throw std::invalid_argument(
        "fp8_grouped_gemm_nt: offsets must have groups+1 entries ending at M");
  const int n = b.front().rows;
  std::vector<float> c(idx(1LL * a.rows * n));
  for (std::size_t g = 0; g < b.size(); ++g) {
    if (b[g].rows != n || b[g].cols != a.cols)
      throw std::invalid_argument("fp8_grouped_gemm_nt: group " + std::to_string(g) +
                                  " has another shape");
    fp8_gemm_rows(a, b[g], m_offsets[g], m_offsets[g + 1], c.data() + idx(1LL * m_offsets[g] * n));
  }
  return c;
}

float AttentionShape::softmax_scale() const {
  return 1.0F / std::sqrt(static_cast<float>(d_qk));
}

double AttentionShape::forward_flops() const {
  const double pairs = causal ? 0.5 * seq * (seq + 1.0) : 1.0 * seq * seq;
  return 2.0 * batch * heads * pairs * (d_qk + d_v);
}

namespace {
struct AttnIndex {
  const AttentionShape& s;
  [[nodiscard]] std::size_t qk(int b, int t, int h, int d) const {
    return idx(((1LL * b * s.seq + t) * s.heads + h) * s.d_qk + d);
  }
  [[nodiscard]] std::size_t v(int b, int t, int h, int d) const {
    return idx(((1LL * b * s.seq + t) * s.heads + h) * s.d_v + d);
  }
  [[nodiscard]] std::size_t lse(int b, int h, int t) const {
    return idx((1LL * b * s.heads + h) * s.seq + t);
  }
};

// Scaled scores of one query row against all keys (masked ones are -inf).
std::vector<double> score_row(const AttentionShape& s, const AttnIndex& ix,
                              const std::vector<float>& q, const std::vector<float>& k, int b,
                              int h, int i) {
  std::vector<double> row(idx(s.seq), -std::numeric_limits<double>::infinity());
  const int last = s.causal ? i : s.seq - 1;
  for (int j = 0; j <= last; ++j) {
    double dot = 0;
    for (int d = 0; d < s.d_qk; ++d)
      dot += static_cast<double>(q[ix.qk(b, i, h, d)]) * k[ix.qk(b, j, h, d)];
    row[idx(j)] = dot * s.softmax_scale();
  }
  return row;
}
}  // namespace

AttentionForward attention_forward(const AttentionShape& s, const std::vector<float>& q,
                                   const std::vector<float>& k, const std::vector<float>& v) {
  const AttnIndex ix{s};
  AttentionForward out;
  out.o.assign(idx(1LL * s.batch * s.seq * s.heads * s.d_v), 0.0F);
  out.lse.assign(idx(1LL * s.batch * s.heads * s.seq), 0.0F);
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.heads; ++h)
      for (int i = 0; i < s.seq; ++i) {
        const auto row = score_row(s, ix, q, k, b, h, i);
        const double mx = *std::max_element(row.begin(), row.end());
        double sum = 0;
        for (double x : row) sum += std::exp(x - mx);
        const double lse = mx + std::log(sum);
        out.lse[ix.lse(b, h, i)] = static_cast<float>(lse);
        for (int d = 0; d < s.d_v; ++d) {
          double acc = 0;
          for (int j = 0; j < s.seq; ++j) acc += std::exp(row[idx(j)] - lse) * v[ix.v(b, j, h, d)];
          out.o[ix.v(b, i, h, d)] = static_cast<float>(acc);
        }
      }
  return out;
}

AttentionGrads attention_backward(const AttentionShape& s, const std::vector<float>& q,
                                  const std::vector<float>& k, const std::vector<float>& v,
                                  const AttentionForward& fwd, const std::vector<float>& d_o) {
  const AttnIndex ix{s};
  AttentionGrads g;
  std::vector<double> dq(q.size(), 0.0), dk(k.size(), 0.0), dv(v.size(), 0.0);
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.heads; ++h)
      for (int i = 0; i < s.seq; ++i) {
        const auto row = score_row(s, ix, q, k, b, h, i);
        const double lse = fwd.lse[ix.lse(b, h, i)];
        double di = 0;  // D_i = rowsum(dO * O)
        for (int d = 0; d < s.d_v; ++d)
          di += static_cast<double>(d_o[ix.v(b, i, h, d)]) * fwd.o[ix.v(b, i, h, d)];
        for (int j = 0; j < s.seq; ++j) {
          const double p = std::exp(row[idx(j)] - lse);
          if (p == 0) continue;
          double dp = 0;
          for (int d = 0; d < s.d_v; ++d) {
            dv[ix.v(b, j, h, d)] += p * d_o[ix.v(b, i, h, d)];
            dp += static_cast<double>(d_o[ix.v(b, i, h, d)]) * v[ix.v(b, j, h, d)];
          }
          const double ds = p * (dp - di) * s.softmax_scale();
          for (int d = 0; d < s.d_qk; ++d) {
            dq[ix.qk(b, i, h, d)] += ds * k[ix.qk(b, j, h, d)];
            dk[ix.qk(b, j, h, d)] += ds * q[ix.qk(b, i, h, d)];
          }
        }
      }
  g.dq.assign(dq.begin(), dq.end());
  g.dk.assign(dk.begin(), dk.end());
  g.dv.assign(dv.begin(), dv.end());
  return g;
}

std::vector<float> rmsnorm(const std::vector<float>& x, const std::vector<float>& w, int rows,
                           int cols, float eps) {
  if (x.size() != idx(1LL * rows * cols) || w.size() != idx(cols))
    throw std::invalid_argument("rmsnorm: size mismatch");
  std::vector<float> y(x.size());
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int c = 0; c < cols; ++c)
      ss += static_cast<double>(x[idx(1LL * r * cols + c)]) * x[idx(1LL * r * cols + c)];
    const double inv = 1.0 / std::sqrt(ss / cols + eps);
    for (int c = 0; c < cols; ++c)
      y[idx(1LL * r * cols + c)] = static_cast<float>(x[idx(1LL * r * cols + c)] * inv * w[idx(c)]);
  }
  return y;
}

Routing route(const std::vector<float>& logits, const std::vector<float>& bias, int tokens,
              const RouterConfig& cfg) {
  if (cfg.experts % cfg.groups != 0 || cfg.topk_groups > cfg.groups ||
      cfg.topk > cfg.topk_groups * (cfg.experts / cfg.groups))
    throw std::invalid_argument("route: inconsistent router config");
  if (logits.size() != idx(1LL * tokens * cfg.experts) || bias.size() != idx(cfg.experts))
    throw std::invalid_argument("route: size mismatch");
  const int per_group = cfg.experts / cfg.groups;
  Routing r;
  r.expert.resize(idx(1LL * tokens * cfg.topk));
  r.weight.resize(r.expert.size());
  std::vector<float> score(idx(cfg.experts)), biased(idx(cfg.experts));
  for (int t = 0; t < tokens; ++t) {
    for (int e = 0; e < cfg.experts; ++e) {
      score[idx(e)] = 1.0F / (1.0F + std::exp(-logits[idx(1LL * t * cfg.experts + e)]));
      biased[idx(e)] = score[idx(e)] + bias[idx(e)];
    }
    std::vector<float> gscore(idx(cfg.groups));
    for (int g = 0; g < cfg.groups; ++g) {
      std::vector<float> v(biased.begin() + g * per_group, biased.begin() + (g + 1) * per_group);
      std::partial_sort(v.begin(), v.begin() + 2, v.end(), std::greater<>());
      gscore[idx(g)] = v[0] + v[1];
    }
    std::vector<bool> allowed(idx(cfg.groups), false);
    for (int n = 0; n < cfg.topk_groups; ++n) {
      int best = -1;
      for (int g = 0; g < cfg.groups; ++g)
        if (!allowed[idx(g)] && (best < 0 || gscore[idx(g)] > gscore[idx(best)])) best = g;
      allowed[idx(best)] = true;
    }
    std::vector<bool> taken(idx(cfg.experts), false);
    double wsum = 0;
    for (int n = 0; n < cfg.topk; ++n) {
      int best = -1;
      for (int e = 0; e < cfg.experts; ++e)
        if (allowed[idx(e / per_group)] && !taken[idx(e)] &&
            (best < 0 || biased[idx(e)] > biased[idx(best)]))
          best = e;
      taken[idx(best)] = true;
      r.expert[idx(1LL * t * cfg.topk + n)] = best;
      wsum += score[idx(best)];
    }
    for (int n = 0; n < cfg.topk; ++n) {
      const auto i = idx(1LL * t * cfg.topk + n);
      r.weight[i] = static_cast<float>(score[idx(r.expert[i])] / wsum * cfg.route_scale);
    }
  }
  return r;
}

Permutation plan_permutation(const std::vector<int>& expert, int tokens, int topk, int experts,
                             int align) {
  if (expert.size() != idx(1LL * tokens * topk) || align < 1)
    throw std::invalid_argument("plan_permutation: size mismatch or align < 1");
  Permutation p;
  p.count.assign(idx(experts), 0);
  for (int e : expert) {
    if (e < 0 || e >= experts)
      throw std::invalid_argument("plan_permutation: expert id out of range");
    ++p.count[idx(e)];
  }
  p.offset.assign(idx(experts + 1), 0);
  for (int e = 0; e < experts; ++e)
    p.offset[idx(e + 1)] = p.offset[idx(e)] + ceil_div(p.count[idx(e)], align) * align;
  p.src_token.assign(idx(p.offset.back()), -1);
  p.dest.resize(expert.size());
  std::vector<int> fill(p.offset.begin(), p.offset.end() - 1);
  for (std::size_t i = 0; i < expert.size(); ++i) {
    const int row = fill[idx(expert[i])]++;
    p.dest[i] = row;
    p.src_token[idx(row)] = static_cast<int>(i) / topk;
  }
  return p;
}

std::vector<float> permute_rows(const std::vector<float>& x, int hidden, const Permutation& p) {
  std::vector<float> out(idx(1LL * p.offset.back() * hidden), 0.0F);
  for (int row = 0; row < p.offset.back(); ++row) {
    const int t = p.src_token[idx(row)];
    if (t < 0) continue;
    std::copy_n(x.begin() + 1LL * t * hidden, hidden, out.begin() + 1LL * row * hidden);
  }
  return out;
}

std::vector<float> unpermute_combine(const std::vector<float>& y, int hidden, const Permutation& p,
                                     const std::vector<float>& weight, int tokens, int topk) {
  std::vector<float> out(idx(1LL * tokens * hidden), 0.0F);
  for (int t = 0; t < tokens; ++t)
    for (int c = 0; c < hidden; ++c) {
      float acc = 0;
      for (int n = 0; n < topk; ++n) {
        const auto i = idx(1LL * t * topk + n);
        acc += weight[i] * y[idx(1LL * p.dest[i] * hidden + c)];
      }
      out[idx(1LL * t * hidden + c)] = acc;
    }
  return out;
}

}  // namespace hopsim::kernels::ref
