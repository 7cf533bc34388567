#pragma once
//! Kernel cost model: roofline per op with efficiency factors, GEMM wave quantisation, and HBM
//! bandwidth that grows with the SMs a kernel holds. Uncalibrated defaults: docs/COST_MODEL.md.

#include <map>
#include <optional>
#include <string>

#include "hopsim/core/hardware.hpp"
#include "hopsim/core/units.hpp"

namespace hopsim::sim {

//! What the cost model needs to know about one kernel.
enum class KernelClass {
  kGemmFp8,
  kGemmBf16,
  kAttentionFwd,
  kAttentionBwd,
  kMemoryBound,  //!< norms, elementwise, quantisation, permute, router
};

struct KernelShape {
  KernelClass cls = KernelClass::kMemoryBound;
  Flops flops{};
  Bytes bytes{};    //!< HBM bytes read + written
  long long m = 0;  //!< GEMM rows (tokens); 0 when not a GEMM
  long long n = 0;  //!< GEMM columns
  long long k = 0;  //!< GEMM reduction dimension
  int groups = 1;   //!< grouped GEMM: independent problems of (m, n, k) each
};

//! A saturating curve y(s) = y_max * min(1, s / s_sat): the fraction of peak a kernel achieves
//! on s SMs. Calibration replaces the defaults.
struct SmCurve {
  double y_max = 1.0;
  double s_sat = 1.0;
  [[nodiscard]] double at(int sms) const;
};

//! A measured throughput curve (from a calibration): rate(s, W) = rate_max (s/S)^alpha
//! (1 - exp(-W / work0)), in FLOP/s, for a kernel of W FLOPs on s of S SMs.
struct MeasuredRate {
  double rate_max = 0;
  double sm_exponent = 1;
  double work0 = 1;
  int sm_count = 0;  //!< S: the SMs of the GPU it was measured on
  [[nodiscard]] double rate(int sms, double work) const;
};

//! A measured HBM bandwidth curve: bw(s) = bandwidth_max (1 - exp(-s / sms0)), bytes/s.
struct MeasuredBandwidth {
  double bandwidth_max = 0;
  double sms0 = 1;
  [[nodiscard]] double at(int sms) const;
};

//! Efficiency factors per kernel class plus fixed per-kernel overhead.
struct CostParameters {
  std::map<KernelClass, double> compute_efficiency;  //!< fraction of nominal dtype peak
  SmCurve hbm;                                       //!< fraction of nominal HBM bandwidth vs SMs
  int gemm_tile_m = 128;
  int gemm_tile_n = 128;
  Nanoseconds launch_overhead{};
  //! Calibrated classes replace the roofline's compute term (wave effects are in the fit).
  std::map<KernelClass, MeasuredRate> measured;
  //! Calibrated HBM bandwidth replaces `hbm` when set.
  std::optional<MeasuredBandwidth> measured_hbm;
  std::string source = "uncalibrated defaults (docs/COST_MODEL.md)";
};

//! Defaults derived from published figures (cited in docs/COST_MODEL.md), not fitted to results.
[[nodiscard]] CostParameters default_cost_parameters(const GpuProfile& gpu);

//! Time of one kernel. Components are kept so a timeline can say why.
struct KernelCost {
  Nanoseconds time{};
  Nanoseconds compute_time{};
  Nanoseconds memory_time{};
  long long waves = 0;  //!< GEMM waves (0 for non-GEMMs)
  bool memory_bound = false;
};

class CostModel {
 public:
  CostModel(GpuProfile gpu, CostParameters params);
  //! Cost of `k` on a partition of `sms` SMs (1..gpu.sms).
  [[nodiscard]] KernelCost cost(const KernelShape& k, int sms) const;
  [[nodiscard]] const GpuProfile& gpu() const { return gpu_; }
  [[nodiscard]] const CostParameters& parameters() const { return params_; }
  //! Nominal dense peak for the class's dtype (the MFU denominator).
  [[nodiscard]] FlopsPerSecond peak(KernelClass cls) const;

 private:
  GpuProfile gpu_;
  CostParameters params_;
};

[[nodiscard]] const char* to_string(KernelClass c);

}  // namespace hopsim::sim
