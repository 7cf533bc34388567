// Fits the GEMM tile model's defaults (sim::GemmTileModel and the GEMM main-loop efficiency) to a
// published per-shape table, minimising the squared log error of predicted TFLOPS, and prints
// the constants and each row's residual (docs/COST_MODEL.md "GEMM per shape").
// Usage: fit_gemm_model TABLE.csv [--full-overlap] [--held-out]   (e.g.
// tests/data/published/deepgemm_h800_fp8.csv), run from the source tree or with HOPSIM_DATA_DIR
// set (it loads hwprofiles/gpus/h800-sxm5.yaml). --full-overlap fixes the overlap exponent at
// infinity (compute and streaming fully overlapped); --held-out adds each row's error when the
// constants are fitted without it. Deterministic: seeded random searches.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <random>
#include <string_view>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/cost/gemm_table.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {

// efficiency, feed GB/s/SM, tile ns, HBM TB/s, kernel ns, overlap exponent
using Params = std::array<double, 6>;
constexpr Params kLo{0.5, 10, 0, 1.5, 0, 1};
constexpr Params kHi{1.0, 200, 5000, 3.35, 20000, 12};

CostModel model_of(const GpuProfile& gpu, const Params& p) {
  CostParameters c = default_cost_parameters(gpu);
  c.compute_efficiency[KernelClass::kGemmFp8] =
      gpu.sustained_clock_mhz / gpu.boost_clock_mhz * p[0];
  c.gemm.operand_feed_bytes_per_s_per_sm = p[1] * 1e9;
  c.gemm.tile_overhead = Nanoseconds(static_cast<std::int64_t>(std::llround(p[2])));
  c.gemm.hbm_fraction = p[3] * 1e12 / gpu.hbm_bandwidth.value();
  c.gemm.kernel_overhead = Nanoseconds(static_cast<std::int64_t>(std::llround(p[4])));
  c.gemm.overlap_exponent = p[5];
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

// Seeded random search from a fixed start, then the same search at a finer step. With
// `full_overlap` the exponent stays at infinity: the model before it was a parameter.
Params fit(const GpuProfile& gpu, const std::vector<PublishedGemm>& rows, bool full_overlap) {
  Params p{0.87, 60, 1000, 3.0, 5000, 4};
  if (full_overlap) p[5] = std::numeric_limits<double>::infinity();
  double best = loss(gpu, rows, p);
  std::mt19937 rng(1);
  const std::size_t fitted = full_overlap ? 5 : 6;
  for (int it = 0; it < 40000; ++it) {
    const double scale = it < 20000 ? 0.2 : 0.03;
    Params q = p;
    for (std::size_t j = 0; j < fitted; ++j) {
      if (rng() % 5 != 0) continue;
      std::normal_distribution<double> step(0.0, scale * (kHi[j] - kLo[j]));
      q[j] = std::clamp(p[j] + step(rng), kLo[j], kHi[j]);
    }
    const double l = loss(gpu, rows, q);
    if (l < best) best = l, p = q;
  }
  return p;
}

double error_of(const GpuProfile& gpu, const Params& p, const PublishedGemm& r) {
  return predicted_tflops(model_of(gpu, p), r, gpu.sms) / r.tflops - 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool full_overlap = false;
  bool held_out = false;
  const char* table = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--full-overlap") {
      full_overlap = true;
    } else if (a == "--held-out") {
      held_out = true;
    } else if (table == nullptr && !a.starts_with("--")) {
      table = argv[i];
    } else {
      table = nullptr;
      break;
    }
  }
  if (table == nullptr) {
    std::fprintf(stderr, "usage: fit_gemm_model TABLE.csv [--full-overlap] [--held-out]\n");
    return 2;
  }
  try {
    const auto rows = read_gemm_table(table);
    // The shipped H800 profile: every figure in it carries its source.
    const GpuProfile gpu = load_gpu_profile("h800-sxm5");
    const Params p = fit(gpu, rows, full_overlap);
    std::printf("main-loop efficiency %.4f of the sustained-clock peak\n", p[0]);
    std::printf("operand feed %.1f GB/s per SM\ntile overhead %.0f ns\n", p[1], p[2]);
    std::printf("HBM streaming %.3f TB/s\nkernel overhead %.0f ns\n", p[3], p[4]);
    std::printf("overlap exponent %.2f\n", p[5]);
    std::printf("rms log error %.4f over %zu rows\n\n",
                std::sqrt(loss(gpu, rows, p) / static_cast<double>(rows.size())), rows.size());
    const CostModel m = model_of(gpu, p);
    std::printf("%-10s %-12s %6s %6s %9s %9s %7s %-8s%s\n", "layout", "groups x m", "n", "k",
                "published", "predicted", "error", "block", held_out ? "held out" : "");
    double held_out_sq = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      const KernelCost c = m.cost(gemm_shape(r), gpu.sms);
      std::printf("%-10s %3d x %-6lld %6lld %6lld %9.0f %9.0f %+6.1f%% %3dx%-4d", r.layout.c_str(),
                  r.groups, r.m, r.n, r.k, r.tflops, predicted_tflops(m, r, gpu.sms),
                  100 * error_of(gpu, p, r), c.block_m, c.block_n);
      if (held_out) {
        // The row's error when the constants are fitted to the other rows only.
        auto others = rows;
        others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
        const double e = error_of(gpu, fit(gpu, others, full_overlap), r);
        held_out_sq += std::log1p(e) * std::log1p(e);
        std::printf(" %+6.1f%%", 100 * e);
      }
      std::printf("\n");
    }
    if (held_out) {
      std::printf("\nrms log error held out %.4f\n",
                  std::sqrt(held_out_sq / static_cast<double>(rows.size())));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fit_gemm_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
