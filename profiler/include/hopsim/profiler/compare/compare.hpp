#pragma once
//! Predicted vs measured: a scenario's per-class GPU time and step time held against an imported
//! trace of a real run, and one Chrome trace with both timelines for Perfetto.

#include <iosfwd>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/profiler/attribute/component_map.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/summary/summary.hpp"
#include "hopsim/profiler/trace/trace_model.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::profiler::compare {

//! One kernel class (or the whole step): predicted and measured time per step per GPU.
struct Row {
  std::string what;
  Nanoseconds predicted{0};
  Nanoseconds measured{0};
  //! (predicted - measured) / measured; 0 when nothing was measured.
  [[nodiscard]] double error() const;
};

struct Comparison {
  std::string scenario;
  std::string trace_file;
  std::int64_t measured_steps = 0;    //!< ProfilerStep ranges with GPU work (0: the whole trace)
  std::int64_t measured_devices = 0;  //!< devices with GPU activity: what per-GPU figures divide by
  std::int64_t listed_devices = 0;    //!< devices the trace lists (deviceProperties)
  int rank = -1;                      //!< pipeline rank predicted (-1: mean over ranks)
  std::string cost_model;             //!< the prediction's cost parameters (calibration source)
  Nanoseconds host_step{0};           //!< mean ProfilerStep host range, for reference
  std::vector<Row> classes;           //!< union of predicted and measured classes, by measured time
  //! The classes summed by kind of work (kernel_group): what two implementations that split
  //! the same work into different kernel classes (DeepGEMM's vs cuBLAS's GEMMs) agree on.
  std::vector<Row> groups;
  //! Per step component (attention_f ... combine_b), measured through the annotations the
  //! component map names; empty when no annotation maps to a component.
  std::vector<Row> components;
  Row step;                         //!< end to end
  double mean_abs_class_error = 0;  //!< over classes measured and predicted, time-weighted
  //! The GPU's own launch gaps on the device that queued the most kernels on its compute streams
  //! (trace summary's compute_queued_gap): how many kernels waited, and the median gap.
  std::int64_t queued_kernels = 0;
  double queued_gap_p50_ns = 0;
  //! Where the trace and the scenario disagree (GPU model, SMs, world size) or the measured
  //! figures rest on a fallback; printed before the table and kept in the JSON.
  std::vector<std::string> warnings;
};

//! Compares. Measured figures are per step and per GPU with activity: the time of the activities
//! launched inside ProfilerStep ranges / steps / active devices, and the step is the mean GPU
//! span of a step's activities (the whole trace's span when it has no step markers).
//! Per component: the time of the activities attributed to annotations that `components` maps,
//! on the same per-step, per-GPU footing. `rank`: the pipeline rank the trace captured, whose
//! predicted work it is held against (DualPipe's rank 0 also holds the embedding, the head and
//! MTP); -1 compares with the mean over pipeline ranks.
[[nodiscard]] Comparison compare(const Scenario& scenario, const trace::Trace& measured,
                                 const classify::KernelClassifier& classifier,
                                 const std::string& trace_file = {},
                                 const sim::RunOptions& options = {},
                                 const attribute::ComponentMap* components = nullptr,
                                 int rank = -1);

//! The kind of work a kernel class of the classifier (or of the prediction) does: "gemm",
//! "attention", "memory_bound", "communication" or "copy_and_other" (memcpy, memset, unknown).
[[nodiscard]] std::string kernel_group(std::string_view klass,
                                       const classify::KernelClassifier& classifier);

void print_text(std::ostream& out, const Comparison& c);
[[nodiscard]] std::string to_json(const Comparison& c);

//! Writes one Chrome trace: the predicted step (a process per pipeline rank) and the measured
//! activities (a process per device, a thread per stream), both starting at time 0.
void write_combined_trace(std::ostream& out, const Scenario& scenario, const trace::Trace& measured,
                          const sim::RunOptions& options = {});

}  // namespace hopsim::profiler::compare
