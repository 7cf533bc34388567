#include "hopsim/sim/schedule/schedule.hpp"

#include <algorithm>
#include <deque>
#include <string>

#include "hopsim/core/error.hpp"

namespace hopsim::sim {
namespace {

[[noreturn]] void reject(ScheduleKind kind, const std::string& rule, const ScheduleOptions& o) {
  throw PlanError(std::string(to_string(kind)) + " schedule: requires " + rule + " (pp=" +
                  std::to_string(o.pp) + ", micro_batches=" + std::to_string(o.micro_batches) +
                  ", virtual_stages=" + std::to_string(o.virtual_stages) + ")");
}

void validate(ScheduleKind kind, const ScheduleOptions& o) {
  if (o.pp < 1) reject(kind, "pp >= 1", o);
  if (o.micro_batches < 1) reject(kind, "micro_batches >= 1", o);
  switch (kind) {
    case ScheduleKind::k1F1B:
    case ScheduleKind::kZbH1:
      // Fewer micro-batches than stages never fills the pipe; PipeDream-flush assumes m >= pp.
      if (o.micro_batches < o.pp) reject(kind, "micro_batches >= pp", o);
      break;
    case ScheduleKind::kInterleaved1F1B:
      if (o.virtual_stages < 1) reject(kind, "virtual_stages >= 1", o);
      // Megatron-LM's interleaved schedule walks micro-batches in groups of pp per chunk.
      if (o.micro_batches % o.pp != 0) reject(kind, "micro_batches % pp == 0", o);
      break;
    case ScheduleKind::kDualPipe:
      // dualpipe.py asserts these three (deepseek-ai/DualPipe dualpipe/dualpipe.py @3da1bbea).
      if (o.pp < 2 || o.pp % 2 != 0) reject(kind, "an even pp >= 2 (pp % 2 == 0)", o);
      if (o.micro_batches % 2 != 0)
        reject(kind, "an even micro_batches (micro_batches % 2 == 0)", o);
      if (o.micro_batches < 2 * o.pp) reject(kind, "micro_batches >= 2*pp", o);
      break;
    case ScheduleKind::kDualPipeV:
      // dualpipev.py asserts only this one (deepseek-ai/DualPipe dualpipe/dualpipev.py @3da1bbea).
      if (o.micro_batches < 2 * o.pp) reject(kind, "micro_batches >= 2*pp (pp = ranks)", o);
      break;
  }
}

ScheduleOp single(OpType t, int mb, int direction, int chunk, int stage) {
  return ScheduleOp{t, OpPart{mb, direction, chunk, stage}, OpPart{}};
}

// PipeDream-flush; with split_backward, ZB-H1 (Qi et al. 2023, §3.1): the same F/B order with
// B split into Bi + W. Rank r holds back up to r W passes in the steady phase: the later ranks
// lie on the drain's critical path, so their Bi must not wait behind a W, while rank 0 has slack.
// In the cool-down, where 1F1B idles, each Bi is followed by one held-back W. This ordering gives
// exactly (pp-1)(F+B-2W) with W <= F (checked in schedule_ideal_timing_test.cpp).
std::vector<ScheduleOp> one_f_one_b_rank(int pp, int m, int r, bool split_backward) {
  std::vector<ScheduleOp> ops;
  ops.reserve(static_cast<std::size_t>(split_backward ? 3 * m : 2 * m));
  const int warmup = std::min(pp - r - 1, m);
  const int max_pending = r;
  int next_f = 0;
  int next_b = 0;
  int next_w = 0;
  auto backward = [&] {
    if (!split_backward) {
      ops.push_back(single(OpType::kB, next_b++, 0, 0, r));
      return;
    }
    ops.push_back(single(OpType::kBi, next_b++, 0, 0, r));
  };
  auto weight = [&] { ops.push_back(single(OpType::kW, next_w++, 0, 0, r)); };
  for (int i = 0; i < warmup; ++i) ops.push_back(single(OpType::kF, next_f++, 0, 0, r));
  while (next_f < m) {
    ops.push_back(single(OpType::kF, next_f++, 0, 0, r));
    backward();
    if (split_backward && next_b - next_w > max_pending) weight();
  }
  while (next_b < m) {
    backward();
    if (split_backward) weight();
  }
  if (split_backward) {
    while (next_w < m) weight();
  }
  return ops;
}

// Megatron-LM's interleaved 1F1B (forward_backward_pipelining_with_interleaving): forward k runs
// chunk (k/pp)%v of micro-batch (k/(pp*v))*pp + k%pp; backwards walk the chunks in reverse.
// With `pairs` (overlap_moe_expert_parallel_comm) the warm-up has one more forward, "to ensure
// the forward and backward computations are independent in all 1f1b steps", and steady step i
// runs forward warmup + i and backward i as one F&B pair; the cool-down's backwards run alone
// (NVIDIA/Megatron-LM megatron/core/pipeline_parallel/schedules.py: get_pp_rank_microbatches,
// forward_backward_pipelining_with_interleaving).
std::vector<ScheduleOp> interleaved_rank(int pp, int m, int v, int r, bool pairs) {
  const int total = m * v;
  const int group = pp * v;
  auto mb_of = [&](int k) { return (k / group) * pp + k % pp; };
  auto fwd = [&](int k) {
    const int c = (k / pp) % v;
    return single(OpType::kF, mb_of(k), 0, c, c * pp + r);
  };
  auto bwd = [&](int k) {
    const int c = v - 1 - (k / pp) % v;
    return single(OpType::kB, mb_of(k), 0, c, c * pp + r);
  };
  const int extra = pairs ? 1 : 0;
  // One micro-batch group per chunk runs all forwards first (Megatron-LM's schedule before the
  // pairs); the schedule with pairs has no such case.
  const int warmup =
      (m == pp && !pairs) ? total : std::min((pp - r - 1) * 2 + (v - 1) * pp + extra, total);
  std::vector<ScheduleOp> ops;
  ops.reserve(static_cast<std::size_t>(2 * total));
  for (int k = 0; k < warmup; ++k) ops.push_back(fwd(k));
  for (int i = 0; i < total - warmup; ++i) {
    if (pairs) {
      ops.push_back(ScheduleOp{OpType::kFB, fwd(warmup + i).part, bwd(i).part});
      continue;
    }
    ops.push_back(fwd(warmup + i));
    ops.push_back(bwd(i));
  }
  for (int k = total - warmup; k < total; ++k) ops.push_back(bwd(k));
  return ops;
}

// DualPipe / DualPipeV per-rank order (deepseek-ai/DualPipe @3da1bbea, dualpipe/dualpipe.py
// DualPipe.step() and dualpipe/dualpipev.py DualPipeV.step(), phases 1-8).
// The rank has two model chunks: "near" (0) and "far" (1). For DualPipe they are the two
// directions, and near is the direction in which the rank sits in the first half of the pipe; for
// DualPipeV they are the two halves of the V. Micro-batch ids count per chunk, W pops a FIFO.
struct DualRank {
  int half_ranks = 0;  // H (DualPipe: pp/2; DualPipeV: ranks)
  int half_rank = 0;   // h (DualPipe: min(r, pp-1-r); DualPipeV: r)
  int per_chunk = 0;   // micro-batches through each chunk (DualPipe: C/2; DualPipeV: C)
  OpPart proto[2];     // direction, chunk and stage of the near and far chunk
};

std::vector<ScheduleOp> dual_rank(const DualRank& d) {
  const int H = d.half_ranks;
  const int h = d.half_rank;
  std::vector<ScheduleOp> ops;
  ops.reserve(static_cast<std::size_t>(4 * d.per_chunk + 2 * H));
  int next_f[2] = {0, 0};
  int next_b[2] = {0, 0};
  std::deque<OpPart> pending_w;
  auto fpart = [&](int c) {
    OpPart p = d.proto[c];
    p.micro_batch = next_f[c]++;
    return p;
  };
  auto bpart = [&](int c) {
    OpPart p = d.proto[c];
    p.micro_batch = next_b[c]++;
    return p;
  };
  auto f = [&](int c) { ops.push_back(ScheduleOp{OpType::kF, fpart(c), {}}); };
  auto b = [&](int c, bool zero_bubble) {
    const OpPart p = bpart(c);
    ops.push_back(ScheduleOp{zero_bubble ? OpType::kBi : OpType::kB, p, {}});
    if (zero_bubble) pending_w.push_back(p);
  };
  auto w = [&] {
    ops.push_back(ScheduleOp{OpType::kW, pending_w.front(), {}});
    pending_w.pop_front();
  };
  auto fb = [&](int fc, int bc) {
    const OpPart fp = fpart(fc);
    ops.push_back(ScheduleOp{OpType::kFB, fp, bpart(bc)});
  };
  constexpr int kNear = 0;
  constexpr int kFar = 1;
  const bool middle = h == H - 1;

  for (int i = 0; i < 2 * (H - h - 1); ++i) f(kNear);  // 1: nF0
  for (int i = 0; i < h + 1; ++i) {                    // 2: nF0F1
    f(kNear);
    f(kFar);
  }
  for (int i = 0; i < H - h - 1; ++i) {  // 3: nB1W1F1, W right after its own Bi
    b(kFar, true);
    w();
    f(kFar);
  }
  const int main_steps = d.per_chunk - 2 * H + h + 1;
  for (int i = 0; i < main_steps; ++i) {  // 4: nF0B1F1B0
    if (i == 0 && middle) {
      // dualpipe.py: the middle ranks do not overlap this first pair, to shorten the bubble.
      f(kNear);
      b(kFar, false);
    } else {
      fb(kNear, kFar);
    }
    fb(kFar, kNear);
  }
  for (int i = 0; i < H - h - 1; ++i) {  // 5: nB1F1B0
    b(kFar, false);
    fb(kFar, kNear);
  }
  bool zero_bubble = false;  // 6: nB1B0, zero-bubble from iteration (h+1)/2 on
  for (int i = 0; i < h + 1; ++i) {
    if (i == (h + 1) / 2 && h % 2 == 1) zero_bubble = true;
    b(kFar, zero_bubble);
    if (i == (h + 1) / 2 && h % 2 == 0) zero_bubble = true;
    b(kNear, zero_bubble);
  }
  for (int i = 0; i < H - h - 1; ++i) {  // 7: nWB0
    w();
    b(kNear, true);
  }
  while (!pending_w.empty()) w();  // 8: nW (h+1 of them)
  return ops;
}

}  // namespace

Schedule make_schedule(ScheduleKind kind, const ScheduleOptions& opts) {
  validate(kind, opts);
  if (opts.fb_overlap && kind != ScheduleKind::kInterleaved1F1B) {
    reject(kind, "fb_overlap only with interleaved-1f1b", opts);
  }
  const int pp = opts.pp;
  const int m = opts.micro_batches;
  Schedule s;
  s.kind = kind;
  s.ranks = pp;
  s.stages = pp;
  s.directions = 1;
  s.micro_batches_per_direction = m;
  s.ops.resize(static_cast<std::size_t>(pp));
  switch (kind) {
    case ScheduleKind::k1F1B:
    case ScheduleKind::kZbH1:
      for (int r = 0; r < pp; ++r) {
        s.ops[static_cast<std::size_t>(r)] =
            one_f_one_b_rank(pp, m, r, kind == ScheduleKind::kZbH1);
      }
      break;
    case ScheduleKind::kInterleaved1F1B:
      s.stages = pp * opts.virtual_stages;
      for (int r = 0; r < pp; ++r) {
        s.ops[static_cast<std::size_t>(r)] =
            interleaved_rank(pp, m, opts.virtual_stages, r, opts.fb_overlap);
      }
      break;
    case ScheduleKind::kDualPipe:
      s.directions = 2;
      s.micro_batches_per_direction = m / 2;
      for (int r = 0; r < pp; ++r) {
        const int near = r < pp / 2 ? 0 : 1;
        const int far = 1 - near;
        auto proto = [&](int dir) { return OpPart{0, dir, dir, dir == 0 ? r : pp - 1 - r}; };
        const DualRank d{pp / 2, std::min(r, pp - 1 - r), m / 2, {proto(near), proto(far)}};
        s.ops[static_cast<std::size_t>(r)] = dual_rank(d);
      }
      break;
    case ScheduleKind::kDualPipeV:
      s.stages = 2 * pp;
      for (int r = 0; r < pp; ++r) {
        const DualRank d{pp, r, m, {OpPart{0, 0, 0, r}, OpPart{0, 0, 1, 2 * pp - 1 - r}}};
        s.ops[static_cast<std::size_t>(r)] = dual_rank(d);
      }
      break;
  }
  return s;
}

int rank_of_stage(const Schedule& s, int direction, int stage) {
  switch (s.kind) {
    case ScheduleKind::k1F1B:
    case ScheduleKind::kZbH1:
      return stage;
    case ScheduleKind::kInterleaved1F1B:
      return stage % s.ranks;
    case ScheduleKind::kDualPipe:
      return direction == 0 ? stage : s.ranks - 1 - stage;
    case ScheduleKind::kDualPipeV:
      return stage < s.ranks ? stage : 2 * s.ranks - 1 - stage;
  }
  return stage;
}

int stages_per_rank(const Schedule& s) {
  return s.stages * s.directions / s.ranks;
}

namespace {

// Flat lookup of the op that computes a given (kind of work, direction, stage, micro-batch).
class WorkIndex {
 public:
  explicit WorkIndex(const Schedule& s)
      : stages_(s.stages),
        mbs_(s.micro_batches_per_direction),
        size_(static_cast<std::size_t>(s.directions) * static_cast<std::size_t>(s.stages) *
              static_cast<std::size_t>(s.micro_batches_per_direction)) {
    for (auto& v : slots_) v.assign(size_, OpRef{-1, -1});
    for (int r = 0; r < s.ranks; ++r) {
      const auto& ops = s.ops[static_cast<std::size_t>(r)];
      for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
        const ScheduleOp& op = ops[static_cast<std::size_t>(i)];
        const OpRef ref{r, i};
        switch (op.type) {
          case OpType::kF:
            put(kFwd, op.part, ref);
            break;
          case OpType::kB:
          case OpType::kBi:
            put(kBwd, op.part, ref);
            break;
          case OpType::kW:
            put(kWgt, op.part, ref);
            break;
          case OpType::kFB:
            put(kFwd, op.part, ref);
            put(kBwd, op.backward, ref);
            break;
        }
      }
    }
  }

