#pragma once
//! A step as a task graph per GPU: kernels, collectives and point-to-point transfers with their
//! dependencies, the form other simulators exchange (MLCommons Chakra execution traces).
//! Built from a schedule and its program with the executor's rules, and replayed on its own.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hopsim/core/units.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"
#include "hopsim/sim/schedule/schedule.hpp"

namespace hopsim::sim {

enum class GraphNodeKind : std::uint8_t { kCompute, kCollective, kSend, kRecv };

//! The collectives a graph names: MLCommons Chakra's CollectiveCommType, value for value. The
//! replay times every kind alike (the group meets, then the longest member's duration).
enum class CollectiveKind : std::uint8_t {
  kAllReduce = 0,
  kReduce = 1,
  kAllGather = 2,
  kGather = 3,
  kScatter = 4,
  kBroadcast = 5,
  kAllToAll = 6,
  kReduceScatter = 7,
  kReduceScatterBlock = 8,
  kBarrier = 9,
};
inline constexpr int kCollectiveKindCount = 10;

//! Where a node runs on its GPU: one of the SM partitions (one node at a time, in issue order)
//! or the network only (point-to-point transfers, the gradient reduce-scatter).
enum class GraphLane : std::uint8_t { kCompute = 0, kComm = 1, kNetwork = 2 };

struct GraphNode {
  std::uint64_t id = 0;  //!< unique within its GPU; a graph's nodes are in issue order
  std::string name;
  GraphNodeKind kind = GraphNodeKind::kCompute;
  GraphLane lane = GraphLane::kCompute;
  WorkClass cls = WorkClass::kCompute;
  Nanoseconds duration{};  //!< alone; a receive's time is its send's
  Flops flops{};
  Bytes bytes{};  //!< what this GPU sends (collectives and sends) or receives
  CollectiveKind collective = CollectiveKind::kAllToAll;
  int group = -1;                   //!< communicator group (ExecutionGraph::groups) of a collective
  int peer = -1;                    //!< the other GPU of a send or receive
  std::uint32_t tag = 0;            //!< matches a send with its receive
  std::vector<std::uint64_t> deps;  //!< nodes of the same GPU that must end first
};

struct ExecutionGraph {
  std::vector<std::vector<GraphNode>> gpus;  //!< per GPU (replica * ranks + pipeline rank)
  std::map<int, std::vector<int>> groups;    //!< communicator group -> its GPUs, ascending
};

//! The executor's step as a graph, for `replicas` pipeline replicas of the schedule's ranks
//! (GPU = replica * ranks + rank) whose EP collectives run over groups of `collective_group`
//! consecutive replicas and gradient reduce-scatters over all of them. Durations are the
//! program's stand-alone ones (the analytical fast path; no kernel-time variation): replayed,
//! the graph gives the executor's makespan under those rules. Throws PlanError as the
//! executor does for a program that does not match the schedule.
[[nodiscard]] ExecutionGraph build_execution_graph(const Schedule& schedule,
                                                   const PipelineProgram& program, int replicas = 1,
                                                   int collective_group = 1);

//! Receives each GPU's nodes as they are built, GPU by GPU in order (a streaming writer holds
//! one GPU's nodes at a time instead of the whole graph).
using GraphGpuSink = std::function<void(int gpu, std::vector<GraphNode>&& nodes)>;
//! build_execution_graph, GPU by GPU into `on_gpu`; returns the communicator groups.
std::map<int, std::vector<int>> build_execution_graph(const Schedule& schedule,
                                                      const PipelineProgram& program, int replicas,
                                                      int collective_group,
                                                      const GraphGpuSink& on_gpu);

struct GraphReplay {
  Nanoseconds makespan{};           //!< when the last node of any GPU ended
  std::vector<Nanoseconds> finish;  //!< per GPU: its last compute- or comm-lane node's end
  std::vector<std::array<Nanoseconds, 2>> busy;  //!< per GPU: compute and comm lane busy
  std::uint64_t nodes = 0;
};

//! Replays a graph on the discrete-event engine: a node starts once its dependencies have
//! ended and, on an SM lane, once the lane is free (ready nodes in id order); a collective
//! starts when every GPU of its group has reached the same collective of that group (n-th with
//! n-th); a receive ends when its send has. Throws PlanError naming the GPU and node where the
//! graph cannot complete (a cycle, an unmatched receive, a missing group member).
[[nodiscard]] GraphReplay replay_graph(const ExecutionGraph& graph);

}  // namespace hopsim::sim
