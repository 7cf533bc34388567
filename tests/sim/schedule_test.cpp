// Tests for sim/schedule: the DualPipe/DualPipeV test vector, structural validity of every kind,
// and the rejected options.
#include "hopsim/sim/schedule/schedule.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "ideal_timing_oracle.hpp"

using hopsim::PlanError;
using hopsim::ScheduleKind;
using namespace hopsim::sim;

namespace {

// The two sections of tests/data/schedule/dualpipe_pp8_c20.txt: "rankN: ops" lines; the
// "# DualPipeV" comment starts the second section.
struct TestVector {
  std::vector<std::string> dualpipe;
  std::vector<std::string> dualpipev;
};

TestVector load_vector() {
  std::ifstream in(std::string(HOPSIM_TEST_DATA_DIR) + "/schedule/dualpipe_pp8_c20.txt");
  REQUIRE(in.good());
  TestVector v;
  std::vector<std::string>* section = &v.dualpipe;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# DualPipeV", 0) == 0) section = &v.dualpipev;
    if (line.rfind("rank", 0) != 0) continue;
    const auto colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    REQUIRE(std::stoi(line.substr(4, colon - 4)) == static_cast<int>(section->size()));
    section->push_back(line.substr(colon + 2));
  }
  return v;
}

struct Counts {
  int f = 0, fb = 0, b = 0, bi = 0, w = 0;
  bool operator==(const Counts& o) const {
    return f == o.f && fb == o.fb && b == o.b && bi == o.bi && w == o.w;
  }
};

Counts count(const std::vector<ScheduleOp>& ops) {
  const auto n = [&](OpType t) {
    return static_cast<int>(
        std::count_if(ops.begin(), ops.end(), [t](const ScheduleOp& op) { return op.type == t; }));
  };
  return {n(OpType::kF), n(OpType::kFB), n(OpType::kB), n(OpType::kBi), n(OpType::kW)};
}

// Every (direction, stage, micro-batch) gets exactly one forward and one backward (B, or Bi + W),
// on the rank that holds that stage; on each rank F before B/Bi before W; and the zero-latency
// dependency-driven run finishes (simulate_ideal throws on deadlock).
void check_structure(const Schedule& s) {
  const int n = s.directions * s.stages * s.micro_batches_per_direction;
  std::vector<int> fwd(static_cast<std::size_t>(n), 0), bwd(fwd), full(fwd), split(fwd), wgt(fwd);
  auto key = [&](const OpPart& p) {
    REQUIRE(p.direction >= 0);
    REQUIRE(p.direction < s.directions);
    REQUIRE(p.stage >= 0);
    REQUIRE(p.stage < s.stages);
    REQUIRE(p.micro_batch >= 0);
    REQUIRE(p.micro_batch < s.micro_batches_per_direction);
    return static_cast<std::size_t>(
        (p.direction * s.stages + p.stage) * s.micro_batches_per_direction + p.micro_batch);
  };
  for (int r = 0; r < s.ranks; ++r) {
    int pos = 0;
    std::vector<int> seen_f(static_cast<std::size_t>(n), -1), seen_b(seen_f);
    for (const auto& op : s.ops[static_cast<std::size_t>(r)]) {
      ++pos;
      auto on_rank = [&](const OpPart& p) { REQUIRE(rank_of_stage(s, p.direction, p.stage) == r); };
      auto forward = [&](const OpPart& p) {
        on_rank(p);
        ++fwd[key(p)];
        seen_f[key(p)] = pos;
      };
      auto backward = [&](const OpPart& p, bool is_split) {
        on_rank(p);
        REQUIRE(seen_f[key(p)] >= 0);  // its forward ran earlier on this rank
        ++bwd[key(p)];
        ++(is_split ? split : full)[key(p)];
        seen_b[key(p)] = pos;
      };
      switch (op.type) {
        case OpType::kF:
          forward(op.part);
          break;
        case OpType::kB:
          backward(op.part, false);
          break;
        case OpType::kBi:
          backward(op.part, true);
          break;
        case OpType::kW:
          on_rank(op.part);
          REQUIRE(seen_b[key(op.part)] >= 0);  // after its Bi
          ++wgt[key(op.part)];
          break;
        case OpType::kFB:
          forward(op.part);
          backward(op.backward, false);
          break;
      }
    }
  }
  for (int k = 0; k < n; ++k) {
    const auto i = static_cast<std::size_t>(k);
    REQUIRE(fwd[i] == 1);
    REQUIRE(bwd[i] == 1);
    REQUIRE(wgt[i] == split[i]);  // a W for every Bi, none for a full B
  }
  REQUIRE_NOTHROW(simulate_ideal(s, OpDurations{}));
}

