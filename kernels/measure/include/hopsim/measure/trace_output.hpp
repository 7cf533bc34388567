#pragma once
//! Turns a finished run (schedule, what ran, the CUPTI recording) into hopsim-measure's two
//! files: the calibration trace and the same recording in the importer's layout. No CUDA here.

#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/measure/recording.hpp"
#include "hopsim/measure/schedule.hpp"
#include "hopsim/profiler/calibrate/measure_trace_writer.hpp"

namespace hopsim::measure {

//! The GPU a trace was recorded on, as cudaGetDeviceProperties and friends report it.
struct DeviceFacts {
  std::string name;
  int sm_count = 0;
  int cc_major = 0;
  int cc_minor = 0;
  int sm_clock_khz = 0;
  int memory_clock_khz = 0;
  int memory_bus_width_bits = 0;
  long long memory_bytes = 0;
  int driver_version = 0;
  int runtime_version = 0;
  int toolkit_version = 0;
};

//! The hopsim build that recorded it.
struct BuildFacts {
  std::string git_commit;
  std::string version;
};

//! One measurement that ran: the SMs it actually got (splits are rounded up by the hardware)
//! and its runner's note (e.g. the cuBLASLt scaling mode). Schedule entries a runner could not
//! do (a vendor library on a partition) have none.
struct MeasuredRun {
  long long id = 0;
  int sms = 0;
  std::string note;
};

using Provenance = std::map<std::string, std::string>;

//! The `provenance` table (keys listed in docs/KERNELS.md). `date_utc` and `command_line` are
//! passed in so that the result depends on its arguments only.
[[nodiscard]] Provenance make_provenance(const DeviceFacts& device, const BuildFacts& build,
                                         const Schedule& schedule, std::string_view date_utc,
                                         std::string_view command_line);

//! ISO 8601 UTC, e.g. 2025-01-31T12:00:00Z.
[[nodiscard]] std::string utc_timestamp(std::time_t t);

//! The `measurements.shape` JSON: the shape keys and, when not empty, "note".
[[nodiscard]] std::string shape_json(const PlanEntry& e, const std::string& note);

//! One row per run, in `runs` order. Throws std::invalid_argument for an id not in `schedule`.
[[nodiscard]] std::vector<profiler::calibrate::MeasurementRow> measurement_rows(
    const Schedule& schedule, const std::vector<MeasuredRun>& runs);

//! One row per recorded kernel, attributed through its correlation's tag (untag); kernels of
//! non-green contexts report `device_sms`.
[[nodiscard]] std::vector<profiler::calibrate::KernelRow> kernel_rows(const Recording& rec,
                                                                      int device_sms);

//! Writes `out` in the calibration layout (trace_schema.hpp): the measurements, the CUPTI
//! kernels, copies and runtime calls, and the provenance. It is the one file: `hopsim import`,
//! `trace summary` and `compare` read it as any trace (profiler/import/measure_trace.hpp). Written
//! completely before it is moved into place; on any error no new file is left behind.
void write_traces(const std::filesystem::path& out, const Provenance& provenance,
                  const DeviceFacts& device, const Schedule& schedule,
                  const std::vector<MeasuredRun>& runs, const Recording& rec);

//! Per concurrent pair, how much of the compute half's time the copy half overlapped, summed
//! over repeats (spans of each repeat's kernels). "WARNING: no overlap" flags pairs whose green
//! contexts serialised. One line per compute_concurrent run, in run order.
[[nodiscard]] std::vector<std::string> overlap_report(const Schedule& schedule,
                                                      const std::vector<MeasuredRun>& runs,
                                                      const Recording& rec);

}  // namespace hopsim::measure
