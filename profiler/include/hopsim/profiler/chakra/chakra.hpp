#pragma once
//! MLCommons Chakra execution traces (what ASTRA-sim and other simulators run): an execution
//! graph written as one trace per GPU, and traces read back as a graph hopsim can replay.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/sim/runner/execution_graph.hpp"

namespace hopsim::profiler::chakra {

//! One GPU's trace file: a GlobalMetadata message, then one Node message per graph node (ids,
//! data dependencies, duration in µs, and the attributes ASTRA-sim reads: is_cpu_op, num_ops,
//! comm_type, comm_size, comm_src/dst/tag, pg_name), each preceded by its length as a varint.
//! hopsim adds hopsim_duration_ns, hopsim_lane and hopsim_class so that its own graphs read
//! back exactly. `source` goes into the metadata.
[[nodiscard]] std::string encode_trace(const std::vector<sim::GraphNode>& nodes, int gpu,
                                       const std::string& source);

//! What the files of one export are.
struct WrittenTraces {
  std::vector<std::filesystem::path> traces;  //!< <prefix>.<gpu>.et, GPU by GPU
  std::filesystem::path groups;               //!< <prefix>.comm_groups.json
  std::uint64_t nodes = 0;
  std::uint64_t bytes = 0;
};

//! Writes `<prefix>.<gpu>.et` GPU by GPU (ASTRA-sim's workload naming) and, at finish(),
//! `<prefix>.comm_groups.json` (communicator group id -> GPUs, ASTRA-sim's
//! --comm-group-configuration file). All files appear, or none: each is written beside its
//! target and renamed at finish() once every one is complete; destroyed before, it leaves
//! nothing. Holds one GPU's bytes at a time. Throws io::IoError.
class TraceWriter {
 public:
  TraceWriter(std::filesystem::path prefix, std::string source);
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  ~TraceWriter();
  //! The next GPU's trace (GPUs in order from 0).
  void add(const std::vector<sim::GraphNode>& nodes);
  WrittenTraces finish(const std::map<int, std::vector<int>>& groups);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! A whole graph through TraceWriter.
WrittenTraces write_traces(const sim::ExecutionGraph& graph, const std::filesystem::path& prefix,
                           const std::string& source);

//! One GPU's trace as graph nodes. Durations are hopsim_duration_ns where present, else
//! duration_micros; dependencies are data and control dependencies together; a collective's
//! group is its pg_name (a number, or a name numbered in order of first use: `names`), or
//! kAllGpus without one. Node types that take no time on a GPU (metadata, invalid) become
//! zero-time network nodes. Throws trace::TraceError naming `file`, the byte offset and the
//! node for anything malformed or out of range.
struct DecodedTrace {
  std::vector<sim::GraphNode> nodes;
  std::string version;             //!< GlobalMetadata version
  std::uint64_t untimed_comm = 0;  //!< communication nodes with bytes but no duration
};
inline constexpr int kAllGpus = 0;  //!< group of a collective without pg_name: every GPU
[[nodiscard]] DecodedTrace decode_trace(std::string_view bytes, int gpu, const std::string& file,
                                        std::vector<std::string>& names);

//! Reads `<prefix>.0.et`, `<prefix>.1.et`, ... (until the first missing) and, if present,
//! `<prefix>.comm_groups.json`; without it, a pg_name's group is every GPU that names it.
struct ReadTraces {
  sim::ExecutionGraph graph;
  std::vector<std::filesystem::path> files;
  std::uint64_t untimed_comm = 0;
  bool groups_from_file = false;
};
[[nodiscard]] ReadTraces read_traces(const std::filesystem::path& prefix);

//! Gives communication nodes that carry bytes but no time a duration of bytes / bandwidth
//! (bytes/s): for traces whose converter kept sizes but not times. Returns how many it set.
std::uint64_t time_untimed_comm(sim::ExecutionGraph& graph, double bytes_per_second);

}  // namespace hopsim::profiler::chakra