  static constexpr int kFwd = 0;
  static constexpr int kBwd = 1;
  static constexpr int kWgt = 2;

  [[nodiscard]] OpRef get(int what, int direction, int stage, int mb) const {
    const std::size_t k = key(direction, stage, mb);
    if (k >= size_) return OpRef{-1, -1};
    return slots_[static_cast<std::size_t>(what)][k];
  }

 private:
  [[nodiscard]] std::size_t key(int direction, int stage, int mb) const {
    if (direction < 0 || stage < 0 || stage >= stages_ || mb < 0 || mb >= mbs_) return size_;
    return (static_cast<std::size_t>(direction) * static_cast<std::size_t>(stages_) +
            static_cast<std::size_t>(stage)) *
               static_cast<std::size_t>(mbs_) +
           static_cast<std::size_t>(mb);
  }
  void put(int what, const OpPart& p, OpRef ref) {
    const std::size_t k = key(p.direction, p.stage, p.micro_batch);
    if (k >= size_) throw PlanError("schedule op refers to a stage or micro-batch out of range");
    OpRef& slot = slots_[static_cast<std::size_t>(what)][k];
    if (slot.rank >= 0) {
      throw PlanError("schedule computes the same work twice: direction " +
                      std::to_string(p.direction) + ", stage " + std::to_string(p.stage) +
                      ", micro-batch " + std::to_string(p.micro_batch));
    }
    slot = ref;
  }

