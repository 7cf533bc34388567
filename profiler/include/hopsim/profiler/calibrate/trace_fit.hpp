#pragma once
//! `hopsim calibrate --from-trace`: the cost model's time scales (GEMM, attention, memory-bound
//! kernels) fitted by least squares to the per-component GPU time of an annotated trace.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/profiler/attribute/component_map.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/trace/trace_model.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::profiler::calibrate {

//! One compute component: measured, predicted as modelled, predicted with the fitted scales,
//! and predicted by the fit made without it (leave-one-component-out).
struct ComponentFit {
  std::string component;
  double measured_ms = 0;
  double modelled_ms = 0;
  double fitted_ms = 0;
  double left_out_ms = 0;  //!< 0 when too few components remain to refit
  //! Of fitted_ms: what HBM interference adds on the step engine at the fitted coefficient.
  double interference_ms = 0;
};

struct TraceFit {
  std::map<std::string, double> scales;   //!< per group; groups with no time keep 1 and are absent
  std::vector<std::string> unidentified;  //!< groups the trace's components cannot separate
  std::vector<ComponentFit> components;
  double rms_rel_error = 0;  //!< fitted vs measured over the components
  double leave_one_out_rms_rel_error = 0;
  std::vector<std::string> warnings;  //!< from the comparison (scenario vs trace, annotations)
  //! The GPU's own launch gaps in the trace: summary's queued gaps on the compute streams of
  //! the device that queued the most kernels. Their median is the fitted launch overhead (the
  //! least-absolute-deviations fit of one constant gap per kernel, which kernels held behind
  //! another stream's work cannot drag away; docs/CALIBRATION.md); none queued, none fitted.
  std::int64_t queued_kernels = 0;
  double queued_gap_p50_ns = 0;
  std::optional<Nanoseconds> launch_overhead;  //!< fitted
  Nanoseconds model_launch_overhead{0};        //!< what the model charged before the fit
  //! HBM interference between the partitions (CostParameters::comm_hbm_bytes_per_wire_byte),
  //! fitted with the scales to the components the step engine's overlaps slow down; absent
  //! when nothing overlaps or it cannot be told apart, `interference_note` saying why.
  std::optional<double> comm_hbm_bytes_per_wire_byte;
  double model_comm_hbm_bytes_per_wire_byte = 0;
  std::string interference_note;
  int engine_runs = 0;  //!< step-engine runs until the answer stopped moving (0: none needed)
};

//! Fits the scales: measured component time (compare's per-step, per-GPU figure for pipeline
//! rank `rank`: the kernels' durations) = sum over groups of the modelled run time of that
//! group's kernels in the component (launch gaps left out) x its scale, each component weighted
//! by 1 / measured (relative errors); and the launch overhead from the queued gaps. Throws
//! ConfigError when the trace has no component the fit can use.
[[nodiscard]] TraceFit fit_time_scales(const Scenario& scenario, const trace::Trace& measured,
                                       const classify::KernelClassifier& classifier,
                                       const attribute::ComponentMap& components, int rank,
                                       const sim::RunOptions& options = {});

//! The fit as a calibration file (device and SMs from the scenario's GPU).
[[nodiscard]] Calibration calibration_from_fit(const TraceFit& fit, const Scenario& scenario,
                                               std::map<std::string, std::string> provenance);

}  // namespace hopsim::profiler::calibrate
