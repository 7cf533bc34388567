#pragma once
// The tasks of a schedule op (its sub-ops with their dependencies inside the op, per lane in
// issue order) and the edges between ops: shared by the executor and the execution-graph export.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <unordered_map>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"
#include "hopsim/sim/schedule/schedule.hpp"

namespace hopsim::sim::detail {

// Which part of an op a dependency edge refers to.
enum class PartKind : std::uint8_t { kForward = 0, kBackward = 1 };

struct Edge {
  OpRef to;
  PartKind from_part = PartKind::kForward;
  Nanoseconds delay{};
};

inline bool has_forward(const ScheduleOp& op) {
  return op.type == OpType::kF || op.type == OpType::kFB;
}
inline bool has_backward(const ScheduleOp& op) {
  return op.type != OpType::kF;
}
inline const OpPart& forward_part(const ScheduleOp& op) {
  return op.part;
}
inline const OpPart& backward_part(const ScheduleOp& op) {
  return op.type == OpType::kFB ? op.backward : op.part;
}
inline bool same_mb(const OpPart& a, const OpPart& b) {
  return a.direction == b.direction && a.micro_batch == b.micro_batch;
}

// Classifies the edge pred -> succ: which part of pred it waits on, and the transfer it implies.
// `feeds_backward` says which part of succ the dependency is for (DependencyGraph): an F&B pair
// can wait on the same neighbouring pair twice, for its activations and for its gradients, and
// only this tells the two edges apart.
inline Edge classify_edge(const ScheduleOp& pred, OpRef pred_ref, const ScheduleOp& succ,
                          OpRef succ_ref, const PipelineProgram& prog, bool feeds_backward) {
  Edge e{succ_ref, PartKind::kBackward, Nanoseconds(0)};
  const bool cross = pred_ref.rank != succ_ref.rank;
  if (!feeds_backward && has_forward(succ) && has_forward(pred)) {
    const OpPart& q = forward_part(succ);
    const OpPart& p = forward_part(pred);
    if (same_mb(p, q) && q.stage == p.stage + 1) {
      e.from_part = PartKind::kForward;
      e.delay = cross ? prog.pp_forward_transfer : Nanoseconds(0);
      return e;
    }
  }
  if (feeds_backward && has_backward(succ)) {
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

// One sub-op of the op a rank is running, with its dependencies inside that op. Each lane is a
// stream: its tasks start in issue order, each once the lane is free and its predecessors are
// done (CUDA stream semantics, with cross-stream events as dependencies).
struct Task {
  const SubOp* op = nullptr;
  PartKind part = PartKind::kForward;
  int deps = 0;
  std::array<int, 2> succ{-1, -1};
  bool dp_trigger = false;  // finishing it may make gradient buckets final (see dp_trigger_)
};

// The tasks of one kind of op (type and stages); identical for every rank and replica that runs
// it, so it is built once.
struct TaskTemplate {
  std::vector<Task> tasks;
  std::array<std::vector<int>, kLaneCount> order;  // task indices per lane, in issue order
};

// Builds the tasks of one schedule op. F, B, Bi and W are chains. An F&B pair interleaves the
// forward chunk's layers with the backward chunk's in the order DeepSeek published for DualPipe
// (DeepSeek-V3 §3.2.1 Figure 4; deepseek-ai/profile-data): combine(B), attn(F), mlp(B),
// dispatch(F), dispatch(B), mlp(W), mlp(F), attn(B), attn(W), combine(F), so that the weight
// gradients run beside dispatch(B) and combine(F). Megatron-Core's pairs run the same per-stream
// order (NVIDIA/Megatron-LM megatron/core/models/common/model_chunk_schedule_plan.py).
class TaskBuilder {
 public:
  explicit TaskBuilder(std::vector<Task>& out) : out_(out) { out_.clear(); }

  void chain(const std::vector<SubOp>& ops, PartKind part) {
    for (const SubOp& so : ops) prev_ = add(so, part, prev_);
  }

  // Only transformer layers and MTP modules pair, forward layer i with the backward chunk's i-th
  // (its last layer first), as Megatron-Core's TransformerModelChunkSchedulePlan.run does: the
  // embedding's forward and the output head's backward run alone first, the layers one chunk has
  // more than the other alone after the pairs (backward first), then the head's forward and the
  // embedding's backward.
  void pair(const ChunkProgram& f, const ChunkProgram& b) {
    const Split fs = split(by_slot(f.forward), f, false);
    const Split bs = split(by_slot(b.backward_input), b, true);
    const auto ws = by_slot(b.backward_weight);
    int prev_f = -1, prev_b = -1;
    auto alone = [&](const std::vector<Slot>& slots, PartKind part, int& prev) {
      for (const Slot& sl : slots) {
        for (const SubOp* so : sl.ops) prev = add(*so, part, prev);
      }
    };
    alone(fs.before, PartKind::kForward, prev_f);
    alone(bs.before, PartKind::kBackward, prev_b);
    const std::size_t pairs = std::min(fs.layers.size(), bs.layers.size());
    for (std::size_t i = 0; i < pairs; ++i) {
      const Slot& F = fs.layers[i];
      const Slot& B = bs.layers[i];
      const Slot* W = find_slot(ws, B.slot);
      int b_mlp = -1, b_attn = -1;
      auto fwd = [&](std::initializer_list<Component> cs) {
        for (const SubOp* so : F.pick(cs)) prev_f = add(*so, PartKind::kForward, prev_f);
      };
      auto bwd = [&](std::initializer_list<Component> cs, int* last) {
        for (const SubOp* so : B.pick(cs)) prev_b = add(*so, PartKind::kBackward, prev_b);
        if (last != nullptr) *last = prev_b;
      };
      auto wgt = [&](Component c, int after) {
        if (W == nullptr) return;
        for (const SubOp* so : W->pick({c})) add(*so, PartKind::kBackward, after);
      };
      bwd({Component::kNotifyCombine, Component::kCombine}, nullptr);
      fwd({Component::kAttention});
      bwd({Component::kMlp}, &b_mlp);
      fwd({Component::kNotifyDispatch, Component::kDispatch});
      bwd({Component::kNotifyDispatch, Component::kDispatch}, nullptr);
      wgt(Component::kMlp, b_mlp);
      fwd({Component::kMlp});
      bwd({Component::kAttention}, &b_attn);
      wgt(Component::kAttention, b_attn);
      fwd({Component::kNotifyCombine, Component::kCombine});
    }
    // Unpaired layers (chunks of different depth) run as chains after the pairs.
    alone({bs.layers.begin() + static_cast<std::ptrdiff_t>(pairs), bs.layers.end()},
          PartKind::kBackward, prev_b);
    alone({fs.layers.begin() + static_cast<std::ptrdiff_t>(pairs), fs.layers.end()},
          PartKind::kForward, prev_f);
    alone(fs.after, PartKind::kForward, prev_f);
    alone(bs.after, PartKind::kBackward, prev_b);
    // Weight gradients of unpaired layers, and any sub-op the pairing did not place, in order.
    for (const SubOp& so : b.backward_weight) {
      if (!placed(&so)) prev_b = add(so, PartKind::kBackward, prev_b);
    }
    // Every sub-op of both chunks exactly once: a component the pairing does not pick would
    // otherwise vanish from the step.
    const std::size_t all = f.forward.size() + b.backward_input.size() + b.backward_weight.size();
    if (out_.size() != all) {
      throw PlanError("pipeline executor: an F&B pair placed " + std::to_string(out_.size()) +
                      " of its " + std::to_string(all) + " sub-ops");
    }
  }

 private:
  struct Slot;
  // A chunk's slots in execution order, split around its layers: for a forward the embedding
  // before them and the head after; for a backward (slots in reverse) the head before and the
  // embedding after.
  struct Split {
    std::vector<Slot> before, layers, after;
  };
  static Split split(const std::vector<Slot>& slots, const ChunkProgram& c, bool backward) {
    Split out;
    for (const Slot& sl : slots) {
      const bool low = sl.slot < c.layer_slots_begin;
      const bool high = sl.slot >= c.layer_slots_end;
      if (!low && !high) {
        out.layers.push_back(sl);
      } else if (low != backward) {
        out.before.push_back(sl);
      } else {
        out.after.push_back(sl);
      }
    }
    return out;
  }

  struct Slot {
    int slot = 0;
    std::vector<const SubOp*> ops;
    [[nodiscard]] std::vector<const SubOp*> pick(std::initializer_list<Component> cs) const {
      std::vector<const SubOp*> v;
      for (Component c : cs) {
        for (const SubOp* so : ops) {
          if (so->component == c) v.push_back(so);
        }
      }
      return v;
    }
  };

  static std::vector<Slot> by_slot(const std::vector<SubOp>& ops) {
    std::vector<Slot> v;
    for (const SubOp& so : ops) {
      if (v.empty() || v.back().slot != so.slot) v.push_back(Slot{so.slot, {}});
      v.back().ops.push_back(&so);
    }
    return v;
  }
  static const Slot* find_slot(const std::vector<Slot>& v, int slot) {
    for (const Slot& s : v) {
      if (s.slot == slot) return &s;
    }
    return nullptr;
  }
  [[nodiscard]] bool placed(const SubOp* so) const {
    for (const Task& t : out_) {
      if (t.op == so) return true;
    }
    return false;
  }

  int add(const SubOp& so, PartKind part, int after) {
    Task t;
    t.op = &so;
    t.part = part;
    const int id = static_cast<int>(out_.size());
    if (after >= 0) {
      ++t.deps;
      Task& a = out_[static_cast<std::size_t>(after)];
      if (a.succ[1] >= 0) throw PlanError("pipeline executor: a sub-op has over two successors");
      (a.succ[0] < 0 ? a.succ[0] : a.succ[1]) = id;
    }
    out_.push_back(t);
    return id;
  }

  std::vector<Task>& out_;
  int prev_ = -1;
};

//! Ops of one kind (type and stages) have identical tasks: the key their template is kept under.
inline std::uint64_t template_key(const ScheduleOp& op) {
  const int second = op.type == OpType::kFB ? op.backward.stage : -1;
  return (static_cast<std::uint64_t>(op.type) << 40) |
         (static_cast<std::uint64_t>(op.part.stage) << 20) | static_cast<std::uint64_t>(second + 1);
}

//! Builds the tasks of one schedule op into `out` (F, B, Bi and W as chains; F&B as a pair).
inline void build_task_template(const ScheduleOp& op, const PipelineProgram& p, TaskTemplate& t) {
  const auto& prog = [&](int stage) -> const ChunkProgram& {
    return p.stages[static_cast<std::size_t>(stage)];
  };
  TaskBuilder b(t.tasks);
  switch (op.type) {
    case OpType::kF:
      b.chain(prog(op.part.stage).forward, PartKind::kForward);
      break;
    case OpType::kB:
      b.chain(prog(op.part.stage).backward_input, PartKind::kBackward);
      b.chain(prog(op.part.stage).backward_weight, PartKind::kBackward);
      break;
    case OpType::kBi:
      b.chain(prog(op.part.stage).backward_input, PartKind::kBackward);
      break;
    case OpType::kW:
      b.chain(prog(op.part.stage).backward_weight, PartKind::kBackward);
      break;
    case OpType::kFB:
      b.pair(prog(op.part.stage), prog(op.backward.stage));
      break;
  }
  for (std::size_t i = 0; i < t.tasks.size(); ++i) {
    t.order[static_cast<std::size_t>(t.tasks[i].op->lane)].push_back(static_cast<int>(i));
  }
}

//! Per rank: the index of its last op with weight gradients of each stage (stage -> op index).
//! A stage's gradients are final for the step once that op has run them.
inline std::vector<std::unordered_map<int, int>> last_weight_gradient_ops(const Schedule& s) {
  std::vector<std::unordered_map<int, int>> last(static_cast<std::size_t>(s.ranks));
  for (int r = 0; r < s.ranks; ++r) {
    for (std::size_t i = 0; i < s.ops[static_cast<std::size_t>(r)].size(); ++i) {
      const ScheduleOp& op = s.ops[static_cast<std::size_t>(r)][i];
      if (op.type == OpType::kF || op.type == OpType::kBi) continue;
      last[static_cast<std::size_t>(r)][backward_part(op).stage] = static_cast<int>(i);
    }
  }
  return last;
}

//! Gradient sync, bucketed per block: each weight-gradient sub-op that makes blocks' gradients
//! final, with those blocks (slots). A block without weight-gradient sub-ops joins the stage's
//! last one.
inline std::unordered_map<const SubOp*, std::vector<int>> dp_triggers(const PipelineProgram& p) {
  std::unordered_map<const SubOp*, std::vector<int>> triggers;
  for (const ChunkProgram& c : p.stages) {
    const auto& w = c.backward_weight;
    const int slots = static_cast<int>(c.dp_sync.size());
    for (int slot = 0; slot < slots; ++slot) {
      if (c.dp_sync[static_cast<std::size_t>(slot)].empty() &&
          c.dp_sync_time[static_cast<std::size_t>(slot)].value() == 0) {
        continue;
      }
      const SubOp* last = nullptr;
      for (const SubOp& so : w) {
        if (so.slot == slot) last = &so;
      }
      if (last == nullptr && !w.empty()) last = &w.back();  // vector order: the stage's last
      if (last != nullptr) triggers[last].push_back(slot);
    }
  }
  return triggers;
}

}  // namespace hopsim::sim::detail
