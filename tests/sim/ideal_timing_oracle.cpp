#include "ideal_timing_oracle.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "hopsim/core/error.hpp"
#include "hopsim/sim/engine/engine.hpp"

namespace hopsim::sim {
namespace {

Nanoseconds duration_of(const ScheduleOp& op, const OpDurations& d) {
  switch (op.type) {
    case OpType::kF:
      return d.f;
    case OpType::kB:
      return d.b;
    case OpType::kBi:
      return d.bi();
    case OpType::kW:
      return d.w;
    case OpType::kFB:
      return d.fb;
  }
  return Nanoseconds{0};
}

// Runs the schedule on the event engine. Each op keeps a count of unfinished predecessors; a
// rank starts its next op when it is free and that count is zero, and an op's completion event
// releases its successors. State lives in this per-call object, which the callbacks point to.
class IdealRun {
 public:
  IdealRun(const Schedule& s, const OpDurations& d) : s_(s), d_(d) {
    const std::size_t ranks = s.ops.size();
    DependencyGraph g = build_dependencies(s);
    missing_.resize(ranks);
    succs_.resize(ranks);
    for (std::size_t r = 0; r < ranks; ++r) {
      missing_[r].assign(s.ops[r].size(), 0);
      succs_[r].resize(s.ops[r].size());
    }
    for (std::size_t r = 0; r < ranks; ++r) {
      for (std::size_t i = 0; i < s.ops[r].size(); ++i) {
        missing_[r][i] = static_cast<int>(g.preds[r][i].size());
        for (const OpRef& p : g.preds[r][i]) {
          succs_[static_cast<std::size_t>(p.rank)][static_cast<std::size_t>(p.index)].push_back(
              OpRef{static_cast<int>(r), static_cast<int>(i)});
        }
      }
    }
    next_.assign(ranks, 0);
    running_.assign(ranks, false);
    t_.busy.assign(ranks, Nanoseconds{0});
    t_.start.resize(ranks);
    t_.finish.resize(ranks);
    for (std::size_t r = 0; r < ranks; ++r) {
      t_.start[r].assign(s.ops[r].size(), Nanoseconds{-1});
      t_.finish[r].assign(s.ops[r].size(), Nanoseconds{-1});
    }
  }

  IdealTiming run() {
    for (std::size_t r = 0; r < s_.ops.size(); ++r) try_start(r);
    engine_.run();
    std::string where;
    for (std::size_t r = 0; r < s_.ops.size(); ++r) {
      if (next_[r] < s_.ops[r].size()) {
        where += " rank " + std::to_string(r) + " at " + format_op(s_.ops[r][next_[r]]) + ";";
      }
    }
    if (!where.empty())
      throw PlanError(std::string(to_string(s_.kind)) + " schedule deadlocks:" + where);
    t_.makespan = engine_.now();
    const Nanoseconds max_busy =
        t_.busy.empty() ? Nanoseconds{0} : *std::max_element(t_.busy.begin(), t_.busy.end());
    t_.bubble = t_.makespan - max_busy;
    return std::move(t_);
  }

 private:
  void try_start(std::size_t r) {
    const std::size_t i = next_[r];
    if (running_[r] || i >= s_.ops[r].size() || missing_[r][i] > 0) return;
    running_[r] = true;
    const Nanoseconds dur = duration_of(s_.ops[r][i], d_);
    t_.start[r][i] = engine_.now();
    t_.busy[r] += dur;
    engine_.schedule_after(dur, [this, r, i] { finish(r, i); });
  }

  void finish(std::size_t r, std::size_t i) {
    t_.finish[r][i] = engine_.now();
    running_[r] = false;
    ++next_[r];
    for (const OpRef& succ : succs_[r][i]) {
      const auto sr = static_cast<std::size_t>(succ.rank);
      if (--missing_[sr][static_cast<std::size_t>(succ.index)] == 0 && sr != r) try_start(sr);
    }
    try_start(r);
  }

  const Schedule& s_;
  const OpDurations& d_;
  Engine engine_;
  std::vector<std::vector<int>> missing_;
  std::vector<std::vector<std::vector<OpRef>>> succs_;
  std::vector<std::size_t> next_;
  std::vector<bool> running_;
  IdealTiming t_;
};

}  // namespace

IdealTiming simulate_ideal(const Schedule& s, const OpDurations& d) {
  return IdealRun(s, d).run();
}

}  // namespace hopsim::sim
