#pragma once
//! Measured and predicted timelines side by side as rows of bars on one time axis, both from time
//! 0: a row per measured device and stream over one measured step, and the compute and
//! communication lanes of one predicted pipeline rank. What the GUI's Measured view draws;
//! `hopsim compare --trace` writes the whole trace beside the prediction to one Chrome trace.

#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/units.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/trace/trace_model.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::profiler::compare {

//! What a bar's time is, the same words for both sides: measured kernels by their class
//! (communication classes of the classifier, memcpy/memset as memory), predicted sub-ops by lane.
enum class BarKind : std::uint8_t { kCompute = 0, kCommunication = 1, kMemory = 2 };

struct Bar {
  Nanoseconds start{0};  //!< from the row set's time 0
  Nanoseconds end{0};
  BarKind kind = BarKind::kCompute;
  std::string_view name;  //!< kernel or sub-op name; points into the trace or the SimResult
};

struct TimelineRow {
  std::string label;  //!< "measured: device 0 stream 7", "predicted: rank 0 compute"
  bool measured = false;
  std::vector<Bar> bars;  //!< by start
};

//! The time 0 of a measured trace: its first activity's start (0 for an empty trace).
[[nodiscard]] Nanoseconds measured_origin(const trace::Trace& measured);

//! The part of a measured trace held against one predicted step: the GPU window of the first
//! ProfilerStep with GPU work (its activities' first start to last end), or the whole trace when
//! it has no steps.
struct MeasuredWindow {
  Nanoseconds start{0};
  Nanoseconds end{0};
  std::string what;  //!< "ProfilerStep#3 (first step with GPU work)" or "the whole trace"
};
[[nodiscard]] MeasuredWindow measured_window(const trace::Trace& measured,
                                             const classify::KernelClassifier& classifier);

//! A row per measured device and stream (by device, then stream): the activities overlapping
//! the window, from its start, clipped to it. The bars keep views into `measured`.
[[nodiscard]] std::vector<TimelineRow> measured_rows(const trace::Trace& measured,
                                                     const classify::KernelClassifier& classifier,
                                                     const MeasuredWindow& window);

//! Rank `rank`'s predicted lanes (compute, then communication) from `predicted.timeline`
//! (RunOptions::collect_timeline); none for a rank the prediction does not have. The bars keep
//! views into `predicted`.
[[nodiscard]] std::vector<TimelineRow> predicted_rows(const sim::SimResult& predicted, int rank);

//! Both, measured first, over the trace's measured_window. `measured` and `predicted` must
//! outlive the rows.
[[nodiscard]] std::vector<TimelineRow> aligned_rows(const trace::Trace& measured,
                                                    const classify::KernelClassifier& classifier,
                                                    const sim::SimResult& predicted, int rank);

}  // namespace hopsim::profiler::compare