// Each rank of `s` prints as its line of a test vector.
void check_ranks_match(const Schedule& s, const std::vector<std::string>& expected) {
  REQUIRE(s.ranks == static_cast<int>(expected.size()));
  for (int r = 0; r < s.ranks; ++r) {
    INFO("rank " << r);
    CHECK(format_rank(s, r) == expected[static_cast<std::size_t>(r)]);
  }
}

}  // namespace

TEST_CASE("DualPipe pp=8, 20 micro-batches equals an independently derived test vector",
          "[schedule]") {
  // Derived from deepseek-ai/DualPipe dualpipe.py @3da1bbea by a separate script (not a
  // published vector); direction-0 ids match DeepSeek-V3 report Figure 5.
  const TestVector v = load_vector();
  REQUIRE(v.dualpipe.size() == 8);
  check_ranks_match(make_schedule(ScheduleKind::kDualPipe, {8, 20, 1}), v.dualpipe);
}

TEST_CASE("DualPipeV 4 ranks, 10 micro-batches equals an independently derived test vector",
          "[schedule]") {
  const TestVector v = load_vector();
  REQUIRE(v.dualpipev.size() == 4);
  const Schedule s = make_schedule(ScheduleKind::kDualPipeV, {4, 10, 1});
  REQUIRE(s.stages == 8);
  check_ranks_match(s, v.dualpipev);
}

TEST_CASE("DualPipe op counts per rank match the derived test vector", "[schedule]") {
  // (F, FB, B, Bi, W): r0/r7 = 11,9,4,7,7; r1/r6 = 10,10,4,6,6; r2/r5 = 9,11,4,5,5; r3/r4 =
  // 9,11,5,4,4.
  const std::array<Counts, 4> expected{Counts{11, 9, 4, 7, 7}, Counts{10, 10, 4, 6, 6},
                                       Counts{9, 11, 4, 5, 5}, Counts{9, 11, 5, 4, 4}};
  const Schedule s = make_schedule(ScheduleKind::kDualPipe, {8, 20, 1});
  for (int r = 0; r < 8; ++r) {
    INFO("rank " << r);
    const Counts c = count(s.ops[static_cast<std::size_t>(r)]);
    const Counts& e = expected[static_cast<std::size_t>(std::min(r, 7 - r))];
    CHECK(c == e);
    // Deferred W ops: 2H - h - 1 with H = 4, h = min(r, 7 - r).
    CHECK(c.w == 2 * 4 - std::min(r, 7 - r) - 1);
  }
}

TEST_CASE("DualPipe formatter prints the notation of the test vector", "[schedule]") {
  CHECK(format_op(ScheduleOp{OpType::kF, {3, 0, 0, 0}, {}}) == "F0.3");
  CHECK(format_op(ScheduleOp{OpType::kBi, {0, 1, 1, 7}, {}}) == "Bi1.0");
  CHECK(format_op(ScheduleOp{OpType::kW, {0, 1, 1, 7}, {}}) == "W1.0");
  CHECK(format_op(ScheduleOp{OpType::kFB, {7, 0, 0, 0}, {3, 1, 1, 7}}) == "F0.7&B1.3");
  CHECK(format_op(ScheduleOp{OpType::kB, {6, 1, 1, 7}, {}}) == "B1.6");
}

