#pragma once
//! What one import read and wrote, the same type for every input format: the Kineto and Nsight
//! importers fill it, `import_into` returns it and `hopsim import` prints it.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "hopsim/profiler/import/import_problems.hpp"

namespace hopsim::profiler::import {

enum class TraceFormat { kAuto, kKinetoJson, kNsysSqlite, kHopsimTrace, kMeasureTrace };

//! How far an import has read: `done` of `total` in `unit`, "bytes" of the input file for Kineto
//! (compressed bytes for gzip) or "rows" of an nsys export's tables. Called every few MB or tens of
//! thousands of rows, and once with done == total when the import ends; for progress bars.
using ImportProgress =
    std::function<void(std::uint64_t done, std::uint64_t total, std::string_view unit)>;

//! Counts of what went into the TraceSink. `skipped` counts events that are valid but not
//! modelled, by reason (e.g. "ph=i", "cat=cuda_sync"); they are reported, never silently lost.
struct ImportStats {
  TraceFormat format = TraceFormat::kAuto;  //!< the format that was read
  std::int64_t input_bytes = 0;             //!< JSON: uncompressed bytes parsed; SQLite: file size
  std::int64_t events = 0;  //!< Kineto: JSON trace events read (modelled or not); else 0
  std::int64_t kernels = 0;
  std::int64_t memcpys = 0;
  std::int64_t memsets = 0;
  std::int64_t runtime_calls = 0;
  std::int64_t annotations = 0;  //!< Kineto user annotations and CPU ops, NVTX ranges
  std::int64_t flows = 0;        //!< flow arrows read (Kineto "s"/"f"/"t")
  std::int64_t metadata = 0;     //!< Kineto "ph":"M" events
  std::int64_t devices = 0;
  std::map<std::string, std::int64_t> skipped;
  ProblemLog problems;  //!< damage the import recorded and continued past

  //! GPU activities: kernels, memcpys and memsets.
  [[nodiscard]] std::int64_t activities() const { return kernels + memcpys + memsets; }
};

}  // namespace hopsim::profiler::import
