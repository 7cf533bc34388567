#include "hopsim/sim/runner/pipeline_executor.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>
#include <unordered_map>

#include "hopsim/core/error.hpp"
#include "hopsim/sim/engine/engine.hpp"

namespace hopsim::sim {
namespace {

// Which part of an op a dependency edge refers to.
enum class PartKind : std::uint8_t { kForward = 0, kBackward = 1 };

struct Edge {
  OpRef to;
  PartKind from_part = PartKind::kForward;
  Nanoseconds delay{};
};

bool has_forward(const ScheduleOp& op) {
  return op.type == OpType::kF || op.type == OpType::kFB;
}
bool has_backward(const ScheduleOp& op) {
  return op.type != OpType::kF;
}
const OpPart& forward_part(const ScheduleOp& op) {
  return op.part;
}
const OpPart& backward_part(const ScheduleOp& op) {
  return op.type == OpType::kFB ? op.backward : op.part;
}
bool same_mb(const OpPart& a, const OpPart& b) {
  return a.direction == b.direction && a.micro_batch == b.micro_batch;
}

// Classifies the edge pred -> succ: which part of pred it waits on, and the transfer it implies.
Edge classify_edge(const ScheduleOp& pred, OpRef pred_ref, const ScheduleOp& succ, OpRef succ_ref,
                   const PipelineProgram& prog) {
  Edge e{succ_ref, PartKind::kBackward, Nanoseconds(0)};
  const bool cross = pred_ref.rank != succ_ref.rank;
  if (has_forward(succ) && has_forward(pred)) {
    const OpPart& q = forward_part(succ);
    const OpPart& p = forward_part(pred);
    if (same_mb(p, q) && q.stage == p.stage + 1) {
      e.from_part = PartKind::kForward;
      e.delay = cross ? prog.pp_forward_transfer : Nanoseconds(0);
      return e;
    }
  }
  if (has_backward(succ)) {
    const OpPart& q = backward_part(succ);
    if (has_forward(pred) && same_mb(forward_part(pred), q) &&
        forward_part(pred).stage == q.stage) {
      e.from_part = PartKind::kForward;  // B needs its own F: always local
      return e;
    }
    if (has_backward(pred)) {
      const OpPart& p = backward_part(pred);
      e.from_part = PartKind::kBackward;
      if (same_mb(p, q) && p.stage == q.stage + 1) {
        e.delay = cross ? prog.pp_backward_transfer : Nanoseconds(0);
      }
      return e;
    }
  }
  throw PlanError("pipeline executor: cannot classify dependency of " + format_op(succ) + " on " +
                  format_op(pred));
}

// A sequence of sub-ops run in order: up to two vectors back to back (B = Bi then W).
struct Chain {
  const std::vector<SubOp>* seg[2] = {nullptr, nullptr};
  std::size_t pos = 0;
  PartKind part = PartKind::kForward;
  OpPart op_part;
  [[nodiscard]] std::size_t size() const {
    return (seg[0] ? seg[0]->size() : 0) + (seg[1] ? seg[1]->size() : 0);
  }
  [[nodiscard]] const SubOp& at(std::size_t i) const {
    return i < seg[0]->size() ? (*seg[0])[i] : (*seg[1])[i - seg[0]->size()];
  }
};

struct LaneState {
  bool busy = false;
  std::deque<int> queue;  // chain slots waiting for this lane
  int owner = -1;         // chain slot being served
  Nanoseconds started{};
};

struct RankState {
  std::size_t cursor = 0;
  bool running = false;
  int live_chains = 0;
  Chain chains[2];
  LaneState lanes[kLaneCount];
  std::vector<int> deps_left;
  // Exposed-communication accounting: integrate over lane states.
  Nanoseconds last_change{};
  RankStats stats;
};

class Executor {
 public:
  Executor(const Schedule& s, const PipelineProgram& p, const ExecutorOptions& o)
      : s_(s), p_(p), o_(o) {
    validate();
    build_edges();
    const int ranks = s_.ranks;
    state_.resize(static_cast<std::size_t>(o_.replicas));
    for (auto& rep : state_) {
      rep.resize(static_cast<std::size_t>(ranks));
      for (int r = 0; r < ranks; ++r) rep[r].deps_left = deps_init_[r];
    }
  }

  ExecutionResult run() {
    for (int rep = 0; rep < o_.replicas; ++rep)
      for (int r = 0; r < s_.ranks; ++r) try_start(rep, r);
    engine_.run();
    ExecutionResult res;
    res.engine_events = engine_.events_processed();
    res.sub_ops_executed = sub_ops_;
    for (int rep = 0; rep < o_.replicas; ++rep) {
      for (int r = 0; r < s_.ranks; ++r) {
        const RankState& st = state_[rep][r];
        if (st.cursor != s_.ops[r].size()) {
          throw PlanError("pipeline executor: deadlock: rank " + std::to_string(r) +
                          " stopped before op " + std::to_string(st.cursor) + " (" +
                          format_op(s_.ops[r][st.cursor]) + ")");
        }
        res.makespan = std::max(res.makespan, st.stats.finish);
      }
    }
    for (int r = 0; r < s_.ranks; ++r) res.ranks.push_back(state_[0][r].stats);
    res.class_busy = class_busy_;
    return res;
  }

