#include "hopsim/sim/runner/execution_graph.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>

#include "hopsim/core/error.hpp"
#include "op_tasks.hpp"

namespace hopsim::sim {

using namespace detail;  // NOLINT(google-build-using-namespace): the executor's own parts

namespace {

Bytes wire_bytes(const PortTraffic& t) {
  return Bytes(static_cast<std::int64_t>(std::ceil(t.nic_bytes + t.nvlink_bytes)));
}

// An edge between ops of different ranks, seen from the receiving op.
struct CrossEdge {
  int from_rank = 0;
  int from_index = 0;
  int to_rank = 0;
  int to_index = 0;
  Edge edge;
};

// Communicator groups: EP groups of `group` consecutive replicas per pipeline rank, the
// gradient reduce-scatter over every replica of a rank, and a TP all-reduce group per GPU (the
// graph holds no TP peers: a replica is one TP rank). Ids from 1: ASTRA-sim keeps 0 apart.
class Groups {
 public:
  Groups(int ranks, int replicas, int group) : ranks_(ranks), replicas_(replicas), group_(group) {}
  int ep(int rep, int rank) const { return 1 + rank * (replicas_ / group_) + rep / group_; }
  int dp(int rank) const { return 1 + ranks_ * (replicas_ / group_) + rank; }
  int tp(int gpu) const { return 1 + ranks_ * (replicas_ / group_) + ranks_ + gpu; }

  std::map<int, std::vector<int>> all() const {
    std::map<int, std::vector<int>> g;
    for (int rep = 0; rep < replicas_; ++rep) {
      for (int r = 0; r < ranks_; ++r) {
        const int gpu = rep * ranks_ + r;
        g[ep(rep, r)].push_back(gpu);
        g[dp(r)].push_back(gpu);
        g[tp(gpu)].push_back(gpu);
      }
    }
    return g;
  }

