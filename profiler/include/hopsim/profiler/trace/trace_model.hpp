#pragma once
//! The trace model shared by every importer and by the summary: GPU activities, CUDA API calls,
//! annotation ranges, flow events, devices and provenance, as plain value types.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/units.hpp"

namespace hopsim::profiler::trace {

//! Version of the SQLite layout written by TraceWriter (docs/TRACES.md). Bumped on any change.
//! 2: several traces in one file (the ranks of a job): table `traces`, column `trace_id`.
inline constexpr int kSchemaVersion = 2;
//! Version of the importers; recorded in provenance so a trace says which code produced it.
//! 2: Kineto ac2g flow events are no longer stored as flow_events rows (see flow_links).
inline constexpr std::string_view kImporterVersion = "hopsim-import 2";

enum class ActivityKind : int { kKernel = 0, kMemcpy = 1, kMemset = 2 };
[[nodiscard]] std::string_view to_string(ActivityKind k);

//! Where a named CPU/host range came from. Stored as an integer in the `annotations` table.
enum class RangeSource : int { kUserAnnotation = 0, kGpuUserAnnotation = 1, kCpuOp = 2, kNvtx = 3 };
[[nodiscard]] std::string_view to_string(RangeSource s);

struct Dim3 {
  std::int64_t x = 0;  //!< 0 = unknown
  std::int64_t y = 0;
  std::int64_t z = 0;
  friend bool operator==(const Dim3&, const Dim3&) = default;
};

// Names are string_views: while an importer streams, they point into its parse buffers and are
// valid only for the duration of the TraceSink call; inside a loaded Trace they point into
// Trace::strings. That keeps the import loop free of per-event allocations.

//! A kernel, memcpy or memset executed on a GPU stream.
struct GpuActivity {
  ActivityKind kind = ActivityKind::kKernel;
  std::int64_t device = -1;
  std::int64_t stream = -1;
  Nanoseconds start{0};
  Nanoseconds end{0};
  std::string_view name;
  std::int64_t correlation = -1;  //!< -1 = unknown
  Dim3 grid;
  Dim3 block;
  std::int64_t bytes = -1;  //!< memcpy/memset size; -1 = unknown or not applicable

  //! Field by field, names by their text (wherever they point).
  friend bool operator==(const GpuActivity&, const GpuActivity&) = default;
};

//! A CUDA runtime or driver API call on a host thread.
struct RuntimeCall {
  std::string_view name;
  bool driver = false;
  std::int64_t pid = -1;
  std::int64_t tid = -1;
  Nanoseconds start{0};
  Nanoseconds end{0};
  std::int64_t correlation = -1;
};

//! A named host range: user annotation (record_function, ProfilerStep#N), cpu_op or NVTX range.
struct Annotation {
  std::string_view name;
  RangeSource source = RangeSource::kUserAnnotation;
  std::int64_t pid = -1;
  std::int64_t tid = -1;
  Nanoseconds start{0};
  Nanoseconds end{0};
};

//! One end of a Chrome-trace flow arrow ("ph":"s" or "f"), kept as recorded.
struct FlowEvent {
  std::int64_t id = 0;
  char phase = 's';
  std::string_view category;  //!< "ac2g" (launch to GPU), "fwdbwd", ...
  std::int64_t pid = -1;
  std::int64_t tid = -1;
  Nanoseconds ts{0};
};

struct DeviceInfo {
  std::int64_t id = 0;
  std::string name;
  std::int64_t sm_count = 0;            //!< 0 = unknown
  std::int64_t total_memory_bytes = 0;  //!< 0 = unknown
  std::int64_t compute_major = 0;
  std::int64_t compute_minor = 0;
  std::int64_t clock_khz = 0;  //!< 0 = unknown
};

//! A launch (runtime call) joined to the GPU activity it started, by correlation id.
struct FlowLink {
  std::size_t runtime_index = 0;   //!< index into Trace::runtime
  std::size_t activity_index = 0;  //!< index into Trace::activities
};

//! A named problem an import met and continued past (after Perfetto trace_processor's stats):
//! how often, where first, and what the importer did about it. The catalogue of names is
//! profiler/import/import_problems.hpp; problems that stop an import are errors instead.
struct ImportProblem {
  std::string name;            //!< e.g. "duplicate_gpu_activity"
  std::string severity;        //!< "info" (nothing lost) or "data_loss" (something dropped)
  std::int64_t count = 0;      //!< occurrences
  std::string first_location;  //!< where the first one was ("byte 1234", "table T row 5")
  std::string action;          //!< what the importer did ("the second is dropped")
  friend bool operator==(const ImportProblem&, const ImportProblem&) = default;
};

//! Key/value facts about where a trace came from (source file, format, device, versions, ...).
using Provenance = std::map<std::string, std::string>;

//! The rank a trace says it is (provenance `rank`, from Kineto's `distributedInfo.rank`): a
//! non-negative integer, or nothing when absent or not one.
[[nodiscard]] std::optional<std::int64_t> claimed_rank(const Provenance& p);
//! The same for one provenance value.
[[nodiscard]] std::optional<std::int64_t> parse_rank(std::string_view value);

//! A whole trace in memory. Not copyable: the string_views point into `strings`, whose element
//! addresses survive a move of the deque but not a copy.
struct Trace {
  Trace() = default;
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;
  Trace(Trace&&) = default;
  Trace& operator=(Trace&&) = default;
  ~Trace() = default;

  std::deque<std::string> strings;
  std::vector<GpuActivity> activities;
  std::vector<RuntimeCall> runtime;
  std::vector<Annotation> annotations;
  std::vector<FlowEvent> flows;
  std::vector<DeviceInfo> devices;
  std::vector<FlowLink> links;
  std::vector<ImportProblem> problems;
  Provenance provenance;

  //! Stores a copy of `s` and returns a view that lives as long as this Trace.
  std::string_view keep(std::string_view s) { return strings.emplace_back(s); }
};

}  // namespace hopsim::profiler::trace
