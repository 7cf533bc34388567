#pragma once
//! The calibration file: fitted efficiency curves per kernel class, HBM and copy bandwidth vs
//! SMs. Written by `hopsim calibrate`, read by the simulator's cost model (docs/CALIBRATION.md).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/sim/cost/gemm_fit.hpp"

namespace hopsim::profiler::calibrate {

//! What a kernel class's "work" counts: FLOPs (compute-bound) or bytes moved (memory-bound).
enum class WorkBasis { kFlops, kBytes };
[[nodiscard]] std::string_view to_string(WorkBasis b);

//! How well a curve fits its points: relative errors (model - measured) / measured.
struct FitQuality {
  int points = 0;
  double rms_rel_error = 0;
  double max_rel_error = 0;
};

//! Achieved rate of a kernel class on `sms` SMs for a problem of `work` FLOPs or bytes:
//!   rate(s, W) = rate_max * (s / sm_count)^sm_exponent * (1 - exp(-W / work0)).
//! rate_max is the large-problem rate on the whole GPU (FLOP/s or B/s); work0 is the problem
//! size at which a kernel reaches 63% of it (launch, tail and wave-quantisation losses).
struct ClassCurve {
  std::string kernel_class;  //!< e.g. "gemm_fp8", "attention_fwd", "rmsnorm"
  WorkBasis basis = WorkBasis::kFlops;
  double rate_max = 0;
  double sm_exponent = 1;
  double work0 = 1;
  double nominal_peak = 0;  //!< the dtype's datasheet peak used for efficiency_max; 0 = unknown
  FitQuality fit;
  [[nodiscard]] double rate(int sms, double work, int sm_count) const;
  //! rate_max / nominal_peak, or 0 when no nominal peak was given.
  [[nodiscard]] double efficiency_max() const;
};

//! Bandwidth that saturates with SMs: bw(s) = bandwidth_max * (1 - exp(-s / sms0)).
struct BandwidthCurve {
  double bandwidth_max = 0;  //!< bytes per second
  double sms0 = 1;
  FitQuality fit;
  [[nodiscard]] double bandwidth(int sms) const;
};

struct Calibration {
  static constexpr int kFormatVersion = 1;
  std::string device;  //!< e.g. "NVIDIA H100 80GB HBM3"
  int sm_count = 0;
  std::map<std::string, std::string> provenance;  //!< trace, commit, date, command, driver ...
  std::vector<ClassCurve> classes;
  std::optional<BandwidthCurve> hbm;   //!< HBM streaming bandwidth vs SMs
  std::optional<BandwidthCurve> copy;  //!< communication-emulating copy bandwidth vs SMs
  //! Time multipliers per kernel group ("gemm", "attention", "memory_bound") fitted to a
  //! measured trace by `hopsim calibrate --from-trace`; absent groups stay 1.
  std::map<std::string, double> time_scales;
  //! The gap a stream pays before each kernel, fitted to a trace's queued gaps (`calibrate
  //! --from-trace`); absent: the model's default.
  std::optional<std::int64_t> launch_overhead_ns;
  //! HBM bytes a communication kernel moves per byte it sends (the partitions' interference),
  //! fitted to a trace; absent: the model's default.
  std::optional<double> comm_hbm_bytes_per_wire_byte;
  //! Which measured class stands for each cost-model class (cost_model_class_names: the FLOP
  //! classes gemm_fp8, gemm_bf16, attention_fwd, attention_bwd and the memory-bound kinds
  //! elementwise, norm, fp8_cast, moe_routing). Empty: each FLOP class stands for itself
  //! (hopsim's own kernels) and memory-bound work follows the HBM curve; otherwise only the
  //! classes named are calibrated, e.g. gemm_fp8 -> cublaslt_gemm_fp8 to predict a run whose
  //! GEMMs are cuBLASLt's (PyTorch), norm -> rmsnorm for hopsim's RMSNorm kernel's rate.
  std::map<std::string, std::string> cost_model_classes;
  //! The GEMM tile model's constants fitted to a per-shape table (`hopsim calibrate
  //! --gemm-table`), in place of the defaults fitted to DeepGEMM's H800 rows; measured GEMM
  //! curves (`classes`), where a file has both, still take precedence.
  std::optional<sim::GemmFit> gemm_tile;
  [[nodiscard]] const ClassCurve* find(std::string_view kernel_class) const;
};

//! The cost-model classes a kernel campaign can calibrate, in alphabetical order.
[[nodiscard]] const std::vector<std::string>& cost_model_class_names();
//! The work basis a cost-model class is measured in: bytes for the memory-bound kinds.
[[nodiscard]] WorkBasis cost_model_class_basis(std::string_view name);

//! Fills `c.cost_model_classes` for a kernel campaign: the GEMMs (and attention) from hopsim's
//! own kernels, or with `gemm_kernels` "cublas" the GEMMs from cuBLASLt FP8 / cuBLAS BF16 and
//! attention left to its defaults; each memory-bound kind from hopsim's kernel of that kind, the
//! HBM copy for the rest. Only classes the campaign measured are named. Returns the class
//! "cublas" needs and the campaign lacks (nothing is filled then), else nullopt.
[[nodiscard]] std::optional<std::string> choose_cost_model_classes(Calibration& c,
                                                                   std::string_view gemm_kernels);

//! The relative error a calibration's own residuals give its predictions, and what it is: the
//! leave-one-component-out rms error of a fit to a trace (`calibrate --from-trace`), else the
//! largest rms error of a kernel class's curve (a kernel campaign). 0 when it records neither.
struct ResidualBand {
  double relative = 0;
  std::string source;
};
[[nodiscard]] ResidualBand residual_band(const Calibration& c);

//! Reads and validates a calibration YAML. Throws ConfigError naming file, line, column and key
//! for unknown keys, missing keys, wrong types, non-positive rates and unsupported versions.
[[nodiscard]] Calibration load_calibration(const std::filesystem::path& path);
//! Parses from text; `name` is used in error messages in place of a file name.
[[nodiscard]] Calibration parse_calibration(const std::string& yaml_text, const std::string& name);
//! Writes the YAML atomically (io::AtomicFile): the file appears whole or not at all; throws
//! io::IoError on failure, and std::logic_error (writing nothing) for a calibration the loader
//! would refuse, so no file hopsim writes fails to load back.
void save_calibration(const Calibration& c, const std::filesystem::path& path);
//! Classes whose fitted rate_max exceeds the datasheet peak they were given: the fit's
//! asymptote or the peak (a default for another GPU) is wrong, so the peak, and with it
//! efficiency_max, is left out of the class. One warning per class dropped, naming both.
[[nodiscard]] std::vector<std::string> drop_exceeded_peaks(Calibration& c);
[[nodiscard]] std::string calibration_to_yaml(const Calibration& c);

}  // namespace hopsim::profiler::calibrate
