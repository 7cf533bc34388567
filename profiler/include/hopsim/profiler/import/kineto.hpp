#pragma once
//! Importer for PyTorch-profiler (Kineto) Chrome-trace JSON, plain or gzip: a streaming SAX parse
//! that holds one event at a time and hands each to a TraceSink.

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "hopsim/profiler/import/import_stats.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::import {

struct KinetoOptions {
  int max_depth = 64;  //!< deeper JSON nesting is rejected (no trace needs it)
  //! Size of the parse window (the input is read and parsed in situ this much at a time); peak
  //! memory does not grow with the file or its layout, only with a single string or number
  //! longer than this, up to max_window_bytes (a longer one is an error).
  std::size_t chunk_bytes = 1 << 20;
  std::size_t max_window_bytes = std::size_t{1} << 26;
  ImportProgress progress;  //!< optional: file bytes read of the file's size (files only)
};

//! Reads `file` (gzip detected by zlib). Throws trace::TraceError with the byte offset in the
//! uncompressed stream on malformed JSON, wrong types, missing fields, negative or overflowing
//! times, invalid UTF-8, nesting deeper than max_depth, or a damaged gzip stream. The stats'
//! input_bytes are the uncompressed JSON bytes parsed.
ImportStats import_kineto_file(const std::filesystem::path& file, trace::TraceSink& sink,
                               const KinetoOptions& opt = {});

//! Same, from uncompressed JSON in memory; `name` is used in error messages.
ImportStats import_kineto_memory(std::string_view json, trace::TraceSink& sink,
                                 std::string_view name = "<memory>", const KinetoOptions& opt = {});

}  // namespace hopsim::profiler::import
