#pragma once
//! Importer for PyTorch-profiler (Kineto) Chrome-trace JSON, plain or gzip: a streaming SAX parse
//! that holds one event at a time and hands each to a TraceSink.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::import {

struct KinetoOptions {
  int max_depth = 64;  //!< deeper JSON nesting is rejected (no trace needs it)
  //! Size of the parse window (the input is read and parsed in situ this much at a time); peak
  //! memory does not grow with the file, only with a comma- and newline-free stretch longer
  //! than this.
  std::size_t chunk_bytes = 1 << 20;
};

//! What one import saw. `skipped` counts events that are valid but not modelled, by reason
//! (e.g. "ph=i", "cat=cuda_sync"); they are reported, never silently lost.
struct KinetoStats {
  std::int64_t bytes = 0;  //!< uncompressed JSON bytes parsed
  std::int64_t events = 0;
  std::int64_t kernels = 0;
  std::int64_t memcpys = 0;
  std::int64_t memsets = 0;
  std::int64_t runtime_calls = 0;
  std::int64_t annotations = 0;
  std::int64_t flows = 0;
  std::int64_t metadata = 0;
  std::int64_t devices = 0;
  std::map<std::string, std::int64_t> skipped;
};

//! Reads `file` (gzip detected by zlib). Throws trace::TraceError with the byte offset in the
//! uncompressed stream on malformed JSON, wrong types, missing fields, negative or overflowing
//! times, invalid UTF-8, nesting deeper than max_depth, or a damaged gzip stream.
KinetoStats import_kineto_file(const std::filesystem::path& file, trace::TraceSink& sink,
                               const KinetoOptions& opt = {});

//! Same, from uncompressed JSON in memory; `name` is used in error messages.
KinetoStats import_kineto_memory(std::string_view json, trace::TraceSink& sink,
                                 std::string_view name = "<memory>", const KinetoOptions& opt = {});

//! Microseconds as JSON number text ("12.345", "1e3", "-4") to integer nanoseconds, exactly:
//! digits are scaled in decimal, and digits below 1 ns are rounded half away from zero.
//! Returns false on syntax error or when the result does not fit in int64.
[[nodiscard]] bool parse_us_to_ns(std::string_view text, std::int64_t& out);

//! A JSON integer as text to int64; false on fractions, exponents or overflow.
[[nodiscard]] bool parse_int64(std::string_view text, std::int64_t& out);

}  // namespace hopsim::profiler::import