 private:
  int ranks_, replicas_, group_;
};

// Tag of the transfer that releases op `to_index` of a rank from rank `from_rank`: unique per
// (sender, receiver) pair, computed alike on both sides.
std::uint32_t transfer_tag(int to_index, int from_rank, int ranks) {
  return static_cast<std::uint32_t>(to_index) * static_cast<std::uint32_t>(ranks) +
         static_cast<std::uint32_t>(from_rank);
}

}  // namespace

std::map<int, std::vector<int>> build_execution_graph(const Schedule& s, const PipelineProgram& p,
                                                      int replicas, int collective_group,
                                                      const GraphGpuSink& on_gpu) {
  if (static_cast<int>(p.stages.size()) != s.stages) {
    throw PlanError("execution graph: program has " + std::to_string(p.stages.size()) +
                    " stages but the schedule has " + std::to_string(s.stages));
  }
  if (replicas < 1 || collective_group < 1 || replicas % collective_group != 0) {
    throw PlanError("execution graph: collective group (" + std::to_string(collective_group) +
                    ") must divide the replicas (" + std::to_string(replicas) + ")");
  }
  const int ranks = s.ranks;
  const DependencyGraph deps = build_dependencies(s);
  std::vector<std::vector<std::vector<CrossEdge>>> in(static_cast<std::size_t>(ranks));
  std::vector<std::vector<std::vector<CrossEdge>>> out(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    in[r].resize(s.ops[r].size());
    out[r].resize(s.ops[r].size());
  }
  for (int r = 0; r < ranks; ++r) {
    for (std::size_t i = 0; i < s.ops[r].size(); ++i) {
      for (std::size_t k = 0; k < deps.preds[r][i].size(); ++k) {
        const OpRef& pr = deps.preds[r][i][k];
        const OpRef me{r, static_cast<int>(i)};
        const Edge e = classify_edge(s.ops[pr.rank][pr.index], pr, s.ops[r][i], me, p,
                                     deps.feeds_backward[r][i][k]);
        // Ops of one rank run one after another: an edge inside a rank is implied.
        if (pr.rank == r) continue;
        const CrossEdge c{pr.rank, pr.index, r, static_cast<int>(i), e};
        in[r][i].push_back(c);
        out[pr.rank][pr.index].push_back(c);
      }
    }
  }
  const auto last_w = last_weight_gradient_ops(s);
  const auto triggers = dp_triggers(p);
  std::unordered_map<std::uint64_t, TaskTemplate> templates;
  const auto task_template = [&](const ScheduleOp& op) -> const TaskTemplate& {
    auto [it, fresh] = templates.try_emplace(template_key(op));
    if (fresh) build_task_template(op, p, it->second);
    return it->second;
  };
  const auto transfer_bytes = [&](const Edge& e) {
    if (e.delay.value() == 0) return Bytes(0);
    return wire_bytes(e.from_part == PartKind::kForward ? p.network.pp_forward
                                                        : p.network.pp_backward);
  };

  // One end of a pipeline transfer, on the network lane. Both ends carry the edge's bytes and
  // the same tag (the receiving op, the sending rank), which is how a replay pairs them.
  const auto transfer_end = [&](GraphNodeKind kind, std::string name, const CrossEdge& c,
                                int peer_gpu) {
    GraphNode n;
    n.name = std::move(name);
    n.kind = kind;
    n.lane = GraphLane::kNetwork;
    n.cls = WorkClass::kPpComm;
    n.bytes = transfer_bytes(c.edge);
    n.peer = peer_gpu;
    n.tag = transfer_tag(c.to_index, c.from_rank, ranks);
    return n;
  };

  const Groups groups(ranks, replicas, collective_group);
  for (int rep = 0; rep < replicas; ++rep) {
    for (int r = 0; r < ranks; ++r) {
      const int gpu = rep * ranks + r;
      std::vector<GraphNode> nodes;
      const auto add = [&nodes](GraphNode n) {
        n.id = nodes.size();
        nodes.push_back(std::move(n));
        return nodes.back().id;
      };
      std::vector<std::uint64_t> prev_sinks;
      std::int64_t dp_last = -1;
      // A gradient bucket's reduce-scatter after `deps`, one after another on the network lane.
      const auto dp_bucket = [&](int stage, int slot, std::vector<std::uint64_t> after) {
        const ChunkProgram& c = p.stages[static_cast<std::size_t>(stage)];
        GraphNode n;
        n.name = "gradient reduce-scatter stage " + std::to_string(stage) + " block " +
                 std::to_string(slot);
        n.kind = GraphNodeKind::kCollective;
        n.lane = GraphLane::kNetwork;
        n.cls = WorkClass::kDpComm;
        n.collective = CollectiveKind::kReduceScatter;
        n.group = groups.dp(r);
        n.duration = c.dp_sync_time[static_cast<std::size_t>(slot)];
        n.bytes = wire_bytes(c.dp_sync[static_cast<std::size_t>(slot)]);
        n.deps = std::move(after);
        if (dp_last >= 0) n.deps.push_back(static_cast<std::uint64_t>(dp_last));
        dp_last = static_cast<std::int64_t>(add(std::move(n)));
      };
      // Without overlap_grad_reduce: the buckets made final, started after the rank's last op.
      std::vector<std::pair<int, int>> dp_pending;
      for (std::size_t i = 0; i < s.ops[r].size(); ++i) {
        const ScheduleOp& op = s.ops[r][i];
        const std::string label = format_op(op);
        std::vector<std::uint64_t> entry = prev_sinks;
        for (const CrossEdge& c : in[r][i]) {
          entry.push_back(add(transfer_end(
              GraphNodeKind::kRecv, "recv " + label + " from rank " + std::to_string(c.from_rank),
              c, rep * ranks + c.from_rank)));
        }
        const TaskTemplate& t = task_template(op);
        std::vector<std::uint64_t> sinks;
        if (t.tasks.empty()) {
          GraphNode n;
          n.name = label;
          n.deps = entry;
          sinks.push_back(add(std::move(n)));
        } else {
          const std::uint64_t base = nodes.size();
          std::vector<std::vector<std::uint64_t>> preds(t.tasks.size());
          for (std::size_t k = 0; k < t.tasks.size(); ++k) {
            for (int succ : t.tasks[k].succ) {
              if (succ >= 0) preds[static_cast<std::size_t>(succ)].push_back(base + k);
            }
          }
          // A lane is a stream: its tasks start in issue order.
          for (const auto& order : t.order) {
            for (std::size_t j = 1; j < order.size(); ++j) {
              auto& d = preds[static_cast<std::size_t>(order[j])];
              const std::uint64_t before = base + static_cast<std::uint64_t>(order[j - 1]);
              if (std::find(d.begin(), d.end(), before) == d.end()) d.push_back(before);
            }
          }
          for (std::size_t k = 0; k < t.tasks.size(); ++k) {
            const Task& task = t.tasks[k];
            const SubOp& so = *task.op;
            GraphNode n;
            n.name = label + " " + so.name;
            n.lane = so.lane == Lane::kComm ? GraphLane::kComm : GraphLane::kCompute;
            n.cls = so.cls;
            n.duration = so.duration;
            n.flops = so.flops;
            n.deps = std::move(preds[k]);
            if (n.deps.empty()) n.deps = entry;
            if (so.cls == WorkClass::kEpComm) {
              n.kind = GraphNodeKind::kCollective;
              n.collective = CollectiveKind::kAllToAll;
              n.group = groups.ep(rep, r);
              n.bytes = wire_bytes(so.traffic);
            } else if (so.cls != WorkClass::kCompute) {
              n.kind = GraphNodeKind::kCollective;
              n.collective = CollectiveKind::kAllReduce;
              n.group = groups.tp(gpu);
              n.bytes = wire_bytes(so.traffic);
            }
            add(std::move(n));
            if (task.succ[0] < 0 && task.succ[1] < 0) sinks.push_back(base + k);
          }
          // Gradient buckets this op makes final, in the order their weight gradients finish
          // (issue order on the lane).
          const int stage = backward_part(op).stage;
          const auto last = last_w[static_cast<std::size_t>(r)].find(stage);
          const bool last_wgrad = op.type != OpType::kF && op.type != OpType::kBi &&
                                  last != last_w[static_cast<std::size_t>(r)].end() &&
                                  last->second == static_cast<int>(i);
          // Only the rank's last op with its stage's weight gradients makes buckets final.
          if (last_wgrad) {
            for (const auto& order : t.order) {
              for (int k : order) {
                const Task& task = t.tasks[static_cast<std::size_t>(k)];
                const auto trig = triggers.find(task.op);
                if (task.part != PartKind::kBackward || trig == triggers.end()) continue;
                for (int slot : trig->second) {
                  if (p.overlap_grad_reduce) {
                    dp_bucket(stage, slot, {base + static_cast<std::uint64_t>(k)});
                  } else {
                    dp_pending.emplace_back(stage, slot);
                  }
                }
              }
            }
          }
        }
        for (const CrossEdge& c : out[r][i]) {
          // c.from_rank is r: the tag is the one the receiving rank computes.
          GraphNode n = transfer_end(GraphNodeKind::kSend,
                                     "send " + label + " to rank " + std::to_string(c.to_rank), c,
                                     rep * ranks + c.to_rank);
          n.duration = c.edge.delay;
          n.deps = sinks;
          add(std::move(n));
        }
        prev_sinks = std::move(sinks);
      }
      for (const auto& [stage, slot] : dp_pending) dp_bucket(stage, slot, prev_sinks);
      on_gpu(gpu, std::move(nodes));
    }
  }
  return groups.all();
}

ExecutionGraph build_execution_graph(const Schedule& s, const PipelineProgram& p, int replicas,
                                     int collective_group) {
  ExecutionGraph g;
  g.groups = build_execution_graph(s, p, replicas, collective_group,
                                   [&g](int, std::vector<GraphNode>&& nodes) {
                                     g.gpus.push_back(std::move(nodes));  // GPUs in order
                                   });
  return g;
}

}  // namespace hopsim::sim
