// Kineto import in three stages, after Perfetto's trace_processor: a tokenizer that finds where
// the byte stream can be cut (window_stream.hpp, reading a file through gzip_source.hpp), a
// parser that turns JSON into typed events (kineto_parser.hpp) and an event builder that writes
// them to the sink (kineto_builder.hpp). This file wires them together.

#include "hopsim/profiler/import/kineto.hpp"

#include <algorithm>
#include <cstring>

#include "gzip_source.hpp"
#include "kineto_builder.hpp"
#include "kineto_parser.hpp"
#include "window_stream.hpp"

namespace hopsim::profiler::import {

namespace {

ImportStats finish(const WindowStream& in, const KinetoEventBuilder& builder,
                   trace::TraceSink& sink) {
  ImportStats stats = builder.stats();
  stats.input_bytes = static_cast<std::int64_t>(in.Tell());
  sink.set_info("source_format", "kineto_json");
  return stats;
}

}  // namespace

ImportStats import_kineto_file(const std::filesystem::path& file, trace::TraceSink& sink,
                               const KinetoOptions& opt) {
  const std::string name = file.string();
  GzipSource gz(file);
  std::uint64_t size = 0;
  if (opt.progress) {
    std::error_code ec;
    size = std::filesystem::file_size(file, ec);
    if (ec) size = 0;
  }
  // One call per window (1 MiB of JSON by default): a few hundred over a large trace.
  WindowStream in(
      [&gz, &opt, size](char* buf, std::size_t cap) {
        const long n = gz.read(buf, cap);
        if (opt.progress && size > 0) {
          // done == total is left to import_into, which calls it once the parse has ended.
          opt.progress(std::min<std::uint64_t>(gz.file_bytes_read(), size - 1), size, "bytes");
        }
        return n;
      },
      opt.chunk_bytes, opt.max_window_bytes);
  KinetoEventBuilder builder(sink);
  parse_kineto(in, builder, name, opt.max_depth, [&gz] { return gz.error(); });
  ImportStats s = finish(in, builder, sink);
  sink.set_info("source_file", file.filename().string());
  sink.set_info("source_compressed", gz.compressed() ? "gzip" : "no");
  return s;
}

ImportStats import_kineto_memory(std::string_view json, trace::TraceSink& sink,
                                 std::string_view name, const KinetoOptions& opt) {
  // In-situ parsing writes to its buffer, so the input is copied window by window.
  std::size_t at = 0;
  WindowStream in(
      [json, &at](char* buf, std::size_t cap) -> long {
        const std::size_t n = std::min(cap, json.size() - at);
        std::memcpy(buf, json.data() + at, n);
        at += n;
        return static_cast<long>(n);
      },
      opt.chunk_bytes, opt.max_window_bytes);
  KinetoEventBuilder builder(sink);
  parse_kineto(in, builder, std::string(name), opt.max_depth, {});
  return finish(in, builder, sink);
}

}  // namespace hopsim::profiler::import
