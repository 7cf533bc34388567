#pragma once
//! Reads the trace `hopsim measure` writes (the calibration layout, docs/KERNELS.md "Trace
//! format") as any other trace: its CUPTI kernels, copies and runtime calls into a TraceSink, so
//! that import, trace summary and compare take the one file hopsim-measure writes.

#include <filesystem>

#include "hopsim/profiler/import/import_stats.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::import {

//! A SQLite file with hopsim-measure's tables (measurements, kernels, provenance).
[[nodiscard]] bool looks_like_measure_trace(const std::filesystem::path& file);

//! Throws TraceError naming the file, table and row for a missing column, a NULL or negative
//! time or an end before its start; the work SQLite does is bounded by the file's size.
ImportStats import_measure_trace(const std::filesystem::path& file, trace::TraceSink& sink);

}  // namespace hopsim::profiler::import
