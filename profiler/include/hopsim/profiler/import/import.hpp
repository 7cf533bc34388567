#pragma once
//! Entry point of `hopsim import`: detects the input format from its content and writes the
//! trace model to a SQLite file, atomically (nothing at the output path unless it all worked).

#include <filesystem>
#include <string>
#include <string_view>

#include "hopsim/profiler/import/import_stats.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::import {

[[nodiscard]] std::string_view to_string(TraceFormat f);
//! "auto", "kineto", "nsys", "hopsim"; throws TraceError on anything else.
[[nodiscard]] TraceFormat parse_format(std::string_view s);

//! Looks at the first bytes: "SQLite format 3" -> hopsim trace or nsys export (by their tables);
//! gzip magic or a JSON object/array -> Kineto. Throws TraceError when none fits.
[[nodiscard]] TraceFormat detect_format(const std::filesystem::path& file);

struct ImportOptions {
  TraceFormat format = TraceFormat::kAuto;
  std::string command;      //!< recorded in provenance (the command line that ran the import)
  ImportProgress progress;  //!< optional; see ImportProgress
};

//! Reads any supported format into `sink` (no file written); the stats name the format read.
ImportStats import_into(const std::filesystem::path& in, trace::TraceSink& sink,
                        const ImportOptions& opt = {});

//! The trace of `in` in memory: a hopsim trace database read back, any other supported format
//! (Kineto JSON or .json.gz, an Nsight Systems export) imported without writing a file, so that
//! compare and calibrate take a user's trace as it came from the profiler.
[[nodiscard]] trace::Trace read_trace(const std::filesystem::path& in);

//! Imports `in` to the SQLite trace `out` (replacing it only on success).
ImportStats import_trace(const std::filesystem::path& in, const std::filesystem::path& out,
                         const ImportOptions& opt = {});

}  // namespace hopsim::profiler::import