  int stages_;
  int mbs_;
  std::size_t size_;
  std::vector<OpRef> slots_[3];
};

struct PredList {
  std::vector<OpRef>& refs;
  std::vector<bool>& backward;
};

void add_pred(PredList out, OpRef p, const char* what, const OpPart& part, bool backward) {
  if (p.rank < 0) {
    throw PlanError(std::string("schedule is missing the ") + what + " needed by direction " +
                    std::to_string(part.direction) + ", stage " + std::to_string(part.stage) +
                    ", micro-batch " + std::to_string(part.micro_batch));
  }
  out.refs.push_back(p);
  out.backward.push_back(backward);
}

void forward_preds(const WorkIndex& idx, const OpPart& p, PredList out) {
  if (p.stage > 0) {
    add_pred(out, idx.get(WorkIndex::kFwd, p.direction, p.stage - 1, p.micro_batch),
             "forward of the previous stage", p, false);
  }
}

void backward_preds(const WorkIndex& idx, const Schedule& s, const OpPart& p, PredList out) {
  add_pred(out, idx.get(WorkIndex::kFwd, p.direction, p.stage, p.micro_batch),
           "forward of the same stage", p, true);
  if (p.stage + 1 < s.stages) {
    add_pred(out, idx.get(WorkIndex::kBwd, p.direction, p.stage + 1, p.micro_batch),
             "backward of the next stage", p, true);
  }
}

}  // namespace