TEST_CASE("every kind is structurally valid over a range of pp and micro-batches", "[schedule]") {
  for (int pp = 1; pp <= 16; ++pp) {
    for (int m : {pp, pp + 1, 2 * pp, 3 * pp + 1, 4 * pp}) {
      INFO("1F1B/ZB-H1 pp=" << pp << " m=" << m);
      check_structure(make_schedule(ScheduleKind::k1F1B, {pp, m, 1}));
      check_structure(make_schedule(ScheduleKind::kZbH1, {pp, m, 1}));
    }
    for (int v : {1, 2, 3, 4}) {
      for (int m : {pp, 2 * pp, 5 * pp}) {
        INFO("interleaved pp=" << pp << " v=" << v << " m=" << m);
        check_structure(make_schedule(ScheduleKind::kInterleaved1F1B, {pp, m, v}));
        INFO("with F&B pairs");
        check_structure(make_schedule(ScheduleKind::kInterleaved1F1B, {pp, m, v, true}));
      }
    }
    for (int m : {2 * pp, 2 * pp + 1, 2 * pp + 2, 3 * pp, 5 * pp + 3}) {
      INFO("DualPipeV ranks=" << pp << " m=" << m);
      check_structure(make_schedule(ScheduleKind::kDualPipeV, {pp, m, 1}));
    }
    if (pp % 2 == 0) {
      for (int m : {2 * pp, 2 * pp + 2, 3 * pp, 4 * pp + 6, 120}) {
        if (m < 2 * pp) continue;
        INFO("DualPipe pp=" << pp << " m=" << m);
        check_structure(make_schedule(ScheduleKind::kDualPipe, {pp, m, 1}));
      }
    }
  }
}

TEST_CASE("interleaved 1F1B with F&B pairs equals a hand-derived test vector", "[schedule]") {
  // Derived by hand from Megatron-Core's rules, not from hopsim's code (NVIDIA/Megatron-LM
  // megatron/core/pipeline_parallel/schedules.py, get_pp_rank_microbatches and
  // forward_backward_pipelining_with_interleaving): PP 2, 2 chunks, 4 micro-batches, so 8
  // virtual micro-batches. Virtual micro-batch k is micro-batch (k/4)*2 + k%2; forwards run chunk
  // (k/2)%2, backwards chunk 1 - (k/2)%2. Warm-up 2(PP-r-1) + (v-1)PP forwards plus the one
  // overlap_moe_expert_parallel_comm adds (5 on rank 0, 3 on rank 1); steady step i pairs
  // forward warm-up + i with backward i; the rest are lone backwards. Notation Fc.m / Bc.m.
  const Schedule s = make_schedule(ScheduleKind::kInterleaved1F1B, {2, 4, 2, true});
  check_ranks_match(
      s, {"F0.0 F0.1 F1.0 F1.1 F0.2 F0.3&B1.0 F1.2&B1.1 F1.3&B0.0 B0.1 B1.2 B1.3 B0.2 B0.3",
          "F0.0 F0.1 F1.0 F1.1&B1.0 F0.2&B1.1 F0.3&B0.0 F1.2&B0.1 F1.3&B1.2 B1.3 B0.2 B0.3"});
  // Without pairs the same op order, one forward fewer in the warm-up, F and B apart.
  const Schedule plain = make_schedule(ScheduleKind::kInterleaved1F1B, {2, 4, 2});
  check_ranks_match(
      plain, {"F0.0 F0.1 F1.0 F1.1 F0.2 B1.0 F0.3 B1.1 F1.2 B0.0 F1.3 B0.1 B1.2 B1.3 B0.2 B0.3",
              "F0.0 F0.1 F1.0 B1.0 F1.1 B1.1 F0.2 B0.0 F0.3 B0.1 F1.2 B1.2 F1.3 B1.3 B0.2 B0.3"});
  // Other schedules have no such option: DualPipe pairs always, 1F1B never.
  for (auto kind : {ScheduleKind::k1F1B, ScheduleKind::kZbH1, ScheduleKind::kDualPipe,
                    ScheduleKind::kDualPipeV}) {
    CHECK_THROWS_WITH(make_schedule(kind, {4, 16, 1, true}),
                      Catch::Matchers::Contains("fb_overlap only with interleaved-1f1b"));
  }
}

