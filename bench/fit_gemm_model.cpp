// Fits the GEMM tile model's defaults (sim::GemmTileModel and the GEMM main-loop efficiency) to a
// published per-shape table, minimising the squared log error of predicted TFLOPS, and prints
// the constants and each row's residual (docs/COST_MODEL.md "GEMM per shape").
// Usage: fit_gemm_model TABLE.csv   (e.g. tests/data/published/deepgemm_h800_fp8.csv), run from
// the source tree or with HOPSIM_DATA_DIR set (it loads hwprofiles/gpus/h800-sxm5.yaml).
// Deterministic: a seeded random search, then the same search at a finer step.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <random>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/cost/gemm_table.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {

using Params = std::array<double, 5>;  // efficiency, feed GB/s/SM, tile ns, HBM TB/s, kernel ns
constexpr Params kLo{0.5, 10, 0, 1.5, 0};
constexpr Params kHi{1.0, 200, 5000, 3.35, 20000};

CostModel model_of(const GpuProfile& gpu, const Params& p) {
  CostParameters c = default_cost_parameters(gpu);
  c.compute_efficiency[KernelClass::kGemmFp8] =
      gpu.sustained_clock_mhz / gpu.boost_clock_mhz * p[0];
  c.gemm.operand_feed_bytes_per_s_per_sm = p[1] * 1e9;
  c.gemm.tile_overhead = Nanoseconds(static_cast<std::int64_t>(std::llround(p[2])));
  c.gemm.hbm_fraction = p[3] * 1e12 / gpu.hbm_bandwidth.value();
  c.gemm.kernel_overhead = Nanoseconds(static_cast<std::int64_t>(std::llround(p[4])));
  return CostModel(gpu, c);
}

double loss(const GpuProfile& gpu, const std::vector<PublishedGemm>& rows, const Params& p) {
  const CostModel m = model_of(gpu, p);
  double s = 0;
  for (const auto& r : rows) {
    const double e = std::log(predicted_tflops(m, r, gpu.sms) / r.tflops);
    s += e * e;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fit_gemm_model TABLE.csv\n");
    return 2;
  }
  try {
    const auto rows = read_gemm_table(argv[1]);
    // The shipped H800 profile: every figure in it carries its source.
    const GpuProfile gpu = load_gpu_profile("h800-sxm5");
    Params p{0.87, 60, 1000, 3.0, 5000};
    double best = loss(gpu, rows, p);
    std::mt19937 rng(1);
    for (int it = 0; it < 40000; ++it) {
      const double scale = it < 20000 ? 0.2 : 0.03;
      Params q = p;
      for (std::size_t j = 0; j < q.size(); ++j) {
        if (rng() % 5 != 0) continue;
        std::normal_distribution<double> step(0.0, scale * (kHi[j] - kLo[j]));
        q[j] = std::clamp(p[j] + step(rng), kLo[j], kHi[j]);
      }
      const double l = loss(gpu, rows, q);
      if (l < best) best = l, p = q;
    }
    std::printf("main-loop efficiency %.4f of the sustained-clock peak\n", p[0]);
    std::printf("operand feed %.1f GB/s per SM\ntile overhead %.0f ns\n", p[1], p[2]);
    std::printf("HBM streaming %.3f TB/s\nkernel overhead %.0f ns\n", p[3], p[4]);
    std::printf("rms log error %.4f over %zu rows\n\n",
                std::sqrt(best / static_cast<double>(rows.size())), rows.size());
    const CostModel m = model_of(gpu, p);
    std::printf("%-10s %-12s %6s %6s %6s %9s %9s %7s %s\n", "layout", "groups x m", "n", "k", "",
                "published", "predicted", "error", "block");
    for (const auto& r : rows) {
      const double t = predicted_tflops(m, r, gpu.sms);
      const KernelCost c = m.cost(gemm_shape(r), gpu.sms);
      std::printf("%-10s %3d x %-6lld %6lld %6lld %6s %9.0f %9.0f %+6.1f%% %dx%d\n",
                  r.layout.c_str(), r.groups, r.m, r.n, r.k, "", r.tflops, t,
                  100 * (t / r.tflops - 1), c.block_m, c.block_n);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fit_gemm_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
