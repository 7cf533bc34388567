#pragma once
//! The trace model in SQLite: TraceWriter (a TraceSink that writes one file, atomically) and
//! load_trace (reads it back). The layout is documented in docs/TRACES.md.

#include <filesystem>
#include <memory>
#include <string_view>

#include "hopsim/profiler/trace/trace_model.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::trace {

//! Writes into a unique temporary file beside `out` (io::AtomicFile) inside one transaction
//! (journal off, prepared statements, interned strings), and fsyncs and renames it to `out` only
//! in commit(). If commit() is never reached (an importer threw, or this constructor did), the
//! temporary file is deleted, so a failed import leaves no output.
class TraceWriter final : public TraceSink {
 public:
  explicit TraceWriter(std::filesystem::path out);
  ~TraceWriter() override;

  void add_activity(const GpuActivity& a) override;
  void add_runtime(const RuntimeCall& r) override;
  void add_annotation(const Annotation& a) override;
  void add_flow(const FlowEvent& f) override;
  void add_device(const DeviceInfo& d) override;
  void add_problem(const ImportProblem& p) override;
  void set_info(std::string_view key, std::string_view value) override;

  //! Derives flow_links from correlation ids, commits and renames the file into place.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! True when the file is a SQLite database holding a hopsim trace (any schema version).
[[nodiscard]] bool is_hopsim_trace(const std::filesystem::path& file);

//! Reads a hopsim trace. Throws TraceError when tables or columns are missing or the schema
//! version is newer than this build understands.
[[nodiscard]] Trace load_trace(const std::filesystem::path& file);

}  // namespace hopsim::profiler::trace
