// Replays an ExecutionGraph on the event engine. Independent of the pipeline executor on
// purpose: a graph exported from a schedule and replayed here must give the executor's times,
// which tests both the export and the executor's rules.

#include <algorithm>
#include <deque>
#include <map>
#include <queue>
#include <string>
#include <tuple>
#include <unordered_map>

#include "hopsim/core/error.hpp"
#include "hopsim/sim/engine/engine.hpp"
#include "hopsim/sim/runner/execution_graph.hpp"

namespace hopsim::sim {
namespace {

struct NodeState {
  int deps_left = 0;
  bool ready = false;  // dependencies ended
  bool done = false;
  bool send_done = false;  // receives: their send has ended
  Nanoseconds start{};
  Nanoseconds end{};
  std::vector<std::uint32_t> succ;
};

struct Gpu {
  std::vector<NodeState> nodes;
  std::unordered_map<std::uint64_t, std::uint32_t> index;  // node id -> position
  // Ready nodes per SM lane, smallest id first, and whether the lane is running one.
  std::array<
      std::priority_queue<std::pair<std::uint64_t, std::uint32_t>,
                          std::vector<std::pair<std::uint64_t, std::uint32_t>>, std::greater<>>,
      2>
      ready;
  std::array<bool, 2> busy{};
  std::array<Nanoseconds, 2> busy_time{};
  std::map<int, int> collectives_reached;  // group -> collectives of it reached so far
};

class Replay {
 public:
  explicit Replay(const ExecutionGraph& g) : g_(g) {
    gpus_.resize(g.gpus.size());
    for (std::size_t q = 0; q < g.gpus.size(); ++q) {
      Gpu& gpu = gpus_[q];
      const auto& nodes = g.gpus[q];
      gpu.nodes.resize(nodes.size());
      for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        if (!gpu.index.emplace(nodes[i].id, i).second) {
          throw PlanError(where(q, i) + ": node id used twice");
        }
      }
      for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        for (std::uint64_t d : nodes[i].deps) {
          const auto it = gpu.index.find(d);
          if (it == gpu.index.end()) {
            throw PlanError(where(q, i) + ": depends on node " + std::to_string(d) +
                            ", which GPU " + std::to_string(q) + " does not have");
          }
          gpu.nodes[it->second].succ.push_back(i);
          ++gpu.nodes[i].deps_left;
        }
        const GraphNode& n = nodes[i];
        if (n.kind == GraphNodeKind::kCollective) {
          const auto grp = g.groups.find(n.group);
          if (grp == g.groups.end() ||
              !std::binary_search(grp->second.begin(), grp->second.end(), static_cast<int>(q))) {
            throw PlanError(where(q, i) + ": collective over group " + std::to_string(n.group) +
                            ", which " +
                            (grp == g.groups.end() ? "the graph does not define"
                                                   : "does not include this GPU"));
          }
        }
        if ((n.kind == GraphNodeKind::kSend || n.kind == GraphNodeKind::kRecv) &&
            (n.peer < 0 || static_cast<std::size_t>(n.peer) >= g.gpus.size())) {
          throw PlanError(where(q, i) + ": peer GPU " + std::to_string(n.peer) +
                          " is not in the graph (" + std::to_string(g.gpus.size()) + " GPUs)");
        }
      }
    }
  }

  GraphReplay run() {
    for (std::size_t q = 0; q < gpus_.size(); ++q) {
      for (std::uint32_t i = 0; i < gpus_[q].nodes.size(); ++i) {
        if (gpus_[q].nodes[i].deps_left == 0) make_ready(q, i);
      }
    }
    engine_.run();
    GraphReplay res;
    res.finish.assign(gpus_.size(), Nanoseconds(0));
    for (std::size_t q = 0; q < gpus_.size(); ++q) {
      const Gpu& gpu = gpus_[q];
      for (std::uint32_t i = 0; i < gpu.nodes.size(); ++i) {
        const NodeState& st = gpu.nodes[i];
        if (!st.done) throw PlanError(where(q, i) + ": never ran: " + why_stuck(q, i));
        res.makespan = std::max(res.makespan, st.end);
        if (g_.gpus[q][i].lane != GraphLane::kNetwork)
          res.finish[q] = std::max(res.finish[q], st.end);
        ++res.nodes;
      }
      res.busy.push_back(gpu.busy_time);
    }
    return res;
  }

 private:
  [[nodiscard]] std::string where(std::size_t q, std::uint32_t i) const {
    const GraphNode& n = g_.gpus[q][i];
    return "GPU " + std::to_string(q) + ", node " + std::to_string(n.id) + " (" + n.name + ")";
  }

  [[nodiscard]] std::string why_stuck(std::size_t q, std::uint32_t i) const {
    const NodeState& st = gpus_[q].nodes[i];
    const GraphNode& n = g_.gpus[q][i];
    if (st.deps_left > 0) {
      return std::to_string(st.deps_left) +
             " of its dependencies never ended (a cycle, or a "
             "node stuck before them)";
    }
    if (n.kind == GraphNodeKind::kRecv) {
      return "no send from GPU " + std::to_string(n.peer) + " with tag " + std::to_string(n.tag) +
             " ended";
    }
    if (n.kind == GraphNodeKind::kCollective) {
      return "not every GPU of group " + std::to_string(n.group) + " reached it";
    }
    return "its lane never became free";
  }