DependencyGraph build_dependencies(const Schedule& s) {
  const WorkIndex idx(s);
  DependencyGraph g;
  g.preds.resize(s.ops.size());
  g.feeds_backward.resize(s.ops.size());
  for (std::size_t r = 0; r < s.ops.size(); ++r) {
    const auto& ops = s.ops[r];
    g.preds[r].resize(ops.size());
    g.feeds_backward[r].resize(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const ScheduleOp& op = ops[i];
      const PredList out{g.preds[r][i], g.feeds_backward[r][i]};
      switch (op.type) {
        case OpType::kF:
          forward_preds(idx, op.part, out);
          break;
        case OpType::kB:
        case OpType::kBi:
          backward_preds(idx, s, op.part, out);
          break;
        case OpType::kW:
          add_pred(out,
                   idx.get(WorkIndex::kBwd, op.part.direction, op.part.stage, op.part.micro_batch),
                   "backward for the input", op.part, true);
          break;
        case OpType::kFB:
          forward_preds(idx, op.part, out);
          backward_preds(idx, s, op.backward, out);
          break;
      }
    }
  }
  return g;
}

std::vector<OpRef> dependencies(const Schedule& s, int rank, int index) {
  DependencyGraph g = build_dependencies(s);
  return std::move(g.preds.at(static_cast<std::size_t>(rank)).at(static_cast<std::size_t>(index)));
}

