#pragma once
//! `hopsim trace summary`: per-step time, time per kernel class, per-stream busy time,
//! compute/communication overlap, exposed communication and top kernels of one trace.
//! Definitions are in docs/TRACES.md ("Summary").

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hopsim/core/units.hpp"
#include "hopsim/profiler/attribute/attribution.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::summary {

//! Mean and percentiles over steps; percentiles interpolate linearly between closest ranks
//! (numpy's default), so p50 of {1, 2} is 1.5.
struct Distribution {
  std::int64_t count = 0;
  double mean_ns = 0;
  double p50_ns = 0;
  double p95_ns = 0;
};

struct ClassTime {
  std::string klass;
  std::int64_t count = 0;
  Nanoseconds total{0};
  double share = 0;  //!< of the summed duration of all GPU activities
};

//! What a stream is used for, inferred from what runs on it (or set by the user).
enum class StreamRole { kCompute, kCommunication };
[[nodiscard]] std::string_view to_string(StreamRole r);

struct StreamBusy {
  std::int64_t device = -1;
  std::int64_t stream = -1;
  std::int64_t activities = 0;
  Nanoseconds busy{0};    //!< union of the stream's activity intervals
  double comm_share = 0;  //!< of its kernel time, in communication classes
  StreamRole role = StreamRole::kCompute;
  bool role_overridden = false;  //!< set by SummaryOptions::roles rather than inferred
  //! Idle time between its consecutive activities, by cause (HTA's idle time breakdown,
  //! docs/TRACES.md): the host had not launched the next one yet; it was launched and waited
  //! for the GPU alone; it was launched and a kernel of another stream of the device ended in
  //! the gap (a cross-stream wait), or nothing is known of its launch.
  Nanoseconds idle_host_wait{0};
  Nanoseconds idle_kernel_wait{0};
  Nanoseconds idle_other{0};
};

struct KernelTotal {
  std::string name;
  std::string klass;
  std::int64_t count = 0;
  Nanoseconds total{0};
  double share = 0;  //!< of the summed duration of all GPU activities
};

//! Communication = every kernel of a communication class, plus every kernel on a communication
//! stream (DeepEP's casts and layout kernels); compute = the other kernels. docs/TRACES.md.
struct Overlap {
  std::int64_t device = -1;   //!< -1 in the all-device total
  Nanoseconds comm{0};        //!< union of communication kernels
  Nanoseconds compute{0};     //!< union of compute kernels (every other kernel class)
  Nanoseconds overlapped{0};  //!< time where both run on the device
  double fraction = 0;        //!< overlapped / comm (0 when there is no communication)
  Nanoseconds exposed{0};     //!< comm - overlapped
};

//! Per device, in the manner of HolisticTraceAnalysis (docs/TRACES.md "Per-device time"):
//! where the span goes, how long launches wait, how deep the launch queue gets.
struct DeviceTime {
  std::int64_t device = -1;
  Nanoseconds span{0};             //!< first activity start to last activity end on the device
  Nanoseconds compute{0};          //!< union of compute kernels (as in Overlap)
  Nanoseconds non_compute{0};      //!< communication kernels and copies outside compute
  Nanoseconds idle{0};             //!< span - union of every activity
  std::int64_t launches = 0;       //!< kernels joined to their launch call
  Distribution launch_delay;       //!< kernel start - launch call start
  std::int64_t short_kernels = 0;  //!< kernels that ran shorter than their launch call took
  std::int64_t max_queue = 0;      //!< kernels launched and not yet finished, at most
  double mean_queue = 0;  //!< the same, time-weighted from the first launch to the last end
  //! The same in kQueueBins equal bins of that window, in time order (HTA's queue length over
  //! time, coarsened to a fixed size); empty when the window has no length.
  std::vector<double> queue_over_time;
  //! Gaps the GPU itself paid: for each kernel whose launch call had returned before the
  //! activity before it on its stream ended (it was waiting in the queue), the time from that
  //! activity's end to the kernel's start. What hopsim's launch_overhead stands for.
  Distribution queued_gap;
  Nanoseconds queued_gap_total{0};
  //! The same over the compute-role streams only: the gaps hopsim charges as launch_overhead
  //! (its communication kernels carry none; DeepEP's calls are timed whole).
  Distribution compute_queued_gap;
  Nanoseconds compute_queued_gap_total{0};
};

