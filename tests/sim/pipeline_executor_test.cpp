#include "hopsim/sim/runner/pipeline_executor.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "hopsim/core/error.hpp"
#include "hopsim/sim/runner/variation.hpp"
#include "ideal_timing_oracle.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {

constexpr std::int64_t kUnit = 1000;  // one time unit of the published formulas, in ns

SubOp sub_op(const char* name, Lane lane, WorkClass cls, std::int64_t units, Component c) {
  SubOp so;
  so.name = name;
  so.lane = lane;
  so.cls = cls;
  so.duration = Nanoseconds(units * kUnit);
  so.collective = cls == WorkClass::kEpComm;
  so.component = c;
  return so;
}
SubOp compute(const char* name, std::int64_t units, Component c = Component::kAttention) {
  return sub_op(name, Lane::kCompute, WorkClass::kCompute, units, c);
}
SubOp comm(const char* name, std::int64_t units, Component c) {
  return sub_op(name, Lane::kComm, WorkClass::kEpComm, units, c);
}
constexpr Component kAttn = Component::kAttention;
constexpr Component kMlp = Component::kMlp;
constexpr Component kDispatch = Component::kDispatch;
constexpr Component kCombine = Component::kCombine;

// One MoE layer per stage: attention, dispatch, MLP, combine and their backward.
ChunkProgram moe_chunk(std::int64_t compute_units, std::int64_t comm_units) {
  return ChunkProgram{
      {compute("attn", compute_units, kAttn), comm("dispatch", comm_units, kDispatch),
       compute("mlp", compute_units, kMlp), comm("combine", comm_units, kCombine)},
      {comm("combine.b", comm_units, kCombine), compute("mlp.b", compute_units, kMlp),
       comm("dispatch.b", comm_units, kDispatch), compute("attn.b", compute_units, kAttn)},
      {compute("mlp.w", compute_units, kMlp), compute("attn.w", compute_units, kAttn)},
      {},
      {}};
}

// Every stage: F = 1, B = Bi + W = 1 + 1, all on the compute lane, so an F&B pair costs 3.
PipelineProgram unit_program(int stages) {
  PipelineProgram p;
  for (int s = 0; s < stages; ++s) {
    p.stages.push_back(
        ChunkProgram{{compute("F", 1)}, {compute("Bi", 1)}, {compute("W", 1)}, {}, {}});
  }
  return p;
}

std::int64_t bubble_units(const ExecutionResult& r) {
  Nanoseconds max_busy{0};
  for (const auto& rk : r.ranks) max_busy = std::max(max_busy, rk.lane_busy[0]);
  return (r.makespan - max_busy).value() / kUnit;
}

}  // namespace

TEST_CASE("executor: bubbles measured on the engine equal the published formulas",
          "[sim][runner][schedule]") {
  // DeepSeek-V3 report Table 2 (p.13) / DualPipe README @3da1bbea, F=1, B=2, W=1, F&B=3:
  //   1F1B     (PP-1)(F+B)          ZB-H1 (PP-1)(F+B-2W)      DualPipe (PP/2-1)(F&B+B-3W)
  for (int pp : {4, 8, 16}) {
    const int mb = 2 * pp;
    const auto one = make_schedule(ScheduleKind::k1F1B, {pp, mb, 1});
    const auto zb = make_schedule(ScheduleKind::kZbH1, {pp, mb, 1});
    const auto dual = make_schedule(ScheduleKind::kDualPipe, {pp, 2 * mb, 1});
    INFO("PP = " << pp);
    CHECK(bubble_units(execute_pipeline(one, unit_program(one.stages))) == (pp - 1) * 3);
    CHECK(bubble_units(execute_pipeline(zb, unit_program(zb.stages))) == (pp - 1) * 1);
    CHECK(bubble_units(execute_pipeline(dual, unit_program(dual.stages))) ==
          (pp / 2 - 1) * (3 + 2 - 3));
  }
}