std::string format_op(const ScheduleOp& op) {
  auto part = [](const char* name, const OpPart& p) {
    return std::string(name) + std::to_string(p.chunk) + "." + std::to_string(p.micro_batch);
  };
  switch (op.type) {
    case OpType::kF:
      return part("F", op.part);
    case OpType::kB:
      return part("B", op.part);
    case OpType::kBi:
      return part("Bi", op.part);
    case OpType::kW:
      return part("W", op.part);
    case OpType::kFB:
      return part("F", op.part) + "&" + part("B", op.backward);
  }
  return {};
}

std::string format_rank(const Schedule& s, int rank) {
  std::string out;
  for (const ScheduleOp& op : s.ops.at(static_cast<std::size_t>(rank))) {
    if (!out.empty()) out += ' ';
    out += format_op(op);
  }
  return out;
}

std::vector<int> peak_activations(const Schedule& s) {
  std::vector<int> peak;
  peak.reserve(s.ops.size());
  for (const auto& ops : s.ops) {
    int live = 0;
    int best = 0;
    for (const ScheduleOp& op : ops) {
      switch (op.type) {
        case OpType::kF:
          best = std::max(best, ++live);
          break;
        case OpType::kB:
        case OpType::kBi:
          --live;
          break;
        case OpType::kW:
          break;
        case OpType::kFB:
          best = std::max(best, ++live);
          --live;
          break;
      }
    }
    peak.push_back(best);
  }
  return peak;
}

}  // namespace hopsim::sim
