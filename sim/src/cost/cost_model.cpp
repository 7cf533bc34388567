#include "hopsim/sim/cost/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "hopsim/core/enum_names.hpp"

namespace hopsim::sim {
namespace {

// `build/bench/fit_gemm_model tests/data/published/deepgemm_h800_fp8.csv` prints these: fitted
// to DeepGEMM's H800 table (see default_cost_parameters; sim::fit_gemm_model, and
// tests/sim/gemm_fit_test.cpp fails when they differ from its fit at the printed digits).
constexpr double kGemmMainLoopEfficiency = 0.8315;  // of the sustained-clock tensor peak
constexpr double kGemmOperandFeedPerSm = 135.7e9;   // bytes/s per SM, L2 -> shared memory
constexpr Nanoseconds kGemmTileOverhead{1'284};     // pipeline fill + epilogue per tile
constexpr Nanoseconds kGemmKernelOverhead{1'171};   // setup and tail per kernel
constexpr double kGemmHbmBandwidth = 3.095e12;      // bytes/s of operand streaming (H800)
// The H800's datasheet HBM bandwidth, which the table was measured against: another GPU streams
// the same fraction of its own (3.095 / 3.35 = 92%).
constexpr double kDeepGemmTableHbm = 3350e9;

constexpr double kGemmOverlapExponent = 1.70;  // compute and streaming overlap

// (c^p + m^p)^(1/p), rounded up to whole ns; p = infinity is max(c, m).
Nanoseconds overlapped(Nanoseconds compute, Nanoseconds memory, double p) {
  if (std::isinf(p) || compute.value() <= 0 || memory.value() <= 0) {
    return std::max(compute, memory);
  }
  const double c = static_cast<double>(compute.value());
  const double m = static_cast<double>(memory.value());
  const double hi = std::max(c, m);
  // Scaled by the larger term so that the powers stay in range for any kernel length.
  const double t = hi * std::pow(std::pow(c / hi, p) + std::pow(m / hi, p), 1.0 / p);
  return Nanoseconds(static_cast<std::int64_t>(std::ceil(t)));
}

}  // namespace

double SmCurve::at(int sms) const {
  if (sms <= 0) return 0.0;
  return y_max * std::min(1.0, static_cast<double>(sms) / s_sat);
}

double MeasuredRate::rate(int sms, double work) const {
  const double share = sm_count > 0 ? static_cast<double>(sms) / sm_count : 1.0;
  return rate_max * std::pow(share, sm_exponent) * -std::expm1(-work / work0);
}

double MeasuredBandwidth::at(int sms) const {
  return bandwidth_max * -std::expm1(-static_cast<double>(sms) / sms0);
}

constexpr EnumNames<KernelClass::kMemoryBound> kKernelClassNames{
    {"gemm_fp8", "gemm_bf16", "attention_fwd", "attention_bwd", "memory_bound"}};

const char* to_string(KernelClass c) {
  return kKernelClassNames.name(c, "?");
}

std::optional<KernelClass> kernel_class_from_name(std::string_view name) {
  return kKernelClassNames.value(name);
}

double sustained_clock_ratio(const GpuProfile& gpu) {
  return gpu.boost_clock_mhz > 0 && gpu.sustained_clock_mhz > 0
             ? gpu.sustained_clock_mhz / gpu.boost_clock_mhz
             : 1.0;
}

CostParameters default_cost_parameters(const GpuProfile& gpu) {
  CostParameters p;
  // Under sustained tensor-core load Hopper throttles from the boost clock (FlashMLA saw ~1600 of
  // 1830 MHz, deepseek-ai/FlashMLA docs/20250422-new-kernel-deep-dive.md); the clock ratio is the
  // first factor of every compute efficiency.
  const double clock = sustained_clock_ratio(gpu);
  // GEMMs: the tile model (GemmTileModel) with constants fitted by `bench/fit_gemm_model` (log
  // least squares) to the 28 rows of DeepGEMM's H800 FP8 table (deepseek-ai/DeepGEMM README at
  // a9967bc, normal and grouped GEMMs); residuals per row in docs/COST_MODEL.md. The main loop
  // runs at 0.8315 of the per-SM FP8 peak at the sustained clock. BF16 GEMMs (router, output head)
  // are assumed to reach the same fraction of their own peak: no published per-shape table.
  p.compute_efficiency[KernelClass::kGemmFp8] = clock * kGemmMainLoopEfficiency;
  p.compute_efficiency[KernelClass::kGemmBf16] = clock * kGemmMainLoopEfficiency;
  p.gemm.operand_feed_bytes_per_s_per_sm = kGemmOperandFeedPerSm;
  p.gemm.tile_overhead = kGemmTileOverhead;
  p.gemm.kernel_overhead = kGemmKernelOverhead;
  p.gemm.hbm_fraction = kGemmHbmBandwidth / kDeepGemmTableHbm;
  p.gemm.overlap_exponent = kGemmOverlapExponent;
  // Attention forward: FlashMLA's compute-bound 660 of 989 TFLOPS (deepseek-ai/FlashMLA README
  // @c2067be) = 0.667.
  p.compute_efficiency[KernelClass::kAttentionFwd] = 660.0 / 989.0;
  // Attention backward is slower per FLOP (more softmax recomputation, atomics); assumed 0.75x the
  // forward efficiency until a calibration measures it.
  p.compute_efficiency[KernelClass::kAttentionBwd] = 0.75 * 660.0 / 989.0;
  p.compute_efficiency[KernelClass::kMemoryBound] = clock * 0.90;
  // HBM: FlashMLA reaches 3000 of 3350 GB/s (0.90, deepseek-ai/FlashMLA README @c2067be and
  // docs/20250422-new-kernel-deep-dive.md) on the whole GPU; assumed to saturate at half the SMs
  // (modelling default, replaced by calibration).
  p.hbm = SmCurve{3000.0 / 3350.0, std::max(1.0, gpu.sms * 0.5)};
  // Launch and queue gap between dependent kernels of one stream: a modelling default (no
  // published figure); a real DeepSeek-V3 layer launches ~230 kernels per forward + backward.
  p.launch_overhead = Nanoseconds(2'000);
  return p;
}

struct CostModel::GemmMemo {
  using Key = std::tuple<int, long long, long long, long long, int, bool, int>;
  struct Hash {
    std::size_t operator()(const Key& k) const {
      std::size_t h = 0;
      auto mix = [&h](long long v) {
        h ^= std::hash<long long>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      };
      mix(std::get<0>(k));
      mix(std::get<1>(k));
      mix(std::get<2>(k));
      mix(std::get<3>(k));
      mix(std::get<4>(k));
      mix(std::get<5>(k));
      mix(std::get<6>(k));
      return h;
    }
  };
  struct Choice {
    Nanoseconds compute_time;
    long long waves;
    int block_m;
    int block_n;
  };
  std::mutex mutex;
  std::unordered_map<Key, Choice, Hash> map;
};

CostModel::CostModel(GpuProfile gpu, CostParameters params)
    : gpu_(std::move(gpu)), params_(std::move(params)), gemm_memo_(std::make_shared<GemmMemo>()) {
  if (gpu_.sms <= 0) throw std::invalid_argument("cost model: GPU profile has no SMs");
  // p < 1 would make overlapping kernels slower than running them one after the other.
  if (!(params_.gemm.overlap_exponent >= 1.0)) {
    throw std::invalid_argument("cost model: GEMM overlap exponent must be at least 1");
  }
}

FlopsPerSecond CostModel::peak(KernelClass cls) const {
  switch (cls) {
    case KernelClass::kGemmFp8:
      return gpu_.fp8_dense;
    case KernelClass::kMemoryBound:
      return gpu_.fp32_cuda_core.value() > 0 ? gpu_.fp32_cuda_core : gpu_.bf16_dense;
    default:
      return gpu_.bf16_dense;
  }
}

KernelCost CostModel::cost(const KernelShape& k, int sms) const {
  if (sms <= 0 || sms > gpu_.sms) {
    throw std::invalid_argument("cost model: partition of " + std::to_string(sms) +
                                " SMs outside 1.." + std::to_string(gpu_.sms));
  }
  KernelCost c;
  const auto eff_it = params_.compute_efficiency.find(k.cls);
  const double eff = eff_it == params_.compute_efficiency.end() ? 1.0 : eff_it->second;
  const double per_sm_rate = peak(k.cls).value() * eff / gpu_.sms;
  const auto measured = params_.measured.find(k.cls);
  if (k.flops.value() > 0 && measured != params_.measured.end()) {
    const double r = measured->second.rate(sms, k.flops.value());
    if (!(r > 0)) throw std::invalid_argument("cost model: calibrated rate is not positive");
    c.compute_time = from_seconds_ceil(k.flops.value() / r);
  } else if (k.flops.value() > 0) {
    const bool gemm = (k.cls == KernelClass::kGemmFp8 || k.cls == KernelClass::kGemmBf16) &&
                      k.m > 0 && k.n > 0 && k.k > 0;
    if (gemm) {
      gemm_time(k, sms, per_sm_rate, c);
    } else {
      c.compute_time = from_seconds_ceil(k.flops.value() / (per_sm_rate * sms));
    }
  }
  const bool streamed_gemm = c.waves > 0 && params_.gemm.hbm_fraction > 0;
  if (k.bytes.value() > 0) {
    double bw = gpu_.hbm_bandwidth.value() * params_.hbm.at(sms);
    if (streamed_gemm) {
      bw = gpu_.hbm_bandwidth.value() * params_.gemm.hbm_fraction;
    } else if (const auto m = params_.measured_memory.find(k.memory);
               k.cls == KernelClass::kMemoryBound && m != params_.measured_memory.end()) {
      bw = m->second.rate(sms, static_cast<double>(k.bytes.value()));
      if (!(bw > 0)) throw std::invalid_argument("cost model: calibrated rate is not positive");
    } else if (params_.measured_hbm) {
      bw = params_.measured_hbm->at(sms);
    }
    c.memory_time = from_seconds_ceil(static_cast<double>(k.bytes.value()) / bw);
  }
  c.memory_bound = c.memory_time > c.compute_time;
  // The tile model's waves overlap its own streaming floor by the fitted exponent; every other
  // kernel (and a GEMM without the floor) runs at the slower of compute and HBM.
  c.time = streamed_gemm ? overlapped(c.compute_time, c.memory_time, params_.gemm.overlap_exponent)
                         : std::max(c.compute_time, c.memory_time);
  if (c.waves > 0) c.time += params_.gemm.kernel_overhead;
  // A time scale fitted to a trace multiplies what the kernels run, measured as their durations;
  // the launch gap between kernels is measured apart (queued gaps) and fitted on its own.
  const auto& ts = params_.time_scale;
  const double scale = k.cls == KernelClass::kGemmFp8 || k.cls == KernelClass::kGemmBf16 ? ts.gemm
                       : k.cls == KernelClass::kMemoryBound ? ts.memory_bound
                                                            : ts.attention;
  if (scale != 1.0) c.time = scaled(c.time, scale);
  c.launch = params_.launch_overhead * std::max(1, k.kernels);
  c.time += c.launch;
  return c;
}

const char* time_scale_group(KernelClass c) {
  switch (c) {
    case KernelClass::kGemmFp8:
    case KernelClass::kGemmBf16:
      return "gemm";
    case KernelClass::kAttentionFwd:
    case KernelClass::kAttentionBwd:
      return "attention";
    case KernelClass::kMemoryBound:
      return "memory_bound";
  }
  return "memory_bound";
}

bool set_time_scale(CostParameters::TimeScales& scales, std::string_view group, double value) {
  double* member = group == "gemm"             ? &scales.gemm
                   : group == "attention"      ? &scales.attention
                   : group == "memory_bound"   ? &scales.memory_bound
                   : group == "deepep_payload" ? &scales.deepep_payload
                   : group == "deepep_notify"  ? &scales.deepep_notify
                                               : nullptr;
  if (member == nullptr) return false;
  *member = value;
  return true;
}

void CostModel::gemm_time(const KernelShape& k, int sms, double per_sm_rate, KernelCost& c) const {
  const GemmMemo::Key key{static_cast<int>(k.cls), k.m, k.n, k.k, k.groups, k.accumulate, sms};
  {
    const std::lock_guard lock(gemm_memo_->mutex);
    const auto it = gemm_memo_->map.find(key);
    if (it != gemm_memo_->map.end()) {
      c.compute_time = it->second.compute_time;
      c.waves = it->second.waves;
      c.block_m = it->second.block_m;
      c.block_n = it->second.block_n;
      return;
    }
  }
  const GemmTileModel& g = params_.gemm;
  const double operand_bytes = k.cls == KernelClass::kGemmFp8 ? 1.0 : 2.0;
  // The epilogue writes BF16 (2 B/element); an accumulating weight-gradient GEMM reads and writes
  // FP32 (8 B/element) at the SM's share of HBM bandwidth on top of the fixed tile overhead.
  const double extra_epilogue_bytes = k.accumulate ? 6.0 : 0.0;
  const double sm_hbm = gpu_.hbm_bandwidth.value() / gpu_.sms;
  const double kk = static_cast<double>(k.k);
  double best = -1;
  for (int bm : g.block_m) {
    for (int bn = g.block_n_min; bn <= g.block_n_max; bn += std::max(1, g.block_n_step)) {
      const long long tiles = ((k.m + bm - 1) / bm) * ((k.n + bn - 1) / bn) * k.groups;
      const long long waves = (tiles + sms - 1) / sms;
      double loop = 2.0 * bm * bn * kk / per_sm_rate;
      if (g.operand_feed_bytes_per_s_per_sm > 0) {
        loop = std::max(loop, kk * (bm + bn) * operand_bytes / g.operand_feed_bytes_per_s_per_sm);
      }
      const double tile =
          loop + to_seconds(g.tile_overhead) + extra_epilogue_bytes * bm * bn / sm_hbm;
      const double t = static_cast<double>(waves) * tile;
      if (best < 0 || t < best) {
        best = t;
        c.waves = waves;
        c.block_m = bm;
        c.block_n = bn;
      }
    }
  }
  if (best < 0) throw std::invalid_argument("cost model: no GEMM block size configured");
  c.compute_time = from_seconds_ceil(best);
  const std::lock_guard lock(gemm_memo_->mutex);
  gemm_memo_->map.emplace(key, GemmMemo::Choice{c.compute_time, c.waves, c.block_m, c.block_n});
}

}  // namespace hopsim::sim