TEST_CASE("executor: agrees with the idealised schedule timing", "[sim][runner][schedule]") {
  for (auto kind : {ScheduleKind::k1F1B, ScheduleKind::kZbH1, ScheduleKind::kDualPipe,
                    ScheduleKind::kDualPipeV}) {
    const auto s = make_schedule(kind, {4, 16, 1});
    const auto ideal = simulate_ideal(s, OpDurations{Nanoseconds(kUnit), Nanoseconds(2 * kUnit),
                                                     Nanoseconds(kUnit), Nanoseconds(3 * kUnit)});
    const auto ran = execute_pipeline(s, unit_program(s.stages));
    INFO(to_string(kind));
    CHECK(ran.makespan == ideal.makespan);
  }
}

TEST_CASE("executor: gradient reduce-scatter starts after each rank's last weight gradient",
          "[sim][runner]") {
  // Hand derivation on the idealised timing (independent oracle): every stage's one block has a
  // bucket of 5 units. It starts when the rank's last op with that stage's weight gradient ends
  // (F = 1, B = Bi + W = 2: the W sub-op is the op's last), so each rank's reduce-scatter ends 5
  // units after its last backward, and the step's after the latest of those.
  for (auto kind : {ScheduleKind::k1F1B, ScheduleKind::kZbH1, ScheduleKind::kDualPipe}) {
    const auto s = make_schedule(kind, {4, 8, 1});
    PipelineProgram p = unit_program(s.stages);
    for (auto& c : p.stages) {
      c.dp_sync = {PortTraffic{1e6, 0, Nanoseconds(0)}};
      c.dp_sync_time = {Nanoseconds(5 * kUnit)};
    }
    const auto ideal = simulate_ideal(s, OpDurations{Nanoseconds(kUnit), Nanoseconds(2 * kUnit),
                                                     Nanoseconds(kUnit), Nanoseconds(3 * kUnit)});
    const auto ran = execute_pipeline(s, p);
    INFO(to_string(kind));
    Nanoseconds latest{0};
    for (int r = 0; r < s.ranks; ++r) {
      // The last op with a weight gradient, for each stage the rank holds; buckets of two
      // stages run one after the other on the fast path.
      std::vector<Nanoseconds> ends;
      std::set<int> seen;
      for (int i = static_cast<int>(s.ops[r].size()) - 1; i >= 0; --i) {
        const ScheduleOp& op = s.ops[r][static_cast<std::size_t>(i)];
        if (op.type == OpType::kF || op.type == OpType::kBi) continue;
        const int stage = op.type == OpType::kFB ? op.backward.stage : op.part.stage;
        if (seen.insert(stage).second) ends.push_back(ideal.finish[r][static_cast<std::size_t>(i)]);
      }
      std::sort(ends.begin(), ends.end());
      Nanoseconds free{0};
      for (Nanoseconds e : ends) free = std::max(free, e) + Nanoseconds(5 * kUnit);
      CHECK(ran.ranks[static_cast<std::size_t>(r)].dp_sync_end == free);
      latest = std::max(latest, free);
    }
    CHECK(ran.dp_sync_end == latest);
    CHECK(ran.makespan == ideal.makespan);  // the pipeline itself is unchanged
  }
}