 private:
  void validate() const {
    if (static_cast<int>(p_.stages.size()) != s_.stages) {
      throw PlanError("pipeline executor: program has " + std::to_string(p_.stages.size()) +
                      " stages but the schedule has " + std::to_string(s_.stages));
    }
    if (o_.replicas < 1 || o_.collective_group < 1 || o_.replicas % o_.collective_group != 0) {
      throw PlanError("pipeline executor: collective group (" +
                      std::to_string(o_.collective_group) + ") must divide the replicas (" +
                      std::to_string(o_.replicas) + ")");
    }
    if (!o_.replica_compute_scale.empty() &&
        static_cast<int>(o_.replica_compute_scale.size()) != o_.replicas) {
      throw PlanError("pipeline executor: one compute scale per replica expected");
    }
  }

  void build_edges() {
    const DependencyGraph g = build_dependencies(s_);
    succ_.resize(static_cast<std::size_t>(s_.ranks));
    deps_init_.resize(static_cast<std::size_t>(s_.ranks));
    for (int r = 0; r < s_.ranks; ++r) {
      succ_[r].resize(s_.ops[r].size());
      deps_init_[r].assign(s_.ops[r].size(), 0);
    }
    for (int r = 0; r < s_.ranks; ++r) {
      for (std::size_t i = 0; i < s_.ops[r].size(); ++i) {
        for (const OpRef& pr : g.preds[r][i]) {
          const OpRef me{r, static_cast<int>(i)};
          succ_[pr.rank][pr.index].push_back(
              classify_edge(s_.ops[pr.rank][pr.index], pr, s_.ops[r][i], me, p_));
          ++deps_init_[r][i];
        }
      }
    }
  }

  void account(RankState& st) {
    const Nanoseconds now = engine_.now();
    const Nanoseconds dt = now - st.last_change;
    if (st.lanes[1].busy && !st.lanes[0].busy) st.stats.exposed_comm += dt;
    st.last_change = now;
  }

  void try_start(int rep, int r) {
    RankState& st = state_[rep][r];
    if (st.running || st.cursor >= s_.ops[r].size() || st.deps_left[st.cursor] > 0) return;
    const ScheduleOp& op = s_.ops[r][st.cursor];
    st.running = true;
    st.live_chains = 0;
    auto add = [&](const std::vector<SubOp>* a, const std::vector<SubOp>* b, PartKind k,
                   const OpPart& part) {
      Chain& c = st.chains[st.live_chains];
      c.seg[0] = a;
      c.seg[1] = b;
      c.pos = 0;
      c.part = k;
      c.op_part = part;
      ++st.live_chains;
    };
    const auto& prog = [&](const OpPart& part) -> const ChunkProgram& {
      return p_.stages[static_cast<std::size_t>(part.stage)];
    };
    switch (op.type) {
      case OpType::kF:
        add(&prog(op.part).forward, nullptr, PartKind::kForward, op.part);
        break;
      case OpType::kB:
        add(&prog(op.part).backward_input, &prog(op.part).backward_weight, PartKind::kBackward,
            op.part);
        break;
      case OpType::kBi:
        add(&prog(op.part).backward_input, nullptr, PartKind::kBackward, op.part);
        break;
      case OpType::kW:
        add(&prog(op.part).backward_weight, nullptr, PartKind::kBackward, op.part);
        break;
      case OpType::kFB:
        add(&prog(op.part).forward, nullptr, PartKind::kForward, op.part);
        add(&prog(op.backward).backward_input, &prog(op.backward).backward_weight,
            PartKind::kBackward, op.backward);
        break;
    }
    const int n = st.live_chains;
    for (int c = 0; c < n; ++c) advance(rep, r, c);
  }

  // Submits chain c's next sub-op, or finishes the chain if it has none left.
  void advance(int rep, int r, int c) {
    RankState& st = state_[rep][r];
    Chain& ch = st.chains[c];
    if (ch.pos >= ch.size()) {
      chain_done(rep, r, c);
      return;
    }
    const SubOp& so = ch.at(ch.pos);
    LaneState& lane = st.lanes[static_cast<int>(so.lane)];
    lane.queue.push_back(c);
    if (!lane.busy) start_next(rep, r, so.lane);
  }

  void start_next(int rep, int r, Lane l) {
    RankState& st = state_[rep][r];
    LaneState& lane = st.lanes[static_cast<int>(l)];
    if (lane.busy || lane.queue.empty()) return;
    const int c = lane.queue.front();
    lane.queue.pop_front();
    account(st);
    lane.busy = true;
    lane.owner = c;
    lane.started = engine_.now();
    const SubOp& so = st.chains[c].at(st.chains[c].pos);
    if (so.collective && o_.collective_group > 1) {
      arrive(rep, r, l, c, so);
      return;
    }
    engine_.schedule_at(engine_.now() + scaled(rep, so), [this, rep, r, l] { finish(rep, r, l); });
  }

