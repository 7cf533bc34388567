#pragma once
//! The trace model in SQLite: TraceWriter (a TraceSink that writes one file, atomically) and
//! load_trace (reads it back). The layout is documented in docs/TRACES.md.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/profiler/trace/trace_model.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::trace {

//! One trace of a trace database. `rank` is the rank the trace claims (Kineto
//! `distributedInfo.rank`) when every trace of the file claims a different one, else the
//! trace's position in the file; `file` the file it was imported from.
struct TraceEntry {
  std::int64_t id = 0;
  std::int64_t rank = 0;
  std::string file;
  friend bool operator==(const TraceEntry&, const TraceEntry&) = default;
};

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

  //! Ends the trace being written and starts the next one in the same file (the next rank of
  //! a job): events and provenance after this call belong to it.
  void next_trace();

  //! Derives flow_links from correlation ids, gives each trace its rank, commits and renames
  //! the file into place.
  void commit();

  //! After commit(): the traces written, in order, with the ranks they were given.
  [[nodiscard]] const std::vector<TraceEntry>& traces() const { return traces_; }
  //! After commit(): empty when each trace got the rank it claims, else why positions were used.
  [[nodiscard]] const std::string& rank_note() const { return rank_note_; }

 private:
  void start_trace_info();
  void end_trace_info();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<TraceEntry> traces_;
  std::string rank_note_;
};

//! The traces a trace database holds (one for a file written before schema version 2).
//! Throws TraceError when the file is not a readable hopsim trace.
[[nodiscard]] std::vector<TraceEntry> list_traces(const std::filesystem::path& file);

//! True when the file is a SQLite database holding a hopsim trace (any schema version).
[[nodiscard]] bool is_hopsim_trace(const std::filesystem::path& file);

//! Reads one trace of a hopsim trace database: the trace of `rank`, or the only one. Throws
//! TraceError when tables or columns are missing, the schema version is newer than this build
//! understands, no trace has that rank, or no rank is given and the file holds several.
[[nodiscard]] Trace load_trace(const std::filesystem::path& file,
                               std::optional<std::int64_t> rank = std::nullopt);

}  // namespace hopsim::profiler::trace