TEST_CASE("stage to rank mapping", "[schedule]") {
  const Schedule dp = make_schedule(ScheduleKind::kDualPipe, {8, 16, 1});
  CHECK(rank_of_stage(dp, 0, 2) == 2);
  CHECK(rank_of_stage(dp, 1, 2) == 5);  // direction 1 enters at rank pp-1
  const Schedule dv = make_schedule(ScheduleKind::kDualPipeV, {4, 8, 1});
  CHECK(rank_of_stage(dv, 0, 3) == 3);
  CHECK(rank_of_stage(dv, 0, 4) == 3);  // the bottom of the V stays on the last rank
  CHECK(rank_of_stage(dv, 0, 7) == 0);
  const Schedule il = make_schedule(ScheduleKind::kInterleaved1F1B, {4, 8, 2});
  CHECK(il.stages == 8);
  CHECK(rank_of_stage(il, 0, 5) == 1);
  CHECK(stages_per_rank(dp) == 2);
  CHECK(stages_per_rank(dv) == 2);
  CHECK(stages_per_rank(il) == 2);
  CHECK(stages_per_rank(make_schedule(ScheduleKind::k1F1B, {4, 8, 1})) == 1);
}

TEST_CASE("dependencies follow the stage chain", "[schedule]") {
  const Schedule s = make_schedule(ScheduleKind::k1F1B, {4, 8, 1});
  // Rank 1's first op is F(stage 1, mb 0): it needs rank 0's first op, F(stage 0, mb 0).
  CHECK(dependencies(s, 1, 0) == std::vector<OpRef>{{0, 0}});
  // Rank 3 (last stage) runs F0 then B0: B0 needs only its own F0.
  CHECK(format_op(s.ops[3][1]) == "B0.0");
  CHECK(dependencies(s, 3, 1) == std::vector<OpRef>{{3, 0}});
  // Rank 2's B0 (index 2 after two warm-up forwards... F0 F1 B0) needs F0 on rank 2 and B0 on
  // rank 3.
  CHECK(format_rank(s, 2).rfind("F0.0 F0.1 B0.0", 0) == 0);
  CHECK(dependencies(s, 2, 2) == std::vector<OpRef>{{2, 0}, {3, 1}});
  // DualPipe: an FB op needs both parts' predecessors. Rank 0's F0.7&B1.3 (index 17): F0.7 is
  // stage 0 (no predecessor), B1.3 is direction 1's last stage, so only its own F1.3 (index 16).
  const Schedule d = make_schedule(ScheduleKind::kDualPipe, {8, 20, 1});
  REQUIRE(format_op(d.ops[0][17]) == "F0.7&B1.3");
  CHECK(dependencies(d, 0, 17) == std::vector<OpRef>{{0, 16}});
  // Rank 0's F1.4&B0.0 (index 18): F1.4 at stage 7 needs F1.4 at stage 6 (rank 1); B0.0 at stage
  // 0 needs F0.0 on rank 0 (index 0) and B0.0 at stage 1 (rank 1).
  REQUIRE(format_op(d.ops[0][18]) == "F1.4&B0.0");
  const auto deps = dependencies(d, 0, 18);
  REQUIRE(deps.size() == 3);
  CHECK(deps[0].rank == 1);
  CHECK(format_op(d.ops[1][static_cast<std::size_t>(deps[0].index)]).rfind("F1.4", 0) == 0);
  CHECK(deps[1] == OpRef{0, 0});
  CHECK(deps[2].rank == 1);
  CHECK(format_op(d.ops[1][static_cast<std::size_t>(deps[2].index)]).find("B0.0") !=
        std::string::npos);
}