  void make_ready(std::size_t q, std::uint32_t i) {
    Gpu& gpu = gpus_[q];
    NodeState& st = gpu.nodes[i];
    st.ready = true;
    const GraphNode& n = g_.gpus[q][i];
    if (n.lane == GraphLane::kNetwork) {
      begin(q, i);
      return;
    }
    const auto l = static_cast<std::size_t>(n.lane);
    gpu.ready[l].emplace(n.id, i);
    start_lane(q, l);
  }

  void start_lane(std::size_t q, std::size_t l) {
    Gpu& gpu = gpus_[q];
    if (gpu.busy[l] || gpu.ready[l].empty()) return;
    const std::uint32_t i = gpu.ready[l].top().second;
    gpu.ready[l].pop();
    gpu.busy[l] = true;
    begin(q, i);
  }

  // The node holds its lane (if any) from here: a collective waits there for its group.
  void begin(std::size_t q, std::uint32_t i) {
    const GraphNode& n = g_.gpus[q][i];
    NodeState& st = gpus_[q].nodes[i];
    switch (n.kind) {
      case GraphNodeKind::kCompute:
        st.start = engine_.now();
        end_at(q, i, engine_.now() + n.duration);
        return;
      case GraphNodeKind::kSend:
        st.start = engine_.now();
        end_at(q, i, engine_.now() + n.duration);
        return;
      case GraphNodeKind::kRecv: {
        st.start = engine_.now();
        // Matched with the sends of the peer to this GPU with this tag, in order.
        auto& sent = sent_[std::make_tuple(n.peer, static_cast<int>(q), n.tag)];
        if (!sent.empty()) {
          const Nanoseconds at = sent.front();
          sent.pop_front();
          end_at(q, i, std::max(engine_.now(), at));
        } else {
          waiting_[std::make_tuple(n.peer, static_cast<int>(q), n.tag)].push_back(i);
        }
        return;
      }
      case GraphNodeKind::kCollective:
        arrive(q, i);
        return;
    }
  }

  void arrive(std::size_t q, std::uint32_t i) {
    const GraphNode& n = g_.gpus[q][i];
    const int seq = gpus_[q].collectives_reached[n.group]++;
    auto& meet = meetings_[{n.group, seq}];
    meet.emplace_back(q, i);
    const std::vector<int>& members = g_.groups.at(n.group);
    if (meet.size() < members.size()) return;
    Nanoseconds longest{0};
    for (const auto& [mq, mi] : meet) longest = std::max(longest, g_.gpus[mq][mi].duration);
    for (const auto& [mq, mi] : meet) {
      gpus_[mq].nodes[mi].start = engine_.now();
      end_at(mq, mi, engine_.now() + longest);
    }
    meetings_.erase({n.group, seq});
  }

  void end_at(std::size_t q, std::uint32_t i, Nanoseconds t) {
    engine_.schedule_at(t, [this, q, i] { end(q, i); });
  }

  void end(std::size_t q, std::uint32_t i) {
    Gpu& gpu = gpus_[q];
    NodeState& st = gpu.nodes[i];
    const GraphNode& n = g_.gpus[q][i];
    st.done = true;
    st.end = engine_.now();
    if (n.kind == GraphNodeKind::kSend) {
      const auto key = std::make_tuple(static_cast<int>(q), n.peer, n.tag);
      auto& waiting = waiting_[key];
      if (!waiting.empty()) {
        const std::uint32_t r = waiting.front();
        waiting.pop_front();
        end_at(static_cast<std::size_t>(n.peer), r, engine_.now());
      } else {
        sent_[key].push_back(engine_.now());
      }
    }
    for (std::uint32_t s : st.succ) {
      if (--gpu.nodes[s].deps_left == 0) make_ready(q, s);
    }
    if (n.lane != GraphLane::kNetwork) {
      const auto l = static_cast<std::size_t>(n.lane);
      gpu.busy[l] = false;
      gpu.busy_time[l] += st.end - st.start;
      start_lane(q, l);
    }
  }

  const ExecutionGraph& g_;
  Engine engine_;
  std::vector<Gpu> gpus_;
  using Key = std::tuple<int, int, std::uint32_t>;    // sender, receiver, tag
  std::map<Key, std::deque<Nanoseconds>> sent_;       // ended sends no receive has taken yet
  std::map<Key, std::deque<std::uint32_t>> waiting_;  // receives posted before their send
  std::map<std::pair<int, int>, std::vector<std::pair<std::size_t, std::uint32_t>>> meetings_;
};

}  // namespace

GraphReplay replay_graph(const ExecutionGraph& graph) {
  Replay r(graph);
  return r.run();
}

}  // namespace hopsim::sim