struct StepSummary {
  std::string name;  //!< "ProfilerStep#12"
  std::int64_t number = -1;
  Nanoseconds start{0};
  Nanoseconds duration{0};      //!< of the host range
  std::int64_t activities = 0;  //!< GPU activities launched inside the range
  Nanoseconds gpu_time{0};      //!< summed duration of those activities
  Nanoseconds comm_time{0};     //!< of which communication kernels
  //! First start to last end of those activities: what the GPUs spent on the step. A host range
  //! ends when the last launch returns, usually before the GPU work it queued has run.
  Nanoseconds gpu_span{0};
  //! When the first of those activities starts (trace time): the step's GPU window is
  //! [gpu_start, gpu_start + gpu_span].
  Nanoseconds gpu_start{0};
};

struct TraceSummary {
  trace::Provenance provenance;
  std::vector<trace::ImportProblem> problems;  //!< what the import recorded and went on past
  std::vector<trace::DeviceInfo> devices;
  std::int64_t kernels = 0;
  std::int64_t memcpys = 0;
  std::int64_t memsets = 0;
  Nanoseconds gpu_span{0};  //!< first activity start to last activity end
  //! Devices with at least one GPU activity, ascending. `devices` lists what the profiler saw
  //! (every GPU of the node, typically); a single-rank capture has activity on one of them.
  std::vector<std::int64_t> active_devices;
  Nanoseconds activity_time{0};     //!< summed duration of all GPU activities
  std::vector<ClassTime> classes;   //!< by total time, largest first
  std::vector<StreamBusy> streams;  //!< by device, stream
  Overlap overlap;                  //!< all devices (sums of the per-device figures)
  std::vector<Overlap> overlap_per_device;
  std::vector<DeviceTime> device_time;       //!< devices with activity, ascending
  std::vector<KernelTotal> top_kernels;      //!< kernels (not copies) by total time, largest first
  std::vector<KernelTotal> unknown_kernels;  //!< class "other", by total time
  double unknown_share = 0;
  std::vector<StepSummary> steps;  //!< in start order
  //! Per class, the summed time of the activities launched inside a step (warm-up and
  //! activities outside every step left out); empty when the trace has no steps.
  std::vector<ClassTime> step_classes;
  //! The queued gaps on compute streams (DeviceTime::compute_queued_gap) before the activities
  //! launched inside steps, all devices: the launch gaps to hold against hopsim's per step.
  Nanoseconds step_compute_queued_gap_total{0};
  Distribution step_time;
  Distribution step_gpu_time;
  Distribution step_gpu_span;
  //! GPU time per user annotation (the innermost range holding each launch) and stream.
  std::vector<attribute::AnnotationTime> annotations;
  //! The same over the activities launched inside steps; empty when the trace has no steps.
  std::vector<attribute::AnnotationTime> step_annotations;
  //! How the activities found their annotations: same thread, other thread, none, no launch.
  std::int64_t attributed_same_thread = 0;
  std::int64_t attributed_other_thread = 0;
  std::int64_t unattributed = 0;
  std::int64_t without_launch = 0;
  std::int64_t phase_ranges = 0;  //!< user/NVTX ranges other than ProfilerStep#N
};

struct SummaryOptions {
  std::size_t top_n = 10;
  std::size_t unknown_n = 20;
  //! Roles the user sets for (device, stream), overriding the inferred ones.
  std::map<std::pair<std::int64_t, std::int64_t>, StreamRole> roles;
};

//! Bins of DeviceTime::queue_over_time.
inline constexpr std::size_t kQueueBins = 20;

//! A stream whose kernel time is at least this share communication is a communication stream.
inline constexpr double kCommStreamShare = 0.5;

//! Parses "DEVICE:STREAM=comm|compute" (the CLI's --stream-role); throws std::invalid_argument
//! naming what was expected.
[[nodiscard]] std::pair<std::pair<std::int64_t, std::int64_t>, StreamRole> parse_stream_role(
    std::string_view text);

[[nodiscard]] TraceSummary summarize(const trace::Trace& t, const classify::KernelClassifier& c,
                                     const SummaryOptions& opt = {});

//! Linear-interpolation percentile of `values` (q in [0, 1]); 0 for an empty list.
[[nodiscard]] double percentile(std::vector<double> values, double q);

//! Union length of half-open intervals [start, end).
[[nodiscard]] Nanoseconds union_length(std::vector<std::pair<std::int64_t, std::int64_t>> iv);

[[nodiscard]] std::string to_json(const TraceSummary& s);
void print_text(std::ostream& out, const TraceSummary& s);

}  // namespace hopsim::profiler::summary
