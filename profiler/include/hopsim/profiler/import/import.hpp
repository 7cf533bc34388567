#pragma once
//! Entry point of `hopsim import`: detects the input format from its content and writes the
//! trace model to a SQLite file, atomically (nothing at the output path unless it all worked).

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/profiler/import/import_stats.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
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
  //! For a hopsim trace database of several ranks: the rank to read (load_trace).
  std::optional<std::int64_t> rank;
};

//! Reads any supported format into `sink` (no file written); the stats name the format read.
ImportStats import_into(const std::filesystem::path& in, trace::TraceSink& sink,
                        const ImportOptions& opt = {});

//! The trace of `in` in memory: a hopsim trace database read back, any other supported format
//! (Kineto JSON or .json.gz, an Nsight Systems export) imported without writing a file, so that
//! compare and calibrate take a user's trace as it came from the profiler. `rank` picks one
//! trace of a database holding several ranks (`import_job`); for a single trace it must be the
//! trace's own rank. Throws TraceError naming the ranks there are otherwise.
[[nodiscard]] trace::Trace read_trace(const std::filesystem::path& in,
                                      std::optional<std::int64_t> rank = std::nullopt);

//! The trace files of a folder of per-rank traces, by name: *.json, *.json.gz, *.sqlite.
[[nodiscard]] std::vector<std::filesystem::path> trace_files_in(const std::filesystem::path& dir);
//! The inputs with each folder replaced by its trace files (trace_files_in), in order.
[[nodiscard]] std::vector<std::filesystem::path> trace_files(
    const std::vector<std::filesystem::path>& inputs);

//! What `import_job` wrote: each input's import and the rank it was given.
struct JobImport {
  std::vector<ImportStats> stats;         //!< per input, in input order
  std::vector<trace::TraceEntry> traces;  //!< per input: id, rank, source file
  std::vector<std::string> warnings;      //!< ranks not claimed, or claimed twice
};

//! Imports the per-rank traces of one job into one trace database `out` (one trace per input,
//! table `traces`), replacing it only when every input imported. `on_file(done, total)` after
//! each input. A trace's rank is the one it claims when all claim different ranks, else its
//! position among the inputs (a warning says so).
JobImport import_job(const std::vector<std::filesystem::path>& inputs,
                     const std::filesystem::path& out, const ImportOptions& opt = {},
                     const std::function<void(std::size_t done, std::size_t total)>& on_file = {});

//! Imports `in` to the SQLite trace `out` (replacing it only on success).
ImportStats import_trace(const std::filesystem::path& in, const std::filesystem::path& out,
                         const ImportOptions& opt = {});

}  // namespace hopsim::profiler::import
