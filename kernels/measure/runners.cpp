#include "runners.hpp"

#include <cublasLt.h>
#include <cublas_v2.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "hopsim/kernels/kernels.hpp"

namespace hopsim::measure {

namespace hk = hopsim::kernels;

namespace {

void check(cudaError_t e, const std::string& what) {
  if (e != cudaSuccess) throw std::runtime_error(what + ": " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const std::string& what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(what + ": cuBLAS status " + std::to_string(static_cast<int>(s)));
}

//! Device allocation owned by a runner.
template <class T>
class Buf {
 public:
  Buf() = default;
  explicit Buf(std::size_t n) : n_(n) {
    check(cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T) + 16), "cudaMalloc");
  }
  ~Buf() { cudaFree(p_); }
  Buf(Buf&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; }
  Buf& operator=(Buf&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  [[nodiscard]] T* get() const { return p_; }
  [[nodiscard]] std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

std::size_t sz(long long v) {
  return static_cast<std::size_t>(v);
}
int ic(long long v) {
  return static_cast<int>(v);
}

Buf<hk::bf16_t> rand_bf16(std::size_t n, std::uint32_t seed, float scale = 1.0F) {
  Buf<hk::bf16_t> b(n);
  check(hk::fill_random_bf16(b.get(), n, seed, scale, nullptr), "fill");
  return b;
}
Buf<hk::fp8_t> rand_fp8(std::size_t n, std::uint32_t seed) {
  Buf<hk::fp8_t> b(n);
  check(hk::fill_random_fp8(b.get(), n, seed, nullptr), "fill");
  return b;
}
Buf<float> rand_f32(std::size_t n, std::uint32_t seed, float lo, float hi) {
  Buf<float> b(n);
  check(hk::fill_random_f32(b.get(), n, seed, lo, hi, nullptr), "fill");
  return b;
}

class GemmBf16 final : public Runner {
 public:
  explicit GemmBf16(const PlanEntry& e)
      : m_(ic(e.at("m"))),
        n_(ic(e.at("n"))),
        k_(ic(e.at("k"))),
        a_(rand_bf16(sz(e.at("m") * e.at("k")), 1)),
        b_(rand_bf16(sz(e.at("n") * e.at("k")), 2)),
        c_(sz(e.at("m") * e.at("n"))) {}
  void launch(cudaStream_t s, int /*sms*/) override {
    check(hk::gemm_bf16_nt(a_.get(), b_.get(), c_.get(), nullptr, m_, n_, k_, s), "gemm_bf16");
  }

 private:
  int m_, n_, k_;
  Buf<hk::bf16_t> a_, b_, c_;
};

class GemmFp8 final : public Runner {
 public:
  explicit GemmFp8(const PlanEntry& e)
      : m_(ic(e.at("m"))),
        n_(ic(e.at("n"))),
        k_(ic(e.at("k"))),
        a_(rand_fp8(sz(e.at("m") * e.at("k")), 3)),
        b_(rand_fp8(sz(e.at("n") * e.at("k")), 4)),
        sa_(rand_f32(sz(e.at("m") * (e.at("k") / 128)), 5, 0.5F, 1.F)),
        sb_(rand_f32(sz((e.at("n") + 127) / 128 * (e.at("k") / 128)), 6, 0.5F, 1.F)),
        c_(sz(e.at("m") * e.at("n"))) {}
  void launch(cudaStream_t s, int /*sms*/) override {
    check(hk::gemm_fp8_nt(a_.get(), sa_.get(), b_.get(), sb_.get(), c_.get(), m_, n_, k_, s),
          "gemm_fp8");
  }

 private:
  int m_, n_, k_;
  Buf<hk::fp8_t> a_, b_;
  Buf<float> sa_, sb_;
  Buf<hk::bf16_t> c_;
};

class GroupedFp8 final : public Runner {
 public:
  explicit GroupedFp8(const PlanEntry& e)
      : groups_(ic(e.at("groups"))),
        mpg_(ic(e.at("m_per_group"))),
        n_(ic(e.at("n"))),
        k_(ic(e.at("k"))),
        a_(rand_fp8(sz(e.at("groups") * e.at("m_per_group") * e.at("k")), 7)),
        b_(rand_fp8(sz(e.at("groups") * e.at("n") * e.at("k")), 8)),
        sa_(rand_f32(sz(e.at("groups") * e.at("m_per_group") * (e.at("k") / 128)), 9, 0.5F, 1.F)),
        sb_(rand_f32(sz(e.at("groups") * ((e.at("n") + 127) / 128) * (e.at("k") / 128)), 10, 0.5F,
                     1.F)),
        c_(sz(e.at("groups") * e.at("m_per_group") * e.at("n"))),
        off_(sz(e.at("groups") + 1)) {
    if (mpg_ % 128 != 0)
      throw std::runtime_error(e.label + ": m_per_group must be a multiple of 128");
    std::vector<int> off(sz(groups_ + 1));
    for (int g = 0; g <= groups_; ++g) off[sz(g)] = g * mpg_;  // uniform routing
    check(cudaMemcpy(off_.get(), off.data(), off.size() * sizeof(int), cudaMemcpyHostToDevice),
          "offsets");
  }
  void launch(cudaStream_t s, int /*sms*/) override {
    check(hk::grouped_gemm_fp8_nt(a_.get(), sa_.get(), b_.get(), sb_.get(), c_.get(), off_.get(),
                                  groups_, groups_ * mpg_, n_, k_, s),
          "grouped_gemm_fp8");
  }

 private:
  int groups_, mpg_, n_, k_;
  Buf<hk::fp8_t> a_, b_;
  Buf<float> sa_, sb_;
  Buf<hk::bf16_t> c_;
  Buf<int> off_;
};

class Attention final : public Runner {
 public:
  Attention(const PlanEntry& e, bool backward) : backward_(backward) {
    d_ = hk::AttentionDims{ic(e.at("batch")), ic(e.at("seq")), ic(e.at("heads")),
                           ic(e.at("d_qk")),  ic(e.at("d_v")), true};
    const std::size_t rows = sz(e.at("batch") * e.at("seq") * e.at("heads"));
    q_ = rand_bf16(rows * sz(d_.d_qk), 11);
    k_ = rand_bf16(rows * sz(d_.d_qk), 12);
    v_ = rand_bf16(rows * sz(d_.d_v), 13);
    o_ = Buf<hk::bf16_t>(rows * sz(d_.d_v));
    lse_ = Buf<float>(rows);
    if (backward_) {
      check(hk::attention_fwd(d_, q_.get(), k_.get(), v_.get(), o_.get(), lse_.get(), nullptr),
            "attention_fwd");
      do_ = rand_bf16(rows * sz(d_.d_v), 14);
      delta_ = Buf<float>(rows);
      dq_ = Buf<float>(rows * sz(d_.d_qk));
      dk_ = Buf<hk::bf16_t>(rows * sz(d_.d_qk));
      dv_ = Buf<hk::bf16_t>(rows * sz(d_.d_v));
    }
  }
  void launch(cudaStream_t s, int /*sms*/) override {
    if (!backward_) {
      check(hk::attention_fwd(d_, q_.get(), k_.get(), v_.get(), o_.get(), lse_.get(), s),
            "attention_fwd");
    } else {
      check(hk::attention_bwd(d_, q_.get(), k_.get(), v_.get(), o_.get(), do_.get(), lse_.get(),
                              delta_.get(), dq_.get(), dk_.get(), dv_.get(), s),
            "attention_bwd");
    }
  }

 private:
  bool backward_;
  hk::AttentionDims d_;
  Buf<hk::bf16_t> q_, k_, v_, o_, do_, dk_, dv_;
  Buf<float> lse_, delta_, dq_;
};

class Moe final : public Runner {
 public:
  explicit Moe(const PlanEntry& e) : cls_(e.kernel_class) {
    tokens_ = ic(e.at("tokens"));
    topk_ = ic(e.at("topk"));
    if (cls_ == "moe_router") {
      r_ = hk::RouterDims{ic(e.at("experts")), ic(e.at("groups")), ic(e.at("topk_groups")), topk_,
                          2.5F};
      logits_ = rand_f32(sz(tokens_) * sz(r_.experts), 15, -4.F, 4.F);
      bias_ = rand_f32(sz(r_.experts), 16, -0.01F, 0.01F);
      expert_ = Buf<int>(sz(tokens_ * topk_));
      weight_ = Buf<float>(sz(tokens_ * topk_));
      return;
    }
    hidden_ = ic(e.at("hidden"));
    experts_ = cls_ == "moe_permute" ? ic(e.at("experts")) : 256;
    capacity_ = tokens_ * topk_ + experts_ * 127;
    // Routing for the data movement: the real router on random logits (near-uniform load).
    r_ = hk::RouterDims{experts_, 8, 4, topk_, 2.5F};
    if (experts_ % 8 != 0) r_.groups = 1, r_.topk_groups = 1;
    logits_ = rand_f32(sz(tokens_) * sz(experts_), 17, -4.F, 4.F);
    bias_ = rand_f32(sz(experts_), 18, -0.01F, 0.01F);
    expert_ = Buf<int>(sz(tokens_ * topk_));
    weight_ = Buf<float>(sz(tokens_ * topk_));
    check(hk::router_topk(logits_.get(), bias_.get(), expert_.get(), weight_.get(), tokens_, r_,
                          nullptr),
          "router");
    counts_ = Buf<int>(sz(experts_));
    offsets_ = Buf<int>(sz(experts_ + 1));
    dest_ = Buf<int>(sz(tokens_ * topk_));
    src_ = Buf<int>(sz(capacity_));
    check(hk::moe_permute_plan(expert_.get(), tokens_, topk_, experts_, 128, counts_.get(),
                               offsets_.get(), dest_.get(), src_.get(), capacity_, nullptr),
          "permute plan");
    x_ = rand_bf16(sz(tokens_) * sz(hidden_), 19);
    y_ = rand_bf16(sz(capacity_) * sz(hidden_), 20);
    out_ = Buf<hk::bf16_t>(sz(tokens_) * sz(hidden_));
  }
  void launch(cudaStream_t s, int /*sms*/) override {
    if (cls_ == "moe_router") {
      check(
          hk::router_topk(logits_.get(), bias_.get(), expert_.get(), weight_.get(), tokens_, r_, s),
          "router");
    } else if (cls_ == "moe_permute") {
      check(hk::moe_permute_plan(expert_.get(), tokens_, topk_, experts_, 128, counts_.get(),
                                 offsets_.get(), dest_.get(), src_.get(), capacity_, s),
            "permute plan");
      check(hk::moe_permute_rows(x_.get(), src_.get(), offsets_.get(), experts_, y_.get(),
                                 capacity_, hidden_, s),
            "permute rows");
    } else {
      check(hk::moe_unpermute_combine(y_.get(), dest_.get(), weight_.get(), out_.get(), tokens_,
                                      topk_, hidden_, s),
            "combine");
    }
  }

 private:
  std::string cls_;
  int tokens_ = 0, topk_ = 0, hidden_ = 0, experts_ = 0, capacity_ = 0;
  hk::RouterDims r_;
  Buf<float> logits_, bias_, weight_;
  Buf<int> expert_, counts_, offsets_, dest_, src_;
  Buf<hk::bf16_t> x_, y_, out_;
};

class RowKernel final : public Runner {
 public:
  explicit RowKernel(const PlanEntry& e)
      : quant_(e.kernel_class == "quantize_fp8"),
        rows_(ic(e.at("rows"))),
        cols_(ic(e.at("cols"))),
        x_(rand_bf16(sz(e.at("rows") * e.at("cols")), 21)),
        w_(rand_bf16(sz(e.at("cols")), 22)),
        y_(sz(e.at("rows") * e.at("cols"))),
        q_(sz(e.at("rows") * e.at("cols"))),
        s_(sz(e.at("rows") * ((e.at("cols") + 127) / 128))) {}
  void launch(cudaStream_t s, int /*sms*/) override {
    if (quant_) {
      check(hk::quantize_fp8_1x128(x_.get(), q_.get(), s_.get(), rows_, cols_, s), "quantize");
    } else {
      check(hk::rmsnorm_bf16(x_.get(), w_.get(), y_.get(), rows_, cols_, 1e-6F, s), "rmsnorm");
    }
  }

 private:
  bool quant_;
  int rows_, cols_;
  Buf<hk::bf16_t> x_, w_, y_;
  Buf<hk::fp8_t> q_;
  Buf<float> s_;
};

class Copy final : public Runner {
 public:
  explicit Copy(const PlanEntry& e) : bytes_(sz(e.at("bytes"))), src_(bytes_), dst_(bytes_) {}
  // Persistent grid sized from the partition: one CTA per SM.
  void launch(cudaStream_t s, int sms) override {
    check(hk::copy_sm_limited(dst_.get(), src_.get(), bytes_, sms, s), "copy");
  }

 private:
  std::size_t bytes_;
  Buf<unsigned char> src_, dst_;
};

class CublasBf16 final : public Runner {
 public:
  explicit CublasBf16(const PlanEntry& e)
      : m_(ic(e.at("m"))),
        n_(ic(e.at("n"))),
        k_(ic(e.at("k"))),
        a_(rand_bf16(sz(e.at("m") * e.at("k")), 23)),
        b_(rand_bf16(sz(e.at("n") * e.at("k")), 24)),
        c_(sz(e.at("m") * e.at("n"))) {
    check(cublasCreate(&h_), "cublasCreate");
  }
  ~CublasBf16() override { cublasDestroy(h_); }
  CublasBf16(const CublasBf16&) = delete;
  CublasBf16& operator=(const CublasBf16&) = delete;
  // Row-major C[M,N] = A B^T is column-major C^T = B^T(op T) * A: the "TN" call.
  void launch(cudaStream_t s, int /*sms*/) override {
    check(cublasSetStream(h_, s), "cublasSetStream");
    const float alpha = 1.F;
    const float beta = 0.F;
    check(cublasGemmEx(h_, CUBLAS_OP_T, CUBLAS_OP_N, n_, m_, k_, &alpha, b_.get(), CUDA_R_16BF, k_,
                       a_.get(), CUDA_R_16BF, k_, &beta, c_.get(), CUDA_R_16BF, n_,
                       CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
  }
  [[nodiscard]] bool partitionable() const override { return false; }

 private:
  int m_, n_, k_;
  Buf<hk::bf16_t> a_, b_, c_;
  cublasHandle_t h_ = nullptr;
};

class CublasLtFp8 final : public Runner {
 public:
  explicit CublasLtFp8(const PlanEntry& e)
      : m_(ic(e.at("m"))),
        n_(ic(e.at("n"))),
        k_(ic(e.at("k"))),
        a_(rand_fp8(sz(e.at("m") * e.at("k")), 25)),
        b_(rand_fp8(sz(e.at("n") * e.at("k")), 26)),
        sa_(rand_f32(sz(std::max(e.at("m"), e.at("n")) * ((e.at("k") + 127) / 128)), 27, 0.5F,
                     1.F)),
        sb_(rand_f32(sz(std::max(e.at("m"), e.at("n")) * ((e.at("k") + 127) / 128)), 28, 0.5F,
                     1.F)),
        c_(sz(e.at("m") * e.at("n"))),
        ws_(kWorkspace) {
    check(cublasLtCreate(&lt_), "cublasLtCreate");
    // Try DeepSeek-style block scaling first (cuBLASLt 12.9+ on Hopper); fall back to one
    // scale per tensor and say so in note().
    if (!setup(true)) {
      teardown();
      if (!setup(false))
        throw std::runtime_error(e.label + ": no cuBLASLt FP8 algorithm for this shape");
      note_ = "cublaslt_scaling=per_tensor (block scaling unavailable)";
    } else {
      note_ = "cublaslt_scaling=blk128x128_vec128";
    }
  }
  ~CublasLtFp8() override {
    teardown();
    cublasLtDestroy(lt_);
  }
  CublasLtFp8(const CublasLtFp8&) = delete;
  CublasLtFp8& operator=(const CublasLtFp8&) = delete;
  void launch(cudaStream_t s, int /*sms*/) override {
    const float alpha = 1.F;
    const float beta = 0.F;
    check(cublasLtMatmul(lt_, op_, &alpha, b_.get(), la_, a_.get(), lb_, &beta, c_.get(), lc_,
                         c_.get(), lc_, &algo_, ws_.get(), kWorkspace, s),
          "cublasLtMatmul");
  }
  [[nodiscard]] std::string note() const override { return note_; }
  [[nodiscard]] bool partitionable() const override { return false; }

 private:
  static constexpr std::size_t kWorkspace = 32U << 20;
  // Lt's A is our weight B [N,K] (transposed), Lt's B is our activation A [M,K]: the TN layout
  // that FP8 requires. The weight gets 128x128 block scales, the activation 1x128 vectors.
  bool setup(bool block_scaled) {
    if (cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS)
      return false;
    const cublasOperation_t t = CUBLAS_OP_T;
    const cublasOperation_t nn = CUBLAS_OP_N;
    cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof(t));
    cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &nn, sizeof(nn));
    const float* pa = sb_.get();
    const float* pb = sa_.get();
    cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &pa, sizeof(pa));
    cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &pb, sizeof(pb));
    if (block_scaled) {
      const cublasLtMatmulMatrixScale_t ma = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
      const cublasLtMatmulMatrixScale_t mb = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
      if (cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &ma, sizeof(ma)) !=
              CUBLAS_STATUS_SUCCESS ||
          cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mb, sizeof(mb)) !=
              CUBLAS_STATUS_SUCCESS)
        return false;
    }
    cublasLtMatrixLayoutCreate(&la_, CUDA_R_8F_E4M3, static_cast<std::uint64_t>(k_),
                               static_cast<std::uint64_t>(n_), k_);
    cublasLtMatrixLayoutCreate(&lb_, CUDA_R_8F_E4M3, static_cast<std::uint64_t>(k_),
                               static_cast<std::uint64_t>(m_), k_);
    cublasLtMatrixLayoutCreate(&lc_, CUDA_R_16BF, static_cast<std::uint64_t>(n_),
                               static_cast<std::uint64_t>(m_), n_);
    cublasLtMatmulPreference_t pref = nullptr;
    cublasLtMatmulPreferenceCreate(&pref);
    const std::size_t ws = kWorkspace;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                         sizeof(ws));
    cublasLtMatmulHeuristicResult_t res{};
    int found = 0;
    const cublasStatus_t st =
        cublasLtMatmulAlgoGetHeuristic(lt_, op_, la_, lb_, lc_, lc_, pref, 1, &res, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (st != CUBLAS_STATUS_SUCCESS || found == 0) return false;
    algo_ = res.algo;
    return true;
  }
  void teardown() {
    if (la_ != nullptr) cublasLtMatrixLayoutDestroy(la_);
    if (lb_ != nullptr) cublasLtMatrixLayoutDestroy(lb_);
    if (lc_ != nullptr) cublasLtMatrixLayoutDestroy(lc_);
    if (op_ != nullptr) cublasLtMatmulDescDestroy(op_);
    la_ = lb_ = lc_ = nullptr;
    op_ = nullptr;
  }
  int m_, n_, k_;
  Buf<hk::fp8_t> a_, b_;
  Buf<float> sa_, sb_;
  Buf<hk::bf16_t> c_;
  Buf<unsigned char> ws_;
  cublasLtHandle_t lt_ = nullptr;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t la_ = nullptr, lb_ = nullptr, lc_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
  std::string note_;
};

}  // namespace

std::unique_ptr<Runner> make_runner(const PlanEntry& e) {
  const std::string& c = e.kernel_class;
  if (c == "gemm_bf16") return std::make_unique<GemmBf16>(e);
  if (c == "gemm_fp8") return std::make_unique<GemmFp8>(e);
  if (c == "grouped_gemm_fp8") return std::make_unique<GroupedFp8>(e);
  if (c == "attention_fwd") return std::make_unique<Attention>(e, false);
  if (c == "attention_bwd") return std::make_unique<Attention>(e, true);
  if (c == "moe_router" || c == "moe_permute" || c == "moe_combine")
    return std::make_unique<Moe>(e);
  if (c == "rmsnorm" || c == "quantize_fp8") return std::make_unique<RowKernel>(e);
  if (c == "hbm_copy" || c == "comm_copy") return std::make_unique<Copy>(e);
  if (c == "cublas_gemm_bf16") return std::make_unique<CublasBf16>(e);
  if (c == "cublaslt_gemm_fp8") return std::make_unique<CublasLtFp8>(e);
  throw std::runtime_error("no runner for class " + c);
}

}  // namespace hopsim::measure
