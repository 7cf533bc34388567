#pragma once
//! `hopsim calibrate --from-trace`: the cost model's time scales (GEMM, attention, memory-bound
//! kernels) fitted by least squares to the per-component GPU time of an annotated trace.

#include <map>
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
};

struct TraceFit {
  std::map<std::string, double> scales;   //!< per group; groups with no time keep 1 and are absent
  std::vector<std::string> unidentified;  //!< groups the trace's components cannot separate
  std::vector<ComponentFit> components;
  double rms_rel_error = 0;  //!< fitted vs measured over the components
  double leave_one_out_rms_rel_error = 0;
  std::vector<std::string> warnings;  //!< from the comparison (scenario vs trace, annotations)
  //! The GPU's own launch gaps in the trace (summary's queued gaps, on the device that queued
  //! the most kernels) beside the model's launch overhead: shown, not fitted (docs/CALIBRATION.md).
  std::int64_t queued_kernels = 0;
  double queued_gap_p50_ns = 0;
  Nanoseconds model_launch_overhead{0};
};

//! Fits the scales: measured component time (compare's per-step, per-GPU figure for pipeline
//! rank `rank`) = sum over groups of the modelled time of that group in the component x its
//! scale, each component weighted by 1 / measured (relative errors). Throws ConfigError when
//! the trace has no component the fit can use.
[[nodiscard]] TraceFit fit_time_scales(const Scenario& scenario, const trace::Trace& measured,
                                       const classify::KernelClassifier& classifier,
                                       const attribute::ComponentMap& components, int rank,
                                       const sim::RunOptions& options = {});

//! The fit as a calibration file (device and SMs from the scenario's GPU).
[[nodiscard]] Calibration calibration_from_fit(const TraceFit& fit, const Scenario& scenario,
                                               std::map<std::string, std::string> provenance);

}  // namespace hopsim::profiler::calibrate