TEST_CASE("executor: without overlap_grad_reduce every bucket waits for the rank's last op",
          "[sim][runner]") {
  // Hand derivation on the idealised timing: Megatron-Core without --overlap-grad-reduce runs the
  // whole reduce-scatter after the pipeline (finish_grad_sync). Each rank's buckets (5 units,
  // one per stage it holds, one after another on the fast path) start when its last op ends, so
  // the rank's sync ends at that op's end + 5 x its stages; the pipeline itself is unchanged.
  for (auto kind : {ScheduleKind::k1F1B, ScheduleKind::kDualPipe, ScheduleKind::kInterleaved1F1B}) {
    const auto s = make_schedule(kind, {4, 8, kind == ScheduleKind::kInterleaved1F1B ? 2 : 1});
    PipelineProgram p = unit_program(s.stages);
    for (auto& c : p.stages) {
      c.dp_sync = {PortTraffic{1e6, 0, Nanoseconds(0)}};
      c.dp_sync_time = {Nanoseconds(5 * kUnit)};
    }
    p.overlap_grad_reduce = false;
    const auto ideal = simulate_ideal(s, OpDurations{Nanoseconds(kUnit), Nanoseconds(2 * kUnit),
                                                     Nanoseconds(kUnit), Nanoseconds(3 * kUnit)});
    const auto ran = execute_pipeline(s, p);
    INFO(to_string(kind));
    const int held = kind == ScheduleKind::k1F1B ? 1 : 2;  // stages per rank
    Nanoseconds latest{0};
    for (int r = 0; r < s.ranks; ++r) {
      const Nanoseconds end = ideal.finish[r].back() + Nanoseconds(held * 5 * kUnit);
      CHECK(ran.ranks[static_cast<std::size_t>(r)].dp_sync_end == end);
      CHECK(ran.ranks[static_cast<std::size_t>(r)].dp_sync_start == ideal.finish[r].back());
      latest = std::max(latest, end);
    }
    CHECK(ran.dp_sync_end == latest);
    CHECK(ran.makespan == ideal.makespan);
  }
}

TEST_CASE("executor: an F&B pair hides one chunk's communication behind the other's compute",
          "[sim][runner]") {
  // One stage's chunk: attention 2, dispatch 2 (comm), MLP 2, combine 2 (comm). Alone, an F costs
  // 8 units (nothing to overlap). In DualPipe's steady state the pair's comm hides behind compute.
  PipelineProgram p;
  for (int s = 0; s < 4; ++s) p.stages.push_back(moe_chunk(2, 2));
  const auto dual = make_schedule(ScheduleKind::kDualPipe, {4, 16, 1});
  const auto one = make_schedule(ScheduleKind::k1F1B, {4, 8, 1});
  const auto rd = execute_pipeline(dual, p);
  const auto r1 = execute_pipeline(one, p);
  // Same work per micro-batch-stage; DualPipe exposes less communication per rank.
  Nanoseconds exposed_dual{0}, exposed_one{0};
  for (const auto& r : rd.ranks) exposed_dual += r.exposed_comm;
  for (const auto& r : r1.ranks) exposed_one += r.exposed_comm;
  CHECK(exposed_dual < exposed_one);
  // 1F1B never overlaps inside a micro-batch: every comm unit is exposed.
  CHECK(exposed_one == r1.class_busy[static_cast<int>(WorkClass::kEpComm)]);
}

TEST_CASE("executor: full mode equals symmetry mode on symmetric input; a straggler sets the pace",
          "[sim][runner]") {
  PipelineProgram p;
  for (int s = 0; s < 4; ++s) p.stages.push_back(moe_chunk(2, 1));
  const auto s = make_schedule(ScheduleKind::kDualPipe, {4, 8, 1});
  const auto sym = execute_pipeline(s, p);
  ExecutorOptions full;
  full.replicas = 4;
  full.collective_group = 4;
  const auto all = execute_pipeline(s, p, full);
  CHECK(all.makespan == sym.makespan);
  full.replica_compute_scale = {1.0, 1.0, 1.25, 1.0};
  const auto slow = execute_pipeline(s, p, full);
  CHECK(slow.makespan > sym.makespan);
  // The straggler's lateness reaches every replica through the collectives: replica 0 finishes
  // late.
  Nanoseconds finish0{0};
  for (const auto& r : slow.ranks) finish0 = std::max(finish0, r.finish);
  CHECK(finish0 > sym.makespan);
}

TEST_CASE("executor: mismatched program is rejected", "[sim][runner]") {
  const auto s = make_schedule(ScheduleKind::k1F1B, {4, 8, 1});
  CHECK_THROWS_AS(execute_pipeline(s, unit_program(3)), PlanError);
}