  Nanoseconds scaled(int rep, const SubOp& so) const {
    if (o_.replica_compute_scale.empty() || so.lane != Lane::kCompute) return so.duration;
    const double k = o_.replica_compute_scale[static_cast<std::size_t>(rep)];
    return Nanoseconds(
        static_cast<std::int64_t>(std::llround(static_cast<double>(so.duration.value()) * k)));
  }

  // Full mode: a collective sub-op starts when every replica of its group has reached it.
  void arrive(int rep, int r, Lane l, int c, const SubOp& so) {
    const RankState& st = state_[rep][r];
    const Chain& ch = st.chains[c];
    const int group = rep / o_.collective_group;
    // Key: (group, rank, direction, micro-batch, stage, part, position) identifies the collective.
    const std::uint64_t key =
        ((((((static_cast<std::uint64_t>(group) * 64 + static_cast<std::uint64_t>(r)) * 2 +
             static_cast<std::uint64_t>(ch.op_part.direction)) *
                4096 +
            static_cast<std::uint64_t>(ch.op_part.micro_batch)) *
               256 +
           static_cast<std::uint64_t>(ch.op_part.stage)) *
              2 +
          static_cast<std::uint64_t>(ch.part))
         << 16) +
        ch.pos;
    auto& count = rendezvous_[key];
    if (++count < o_.collective_group) return;
    rendezvous_.erase(key);
    const Nanoseconds end = engine_.now() + so.duration;
    for (int m = group * o_.collective_group; m < (group + 1) * o_.collective_group; ++m) {
      engine_.schedule_at(end, [this, m, r, l] { finish(m, r, l); });
    }
  }

  void finish(int rep, int r, Lane l) {
    RankState& st = state_[rep][r];
    LaneState& lane = st.lanes[static_cast<int>(l)];
    // The chain being served is the one whose current sub-op is on this lane and started.
    const int c = lane_owner(st, l);
    Chain& ch = st.chains[c];
    const SubOp& so = ch.at(ch.pos);
    account(st);
    lane.busy = false;
    ++sub_ops_;
    const Nanoseconds ran = l == Lane::kCompute ? scaled(rep, so) : so.duration;
    const Nanoseconds start = engine_.now() - ran;
    if (rep == 0) {
      st.stats.lane_busy[static_cast<int>(l)] += ran;
      class_busy_[static_cast<int>(so.cls)] += ran;
      st.stats.flops += so.flops;
    }
    if (o_.on_sub_op) {
      const ScheduleOp& op = s_.ops[r][st.cursor];
      o_.on_sub_op(SubOpEvent{rep, r, l, so.cls, &so, ch.op_part, op.type,
                              std::max(start, lane.started), engine_.now()});
    }
    lane.owner = -1;
    ++ch.pos;
    start_next(rep, r, l);
    advance(rep, r, c);
  }

  static int lane_owner(const RankState& st, Lane l) { return st.lanes[static_cast<int>(l)].owner; }

  // Successors are released when the whole op is done, chains of an F&B pair included: DualPipe
  // batches a pair's sends and waits for them at the next compute point (DualPipe comm.py).
  void chain_done(int rep, int r, int /*c*/) {
    RankState& st = state_[rep][r];
    if (--st.live_chains > 0) return;
    const std::size_t i = st.cursor;
    const Nanoseconds now = engine_.now();
    st.running = false;
    st.stats.finish = now;
    ++st.cursor;
    for (const Edge& e : succ_[r][i]) {
      const int to_rank = e.to.rank;
      const int to_index = e.to.index;
      if (e.delay.value() == 0) {
        release(rep, to_rank, to_index);
      } else {
        if (rep == 0 && o_.on_transfer) {
          o_.on_transfer(
              TransferEvent{r, to_rank, e.from_part == PartKind::kForward, now, now + e.delay});
        }
        engine_.schedule_at(now + e.delay,
                            [this, rep, to_rank, to_index] { release(rep, to_rank, to_index); });
      }
    }
    try_start(rep, r);
  }

  void release(int rep, int r, int index) {
    RankState& st = state_[rep][r];
    if (--st.deps_left[static_cast<std::size_t>(index)] == 0 &&
        static_cast<std::size_t>(index) == st.cursor) {
      try_start(rep, r);
    }
  }

  const Schedule& s_;
  const PipelineProgram& p_;
  const ExecutorOptions& o_;
  Engine engine_;
  std::vector<std::vector<std::vector<Edge>>> succ_;
  std::vector<std::vector<int>> deps_init_;
  std::vector<std::vector<RankState>> state_;
  std::unordered_map<std::uint64_t, int> rendezvous_;
  std::array<Nanoseconds, kWorkClassCount> class_busy_{};
  std::uint64_t sub_ops_ = 0;
};

}  // namespace

ExecutionResult execute_pipeline(const Schedule& schedule, const PipelineProgram& program,
                                 const ExecutorOptions& options) {
  Executor ex(schedule, program, options);
  return ex.run();
}

}  // namespace hopsim::sim
