#pragma once
//! Importer for Nsight Systems SQLite exports (`nsys export --type sqlite`): CUPTI kernel, memcpy,
//! memset and runtime tables, NVTX ranges and TARGET_INFO_GPU, names resolved through StringIds.

#include <filesystem>

#include "hopsim/profiler/import/import_stats.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::import {

//! True when `file` is a SQLite database with the tables an nsys export has (StringIds and
//! CUPTI_ACTIVITY_KIND_KERNEL).
[[nodiscard]] bool looks_like_nsys(const std::filesystem::path& file);

//! Throws trace::TraceError naming the table (and row) when a required table or column is
//! missing, a name id has no StringIds entry, or a row has end < start or a negative time.
//! Required: StringIds(id, value), CUPTI_ACTIVITY_KIND_KERNEL(start, end, deviceId, streamId,
//! correlationId, and shortName or demangledName). Optional tables are read when present. NVTX
//! ranges count as annotations; input_bytes is the file size. `progress` counts rows of the
//! activity, runtime and NVTX tables (done == total is left to the caller).
ImportStats import_nsys(const std::filesystem::path& file, trace::TraceSink& sink,
                        const ImportProgress& progress = {});

}  // namespace hopsim::profiler::import
