#pragma once
//! Kernels attributed to the user annotations that launched them: each GPU activity goes to the
//! innermost annotation whose host range holds its launch, the basis of per-phase GPU time.

#include <cstdint>
#include <string>
#include <vector>

#include "hopsim/core/units.hpp"
#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::attribute {

//! How an activity found its annotation (docs/TRACES.md, "Annotations").
enum class Match : std::uint8_t {
  kSameThread,   //!< a range of the launching thread holds the launch
  kOtherThread,  //!< none on that thread; a range of another thread of the process does (the
                 //!< autograd thread launches what the main thread's "backward" range waits on)
  kNone,         //!< launched outside every annotation (ProfilerStep ranges do not count)
  kNoLaunch,     //!< no runtime call joined by correlation id
};

struct Attribution {
  //! Per activity (index into Trace::activities): index into Trace::annotations, or -1.
  std::vector<std::int64_t> annotation_of;
  std::vector<Match> match;
  std::int64_t same_thread = 0;
  std::int64_t other_thread = 0;
  std::int64_t unattributed = 0;
  std::int64_t no_launch = 0;
  std::int64_t annotations = 0;  //!< user/NVTX ranges considered (ProfilerStep ranges excluded)
};

//! Whether a range takes part: user annotations and NVTX ranges, but not ProfilerStep#N (every
//! launch of a step is inside it; steps are the summary's own unit).
[[nodiscard]] bool is_phase_annotation(const trace::Annotation& a);

//! Attributes every activity. Innermost = the latest-starting range that holds the launch (the
//! shorter one when two start together). O((A + R) log A) for A ranges and R launches.
[[nodiscard]] Attribution attribute(const trace::Trace& t);

//! GPU time of one annotation name on one stream, over all its repetitions.
struct AnnotationTime {
  std::string name;
  std::int64_t device = -1;
  std::int64_t stream = -1;
  std::int64_t repetitions = 0;  //!< ranges of this name (on any thread) that launched work here
  std::int64_t activities = 0;
  Nanoseconds total{0};  //!< summed duration
  Nanoseconds busy{0};   //!< union of the intervals
};

//! Per (annotation name, device, stream), sorted by name, device, stream; over the activities
//! `only` marks when given (the summary passes those launched inside steps).
[[nodiscard]] std::vector<AnnotationTime> annotation_times(const trace::Trace& t,
                                                           const Attribution& a,
                                                           const std::vector<bool>* only = nullptr);

}  // namespace hopsim::profiler::attribute