TEST_CASE("executor: a DualPipe F&B pair runs in DeepSeek's published component order",
          "[sim][runner][schedule]") {
  // DeepSeek-V3 §3.2.1 Figure 4 (and deepseek-ai/profile-data): per layer, combine(B), attn(F),
  // mlp(B), dispatch(F), dispatch(B), mlp(W), mlp(F), attn(B), attn(W), combine(F), compute and
  // communication on separate streams. The oracle is that list, split by stream.
  PipelineProgram p;
  for (int s = 0; s < 4; ++s) p.stages.push_back(moe_chunk(2, 1));
  const auto dual = make_schedule(ScheduleKind::kDualPipe, {4, 16, 1});
  std::vector<std::string> compute_order, comm_order;
  ExecutorOptions o;
  // Record the first pair of rank 0 in start order, per lane.
  std::vector<SubOpEvent> events;
  bool done = false;
  o.on_sub_op = [&](const SubOpEvent& e) {
    if (e.rank != 0 || e.type != OpType::kFB || done) return;
    events.push_back(e);
    if (events.size() == 10) done = true;
  };
  (void)execute_pipeline(dual, p, o);
  REQUIRE(events.size() == 10);
  std::stable_sort(events.begin(), events.end(),
                   [](const SubOpEvent& a, const SubOpEvent& b) { return a.start < b.start; });
  for (const auto& e : events) {
    (e.lane == Lane::kCompute ? compute_order : comm_order).push_back(e.op->name);
  }
  CHECK(compute_order ==
        std::vector<std::string>{"attn", "mlp.b", "mlp.w", "mlp", "attn.b", "attn.w"});
  CHECK(comm_order == std::vector<std::string>{"combine.b", "dispatch", "dispatch.b", "combine"});
}

TEST_CASE("executor: communication on the compute lane counts as exposed, not as compute",
          "[sim][runner]") {
  // With no SMs reserved the all-to-all runs on the compute partition: it blocks compute, so it
  // is exposed communication and not compute utilisation (1 + 1 + 1 + 1 units per F here).
  PipelineProgram p;
  ChunkProgram c{{compute("attn", 1), comm("dispatch", 1, kDispatch), compute("mlp", 1, kMlp),
                  comm("combine", 1, kCombine)},
                 {compute("b", 1)},
                 {},
                 {},
                 {}};
  for (auto& so : c.forward) so.lane = Lane::kCompute;
  p.stages.push_back(c);
  const auto s = make_schedule(ScheduleKind::k1F1B, {1, 1, 1});
  const auto r = execute_pipeline(s, p);
  REQUIRE(r.ranks.size() == 1);
  CHECK(r.ranks[0].exposed_comm.value() == 2 * kUnit);
  CHECK(r.ranks[0].compute_busy.value() == 3 * kUnit);
  CHECK(r.ranks[0].lane_busy[0].value() == 5 * kUnit);
}

TEST_CASE("executor: the compute lower bound is the idealised makespan without communication",
          "[sim][runner][schedule]") {
  // Independent oracle: the idealised timing (ideal_timing_oracle.hpp) of ops as long as their
  // compute. With communication the bound stays below the simulated step, so a search may
  // drop a plan on it without changing its answer.
  for (auto kind : {ScheduleKind::k1F1B, ScheduleKind::kZbH1, ScheduleKind::kDualPipe,
                    ScheduleKind::kDualPipeV}) {
    for (int pp : {4, 8}) {
      INFO(to_string(kind) << " PP " << pp);
      const auto s = make_schedule(kind, {pp, 4 * pp, 1});
      const auto ideal = simulate_ideal(s, OpDurations{Nanoseconds(kUnit), Nanoseconds(2 * kUnit),
                                                       Nanoseconds(kUnit), Nanoseconds(3 * kUnit)});
      CHECK(compute_lower_bound(s, unit_program(s.stages)) == ideal.makespan);

      PipelineProgram moe;
      for (int st = 0; st < s.stages; ++st) moe.stages.push_back(moe_chunk(3, 2));
      const Nanoseconds bound = compute_lower_bound(s, moe);
      const ExecutionResult ran = execute_pipeline(s, moe);
      CHECK(bound.value() > 0);
      CHECK(bound <= ran.makespan);

      // Below the bound the executor stops before simulating anything; at the makespan it runs.
      ExecutorOptions o;
      o.stop_after = Nanoseconds(bound.value() - 1);
      const ExecutionResult cut = execute_pipeline(s, moe, o);
      CHECK(cut.stopped);
      CHECK(cut.engine_events == 0);
      o.stop_after = ran.makespan;
      CHECK_FALSE(execute_pipeline(s, moe, o).stopped);
    }
  }
}