TEST_CASE("impossible options are rejected with the failing rule", "[schedule]") {
  auto message = [](ScheduleKind k, ScheduleOptions o) {
    try {
      (void)make_schedule(k, o);
    } catch (const PlanError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(message(ScheduleKind::kDualPipe, {7, 28, 1}), Contains("pp % 2 == 0"));
  CHECK_THAT(message(ScheduleKind::kDualPipe, {8, 21, 1}), Contains("micro_batches % 2 == 0"));
  CHECK_THAT(message(ScheduleKind::kDualPipe, {8, 14, 1}), Contains("micro_batches >= 2*pp"));
  CHECK_THAT(message(ScheduleKind::k1F1B, {8, 7, 1}), Contains("micro_batches >= pp"));
  CHECK_THAT(message(ScheduleKind::kZbH1, {8, 7, 1}), Contains("micro_batches >= pp"));
  CHECK_THAT(message(ScheduleKind::kInterleaved1F1B, {4, 6, 2}),
             Contains("micro_batches % pp == 0"));
  CHECK_THAT(message(ScheduleKind::kDualPipeV, {4, 7, 1}), Contains("micro_batches >= 2*pp"));
  CHECK_THAT(message(ScheduleKind::k1F1B, {0, 4, 1}), Contains("pp >= 1"));
  CHECK_THAT(message(ScheduleKind::kInterleaved1F1B, {4, 8, 0}), Contains("virtual_stages >= 1"));
  CHECK_THAT(message(ScheduleKind::kDualPipeV, {4, 0, 1}), Contains("micro_batches >= 1"));
  CHECK_THROWS_AS(make_schedule(ScheduleKind::kDualPipe, {8, 14, 1}), PlanError);
  // The message names the kind and the values.
  CHECK_THAT(message(ScheduleKind::kDualPipe, {8, 14, 1}), Contains("micro_batches=14"));
}

TEST_CASE("schedule: the stages each rank runs are the stages core places on it",
          "[sim][schedule]") {
  // Two functions answer "which stages does rank r hold": core's stages_of_rank (memory,
  // placement) and the schedule itself. Every op a rank runs must be of a stage core gives it,
  // and every stage core gives it must appear in its op list.
  for (auto kind : {ScheduleKind::k1F1B, ScheduleKind::kInterleaved1F1B, ScheduleKind::kZbH1,
                    ScheduleKind::kDualPipe, ScheduleKind::kDualPipeV}) {
    for (int pp : {2, 4, 8}) {
      hopsim::ParallelPlan plan;
      plan.pp = pp;
      plan.schedule = kind;
      plan.virtual_stages = kind == ScheduleKind::kInterleaved1F1B ? 2 : 1;
      plan.micro_batches = 4 * pp;
      const Schedule sched = make_schedule(kind, {pp, plan.micro_batches, plan.virtual_stages});
      for (int r = 0; r < pp; ++r) {
        INFO(to_string(kind) << " pp " << pp << " rank " << r);
        const std::vector<int> held = hopsim::stages_of_rank(plan, r);
        std::set<int> ran;
        for (const ScheduleOp& op : sched.ops[static_cast<std::size_t>(r)]) {
          ran.insert(op.part.stage);
          if (op.type == OpType::kFB) ran.insert(op.backward.stage);
        }
        CHECK(ran == std::set<int>(held.begin(), held.end()));
      }
    }
  }
}

TEST_CASE("schedule: core's activations in flight are the interleaved schedule's peak",
          "[sim][schedule]") {
  // Core's memory model counts each rank's micro-batches in flight by formula; the schedule's
  // op lists count them by walking (peak_activations). With and without F&B pairs, with one
  // micro-batch group (all forwards first without pairs) and more.
  for (int pp : {2, 4, 8}) {
    for (int v : {2, 3}) {
      for (int m : {pp, 2 * pp, 5 * pp}) {
        for (bool pairs : {false, true}) {
          hopsim::ParallelPlan plan;
          plan.pp = pp;
          plan.schedule = ScheduleKind::kInterleaved1F1B;
          plan.virtual_stages = v;
          plan.micro_batches = m;
          plan.fb_overlap = pairs;
          const std::vector<int> peak =
              peak_activations(make_schedule(plan.schedule, {pp, m, v, pairs}));
          for (int r = 0; r < pp; ++r) {
            INFO("pp " << pp << " v " << v << " m " << m << " pairs " << pairs << " rank " << r);
            CHECK(hopsim::in_flight_micro_batches(plan, r) == peak[static_cast<std::size_t>(r)]);
          }
        }
      }
    }
  }
}
