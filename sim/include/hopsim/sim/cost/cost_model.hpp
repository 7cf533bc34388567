#pragma once
//! Kernel cost model: roofline per op with efficiency factors, GEMM wave quantisation, and HBM
//! bandwidth that grows with the SMs a kernel holds. Uncalibrated defaults: docs/COST_MODEL.md.

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

//! Which kind of memory-bound kernel: a calibration may give each its own measured rate
//! (hopsim's RMSNorm, FP8 quantisation and router kernels, its HBM copy for the rest).
enum class MemoryKind { kElementwise, kNorm, kCast, kRouting };

struct KernelShape {
  KernelClass cls = KernelClass::kMemoryBound;
  Flops flops{};
  Bytes bytes{};    //!< HBM bytes read + written
  long long m = 0;  //!< GEMM rows (tokens); 0 when not a GEMM
  long long n = 0;  //!< GEMM columns
  long long k = 0;  //!< GEMM reduction dimension
  int groups = 1;   //!< grouped GEMM: independent problems of (m, n, k) each
  //! Weight-gradient GEMM (DeepGEMM's `fp8_dptp128c_acc` family): accumulates into an FP32
  //! output, so each tile's epilogue reads and writes 8 bytes per element instead of writing 2.
  bool accumulate = false;
  int kernels = 1;  //!< kernel launches this shape stands for (each pays the launch/queue cost)
  MemoryKind memory = MemoryKind::kElementwise;  //!< kMemoryBound: which kind
};

//! DeepGEMM-style tile model of a GEMM (docs/COST_MODEL.md "GEMM per shape"). Output tiles of
//! BM x BN go to the SMs in waves; a tile's main loop runs at the slower of the tensor cores and
//! the operand feed, then pays a fixed prologue/epilogue; the waves overlap the streaming of
//! operands and output from HBM by `overlap_exponent`. The block size is the one that minimises
//! the time, as DeepGEMM's heuristic does. Defaults: sim::fit_gemm_model on DeepGEMM's H800 table.
struct GemmTileModel {
  std::vector<int> block_m{64, 128};
  int block_n_min = 16;  //!< block N candidates: block_n_min, +block_n_step, ..., block_n_max
  int block_n_max = 256;
  int block_n_step = 8;
  //! Operand bytes per SM per second the main loop can be fed (L2 -> shared memory); 0 = unbound.
  double operand_feed_bytes_per_s_per_sm = 0;
  Nanoseconds tile_overhead{};    //!< per output tile: pipeline fill and epilogue
  Nanoseconds kernel_overhead{};  //!< per GEMM kernel, inside the kernel (setup, tail)
  //! Streaming of operands and output at this fraction of nominal HBM bandwidth; 0 = none of
  //! its own (the GPU's memory-bound HBM curve is then a floor, without the overlap).
  double hbm_fraction = 0;
  //! How the tile waves and the HBM streaming overlap: the kernel runs (c^p + m^p)^(1/p) for
  //! compute time c and streaming time m. Infinity is perfect overlap, max(c, m); a finite p
  //! makes a GEMM near its ridge point slower than either alone, as neither unit is saturated.
  double overlap_exponent = std::numeric_limits<double>::infinity();
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
  GemmTileModel gemm;
  //! Per kernel launch: the gap a stream pays between dependent kernels (launch and queue).
  Nanoseconds launch_overhead{};
  //! HBM bytes a communication kernel moves per byte it sends through a port (it reads what it
  //! sends and writes as much as it receives: 2). With each payload's rate this
  //! sets the HBM share the comm partition takes from compute (docs/COST_MODEL.md "Partitions
  //! interfere"); 0 = none. A modelling default; calibration can replace it.
  double comm_hbm_bytes_per_wire_byte = 2.0;
  //! Calibrated classes replace the roofline's compute term (wave effects are in the fit).
  std::map<KernelClass, MeasuredRate> measured;
  //! Calibrated HBM bandwidth replaces `hbm` when set.
  std::optional<MeasuredBandwidth> measured_hbm;
  //! Calibrated memory-bound kernels (bytes per second vs SMs and bytes moved), per kind; a kind
  //! listed here replaces the HBM bandwidth for its kernels.
  std::map<MemoryKind, MeasuredRate> measured_memory;
  //! Time multipliers fitted to a measured trace (`hopsim calibrate --from-trace`), per group
  //! of kernel classes; 1 = as modelled. Each multiplies the kernels' run time, not the launch
  //! gaps (launch_overhead, fitted apart from the trace's queued gaps).
  struct TimeScales {
    double gemm = 1;            //!< FP8 and BF16 GEMMs (dense, grouped, weight-gradient)
    double attention = 1;       //!< attention forward and backward
    double memory_bound = 1;    //!< norms, casts, permutes, routing, elementwise
    double deepep_payload = 1;  //!< DeepEP dispatch/combine payload kernels (both passes)
    double deepep_notify = 1;   //!< DeepEP layout, count exchange and barrier (notify)
  } time_scale;
  std::string source = "uncalibrated defaults (docs/COST_MODEL.md)";
};

//! Defaults derived from published figures (cited in docs/COST_MODEL.md), not fitted to results.
[[nodiscard]] CostParameters default_cost_parameters(const GpuProfile& gpu);

//! Sustained over boost clock (1 where the profile lacks either): the first factor of every
//! default compute efficiency, as Hopper throttles under sustained tensor-core load.
[[nodiscard]] double sustained_clock_ratio(const GpuProfile& gpu);

//! Time of one kernel. Components are kept so a timeline can say why.
struct KernelCost {
  Nanoseconds time{};    //!< the kernels' run time plus `launch`
  Nanoseconds launch{};  //!< of `time`: the launch gaps (launch_overhead per kernel)
  Nanoseconds compute_time{};
  Nanoseconds memory_time{};
  long long waves = 0;  //!< GEMM waves (0 for non-GEMMs)
  int block_m = 0;      //!< GEMM block chosen (0 for non-GEMMs)
  int block_n = 0;
  bool memory_bound = false;
  //! What the kernels run, as a trace's kernel durations show it: `time` less the launch gaps.
  [[nodiscard]] Nanoseconds run() const { return time - launch; }
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
  struct GemmMemo;
  void gemm_time(const KernelShape& k, int sms, double per_sm_rate, KernelCost& c) const;
  GpuProfile gpu_;
  CostParameters params_;
  //! The tile search's answer per (class, shape, SMs): a step costs the same few shapes
  //! thousands of times (every layer, pass, placement trial and plan). Shared by copies, which
  //! have the same parameters; guarded by its own mutex.
  std::shared_ptr<GemmMemo> gemm_memo_;
};

[[nodiscard]] const char* to_string(KernelClass c);
//! The class to_string names `name`, or nothing.
[[nodiscard]] std::optional<KernelClass> kernel_class_from_name(std::string_view name);

//! The TimeScales group of a kernel class: "gemm", "attention" or "memory_bound".
[[nodiscard]] const char* time_scale_group(KernelClass c);

//! Sets the TimeScales member a group name stands for ("gemm", "attention", "memory_bound",
//! "deepep_payload", "deepep_notify"); false for any other name.
bool set_time_scale(CostParameters::TimeScales& scales, std::string_view group, double value);

}  // namespace hopsim::sim