TEST_CASE("executor: no compute lower bound where variation can shorten a sub-op",
          "[sim][runner]") {
  const auto s = make_schedule(ScheduleKind::k1F1B, {4, 8, 1});
  ExecutorOptions o;
  o.kernel_time_cv = 0.05;
  CHECK(compute_lower_bound(s, unit_program(s.stages), o).value() == 0);
  o.kernel_time_cv = 0;
  o.routing_cv = 0.1;
  CHECK(compute_lower_bound(s, unit_program(s.stages), o).value() == 0);
  o.routing_cv = 0;
  o.replicas = 2;
  o.replica_compute_scale = {1.0, 0.9};
  CHECK(compute_lower_bound(s, unit_program(s.stages), o).value() == 0);
  o.replica_compute_scale = {1.0, 1.2};
  CHECK(compute_lower_bound(s, unit_program(s.stages), o).value() > 0);
}

TEST_CASE(
    "executor: per-rank routing loads stretch the routed experts and the busiest "
    "receiver sets the payload phase (hand derivation)",
    "[sim][runner][variation]") {
  // One stage, one micro-batch, an EP group of three replicas. Forward: the MLP (routed part R
  // of its D), then the combine payload P, a collective. Backward: the combine's backward
  // payload P2, then the MLP's backward (routed part R2 of its D2). Replica m draws
  // x_m = routing_load(seed, m, rank 0, direction 0, micro-batch 0, stage 0, slot 0) for both
  // passes (one routing per micro-batch) and gets L_m = x_m / mean(x) of the group's token
  // copies, so by hand
  //   forward combine starts at   max_m (D - R + R L_m)     (the rendezvous waits for all)
  //   and lasts                   P max_m L_m               (its busiest receiver)
  //   backward combine lasts      P2 max_m L_m
  //   the MLP backward ends at    + max_m (D2 - R2 + R2 L_m)
  constexpr std::int64_t kD = 10 * kUnit, kR = 6 * kUnit, kP = 4 * kUnit;
  constexpr std::int64_t kP2 = 2 * kUnit, kD2 = 8 * kUnit, kR2 = 5 * kUnit;
  SubOp mlp = compute("mlp", 10, kMlp);
  mlp.routed = Nanoseconds(kR);
  SubOp mlp_b = compute("mlp.b", 8, kMlp);
  mlp_b.routed = Nanoseconds(kR2);
  PipelineProgram p;
  p.stages.push_back(ChunkProgram{
      {mlp, comm("combine", 4, kCombine)}, {comm("combine.b", 2, kCombine), mlp_b}, {}, {}, {}});
  const auto s = make_schedule(ScheduleKind::k1F1B, {1, 1, 1});
  ExecutorOptions o;
  o.replicas = 3;
  o.collective_group = 3;
  o.seed = 11;
  const std::int64_t balanced = kD + kP + kP2 + kD2;
  CHECK(execute_pipeline(s, p, o).makespan.value() == balanced);  // variation off
  o.routing_cv = 0.2;
  double x[3], mean = 0;
  for (int m = 0; m < 3; ++m) {
    x[m] = routing_load(o.seed, m, 0, 0, 0, 0, 0, o.routing_cv);
    mean += x[m] / 3;
  }
  std::int64_t forward = 0, backward = 0;
  double busiest = 0;
  for (double xm : x) {
    const double l = xm / mean;
    forward = std::max<std::int64_t>(forward, kD - kR + std::llround(kR * l));
    backward = std::max<std::int64_t>(backward, kD2 - kR2 + std::llround(kR2 * l));
    busiest = std::max(busiest, l);
  }
  const auto payload = [busiest](std::int64_t t) {
    return static_cast<std::int64_t>(std::llround(static_cast<double>(t) * busiest));
  };
  const ExecutionResult r = execute_pipeline(s, p, o);
  CHECK(r.makespan.value() == forward + payload(kP) + payload(kP2) + backward);
  CHECK(r.makespan.value() != balanced);  // the seed's draws do move it

  // Without EP (a group of one) a rank receives its own tokens only: load 1, no change.
  o.replicas = 1;
  o.collective_group = 1;
  CHECK(execute_pipeline(s, p, o).makespan.value() == balanced);
}

