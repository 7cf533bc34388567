#include "hopsim/sim/cost/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hopsim::sim {

double SmCurve::at(int sms) const {
  if (sms <= 0) return 0.0;
  return y_max * std::min(1.0, static_cast<double>(sms) / s_sat);
}

double MeasuredRate::rate(int sms, double work) const {
  const double share = sm_count > 0 ? static_cast<double>(sms) / sm_count : 1.0;
  return rate_max * std::pow(share, sm_exponent) * (1.0 - std::exp(-work / work0));
}

double MeasuredBandwidth::at(int sms) const {
  return bandwidth_max * (1.0 - std::exp(-static_cast<double>(sms) / sms0));
}

const char* to_string(KernelClass c) {
  switch (c) {
    case KernelClass::kGemmFp8:
      return "gemm_fp8";
    case KernelClass::kGemmBf16:
      return "gemm_bf16";
    case KernelClass::kAttentionFwd:
      return "attention_fwd";
    case KernelClass::kAttentionBwd:
      return "attention_bwd";
    case KernelClass::kMemoryBound:
      return "memory_bound";
  }
  return "?";
}

CostParameters default_cost_parameters(const GpuProfile& gpu) {
  CostParameters p;
  // Under sustained tensor-core load Hopper throttles from the boost clock (FlashMLA saw ~1600 of
  // 1830 MHz, REFERENCE.md §5 S6); the clock ratio is the first factor of every compute efficiency.
  const double clock = gpu.boost_clock_mhz > 0 && gpu.sustained_clock_mhz > 0
                           ? gpu.sustained_clock_mhz / gpu.boost_clock_mhz
                           : 1.0;
  // GEMM issue efficiency 0.90 at the sustained clock. Cross-check, not a fit: 0.874 * 0.90 = 0.787
  // of nominal, against DeepGEMM's best FP8 1550 of 1979 TFLOPS = 0.783 (REFERENCE.md §5 S5).
  p.compute_efficiency[KernelClass::kGemmFp8] = clock * 0.90;
  p.compute_efficiency[KernelClass::kGemmBf16] = clock * 0.90;
  // Attention forward: FlashMLA's compute-bound 660 of 989 TFLOPS (REFERENCE.md §5 S6) = 0.667.
  p.compute_efficiency[KernelClass::kAttentionFwd] = 660.0 / 989.0;
  // Attention backward is slower per FLOP (more softmax recomputation, atomics); assumed 0.75x the
  // forward efficiency until a calibration measures it.
  p.compute_efficiency[KernelClass::kAttentionBwd] = 0.75 * 660.0 / 989.0;
  p.compute_efficiency[KernelClass::kMemoryBound] = clock * 0.90;
  // HBM: FlashMLA reaches 3000 of 3350 GB/s (0.90, REFERENCE.md §5 S6) on the whole GPU; assumed
  // to saturate at half the SMs (modelling default, replaced by calibration).
  p.hbm = SmCurve{3000.0 / 3350.0, std::max(1.0, gpu.sms * 0.5)};
  // Kernel launch and tail: a modelling default.
  p.launch_overhead = Nanoseconds(2'000);
  return p;
}

CostModel::CostModel(GpuProfile gpu, CostParameters params)
    : gpu_(std::move(gpu)), params_(std::move(params)) {
  if (gpu_.sms <= 0) throw std::invalid_argument("cost model: GPU profile has no SMs");
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
      // Wave quantisation: output tiles are spread over the SMs; the last wave may be partial
      // but costs a whole tile time on each SM that runs it.
      const long long tiles = ((k.m + params_.gemm_tile_m - 1) / params_.gemm_tile_m) *
                              ((k.n + params_.gemm_tile_n - 1) / params_.gemm_tile_n) * k.groups;
      c.waves = (tiles + sms - 1) / sms;
      const double tile_flops =
          2.0 * params_.gemm_tile_m * params_.gemm_tile_n * static_cast<double>(k.k);
      c.compute_time = from_seconds_ceil(static_cast<double>(c.waves) * tile_flops / per_sm_rate);
    } else {
      c.compute_time = from_seconds_ceil(k.flops.value() / (per_sm_rate * sms));
    }
  }
  if (k.bytes.value() > 0) {
    const double bw = params_.measured_hbm ? params_.measured_hbm->at(sms)
                                           : gpu_.hbm_bandwidth.value() * params_.hbm.at(sms);
    c.memory_time = from_seconds_ceil(static_cast<double>(k.bytes.value()) / bw);
  }
  c.memory_bound = c.memory_time > c.compute_time;
  c.time = std::max(c.compute_time, c.memory_time) + params_.launch_overhead;
  return c;
}

}  // namespace hopsim::sim