TEST_CASE("executor: an EP group whose every routing draw is 0 still ends its payload phase",
          "[sim][runner][variation]") {
  // Draws are clamped at 0; a group in which all are 0 has no load to compare with, so every
  // member keeps the balanced share. With flows on the step network a zero-byte payload would
  // never complete: the run must still end, with the balanced timing.
  std::uint64_t seed = 1;
  while (routing_load(seed, 0, 0, 0, 0, 0, 0, 0.5) > 0 ||
         routing_load(seed, 1, 0, 0, 0, 0, 0, 0.5) > 0) {
    ++seed;
  }
  SubOp combine = comm("combine", 4, kCombine);
  combine.traffic = PortTraffic{4e6, 0, Nanoseconds(0)};
  SubOp mlp = compute("mlp", 10, kMlp);
  mlp.routed = Nanoseconds(6 * kUnit);
  PipelineProgram p;
  p.stages.push_back(ChunkProgram{{mlp, combine}, {compute("Bi", 3)}, {}, {}, {}});
  p.network.shared = true;
  p.network.nic_capacity = 1e9;
  p.network.nvlink_capacity = 1e9;
  const auto s = make_schedule(ScheduleKind::k1F1B, {1, 1, 1});
  ExecutorOptions o;
  o.replicas = 2;
  o.collective_group = 2;
  o.seed = seed;
  const Nanoseconds balanced = execute_pipeline(s, p, o).makespan;
  o.routing_cv = 0.5;
  CHECK(execute_pipeline(s, p, o).makespan == balanced);
}

TEST_CASE(
    "variation: routing draws have mean 1 and spread cv, are keyed, and are uncorrelated "
    "with the kernel-time draws of the same seed",
    "[sim][runner][variation]") {
  double sum = 0, sq = 0, cross = 0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    const int replica = i % 64, rank = i / 64 % 16, mb = i / 1024;
    const double l = routing_load(3, replica, rank, 0, mb, 0, 0, 0.1);
    sum += l;
    sq += (l - 1.0) * (l - 1.0);
    // The kernel-time draw keyed by the same numbers (ExecutorOptions::kernel_time_cv).
    cross += (l - 1.0) / 0.1 *
             keyed_normal(3, static_cast<std::uint64_t>(replica), static_cast<std::uint64_t>(rank),
                          static_cast<std::uint64_t>(mb), 0);
  }
  CHECK(sum / kN == Approx(1.0).margin(0.002));
  CHECK(std::sqrt(sq / kN) == Approx(0.1).epsilon(0.02));
  CHECK(cross / kN == Approx(0.0).margin(0.015));  // 4.7 standard errors of a zero correlation
  CHECK(routing_load(3, 1, 2, 1, 4, 5, 6, 0.1) != routing_load(3, 1, 2, 1, 5, 5, 6, 0.1));
  CHECK(routing_load(3, 1, 2, 1, 4, 5, 6, 0.1) != routing_load(3, 1, 2, 0, 4, 5, 6, 0.1));
  CHECK(routing_load(3, 1, 2, 1, 4, 5, 6, 0.0) == 1.0);
}

TEST_CASE("executor: collective groups simulated one at a time give the joint run's results",
          "[sim][runner]") {
  // The oracle is the joint run of all replicas on one engine, which the executor still does
  // when an observer is set (it must see events in completion order). Kernel-time variation
  // and a straggler make every group different; EP payloads, PP sends and the gradient
  // reduce-scatter share each GPU's ports.
  PipelineProgram p;
  for (int s = 0; s < 4; ++s) {
    ChunkProgram c = moe_chunk(3, 2);
    for (auto* v : {&c.forward, &c.backward_input}) {
      for (SubOp& so : *v) {
        if (so.cls == WorkClass::kEpComm) so.traffic = PortTraffic{2e6, 1e6, Nanoseconds(500)};
      }
    }
    for (auto* v : {&c.forward, &c.backward_input, &c.backward_weight}) {
      for (SubOp& so : *v) {
        if (so.component == kMlp) so.routed = Nanoseconds(so.duration.value() / 2);
      }
    }
    c.dp_sync = {PortTraffic{5e6, 0, Nanoseconds(0)}};
    c.dp_sync_time = {Nanoseconds(4 * kUnit)};
    p.stages.push_back(c);
  }
  p.pp_forward_transfer = Nanoseconds(kUnit);
  p.pp_backward_transfer = Nanoseconds(kUnit);
  p.network.shared = true;
  p.network.nic_capacity = 1e9;
  p.network.nvlink_capacity = 4e9;
  p.network.pp_forward = PortTraffic{1e6, 0, Nanoseconds(100)};
  p.network.pp_backward = PortTraffic{1e6, 0, Nanoseconds(100)};
  const auto s = make_schedule(ScheduleKind::kDualPipe, {4, 8, 1});
  ExecutorOptions o;
  o.replicas = 6;
  o.collective_group = 2;
  o.kernel_time_cv = 0.1;
  o.routing_cv = 0.2;
  o.seed = 7;
  o.replica_compute_scale = {1.0, 1.0, 1.0, 1.0, 1.3, 1.0};  // a straggler in the last group
  std::vector<std::pair<int, int>> progress;
  o.on_group_done = [&progress](int done, int total) { progress.emplace_back(done, total); };
  const ExecutionResult split = execute_pipeline(s, p, o);
  // Progress: one call per EP group, in order.
  CHECK(progress == std::vector<std::pair<int, int>>{{1, 3}, {2, 3}, {3, 3}});
  o.on_group_done = nullptr;
  ExecutorOptions joint_o = o;
  std::size_t seen = 0;
  joint_o.on_transfer = [&seen](const TransferEvent&) { ++seen; };
  const ExecutionResult joint = execute_pipeline(s, p, joint_o);
  CHECK(seen > 0);
  CHECK(split.makespan == joint.makespan);
  CHECK(split.dp_sync_end == joint.dp_sync_end);
  CHECK(split.sub_ops_executed == joint.sub_ops_executed);
  CHECK(split.class_busy == joint.class_busy);
  REQUIRE(split.ranks.size() == joint.ranks.size());
  for (std::size_t r = 0; r < split.ranks.size(); ++r) {
    CHECK(split.ranks[r].finish == joint.ranks[r].finish);
    CHECK(split.ranks[r].lane_busy == joint.ranks[r].lane_busy);
    CHECK(split.ranks[r].exposed_comm == joint.ranks[r].exposed_comm);
    CHECK(split.ranks[r].pair_times == joint.ranks[r].pair_times);
    CHECK(split.ranks[r].dp_sync_end == joint.ranks[r].dp_sync_end);
  }
  // The straggler's group sets the makespan: replica 0's group alone ends earlier (routing
  // draws off, which would give every group its own busiest rank).
  o.routing_cv = 0;
  ExecutorOptions first_group = o;
  first_group.replicas = 2;
  first_group.replica_compute_scale = {1.0, 1.0};
  CHECK(execute_pipeline(s, p, first_group).makespan < execute_pipeline(s, p, o).makespan);
}
