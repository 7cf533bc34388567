// Tests for sim/schedule/ideal_timing: bubbles against the published formulas (DeepSeek-V3 report
// §3.2.1 Table 2, p.13; deepseek-ai/DualPipe README @3da1bbea), activation and parameter memory.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <utility>

#include "hopsim/sim/schedule/schedule.hpp"
#include "ideal_timing_oracle.hpp"

using hopsim::Nanoseconds;
using hopsim::ScheduleKind;
using namespace hopsim::sim;

namespace {

std::int64_t bubble(ScheduleKind k, int pp, int m, const OpDurations& d, int v = 1) {
  return simulate_ideal(make_schedule(k, {pp, m, v}), d).bubble.value();
}

// Table 2 formulas, F&B written fb; B is the full backward.
std::int64_t formula_1f1b(int pp, const OpDurations& d) {
  return (pp - 1) * (d.f + d.b).value();
}
std::int64_t formula_zb(int pp, const OpDurations& d) {
  return (pp - 1) * (d.f + d.b - 2 * d.w).value();
}
std::int64_t formula_dualpipe(int pp, const OpDurations& d) {
  return (pp / 2 - 1) * (d.fb + d.b - 3 * d.w).value();
}

const OpDurations kExact{Nanoseconds{1}, Nanoseconds{2}, Nanoseconds{1}, Nanoseconds{3}};

}  // namespace

TEST_CASE("1F1B bubble is (PP-1)(F+B)", "[schedule][timing]") {
  const OpDurations other{Nanoseconds{2}, Nanoseconds{3}, Nanoseconds{1}, Nanoseconds{4}};
  for (int pp : {2, 4, 8, 16}) {
    for (int m : {pp, 2 * pp, 3 * pp + 1}) {
      INFO("pp=" << pp << " m=" << m);
      CHECK(bubble(ScheduleKind::k1F1B, pp, m, kExact) == formula_1f1b(pp, kExact));
      // 1F1B's formula holds for any F, B: the pipe fills and drains once.
      CHECK(bubble(ScheduleKind::k1F1B, pp, m, other) == formula_1f1b(pp, other));
    }
  }
  // Hand check, pp=4: (4-1)(1+2) = 9.
  CHECK(bubble(ScheduleKind::k1F1B, 4, 8, kExact) == 9);
}

TEST_CASE("ZB-H1 bubble is (PP-1)(F+B-2W)", "[schedule][timing]") {
  for (int pp : {2, 4, 8, 16}) {
    for (int m : {pp, 2 * pp, 3 * pp + 1}) {
      INFO("pp=" << pp << " m=" << m);
      CHECK(bubble(ScheduleKind::kZbH1, pp, m, kExact) == formula_zb(pp, kExact));
    }
  }
  // Hand check, pp=8: (8-1)(1+2-2) = 7.
  CHECK(bubble(ScheduleKind::kZbH1, 8, 16, kExact) == 7);
  // With W > F a held-back W no longer fits the gap of one F: F=1 B=3 W=2 gives PP-1, not
  // (PP-1)(1+3-4) = 0 (documented limit in docs/SCHEDULES.md).
  const OpDurations heavy_w{Nanoseconds{1}, Nanoseconds{3}, Nanoseconds{2}, Nanoseconds{3}};
  CHECK(bubble(ScheduleKind::kZbH1, 8, 16, heavy_w) == 7);
}

TEST_CASE("DualPipe bubble is (PP/2-1)(F&B+B-3W) at F=1 B=2 W=1 F&B=3", "[schedule][timing]") {
  // Derived (zero-latency simulation, bubble = makespan - max busy): exactly 2, 6 and 14 for
  // PP = 4, 8, 16.
  CHECK(formula_dualpipe(4, kExact) == 2);
  CHECK(formula_dualpipe(8, kExact) == 6);
  CHECK(formula_dualpipe(16, kExact) == 14);
  for (int pp : {4, 8, 16}) {
    for (int m : {2 * pp, 2 * pp + 4, 120}) {
      if (m < 2 * pp) continue;
      INFO("pp=" << pp << " m=" << m);
      CHECK(bubble(ScheduleKind::kDualPipe, pp, m, kExact) == formula_dualpipe(pp, kExact));
    }
  }
  // DualPipeV has the same bubble with pp = 2 * ranks (DualPipe README table).
  for (int ranks : {2, 4, 8}) {
    INFO("DualPipeV ranks=" << ranks);
    CHECK(bubble(ScheduleKind::kDualPipeV, ranks, 4 * ranks, kExact) ==
          formula_dualpipe(2 * ranks, kExact));
  }
}

TEST_CASE("DualPipe bubble at other ratios stays within the stated tolerance",
          "[schedule][timing]") {
  // The formula is an estimate away from F=1 B=2 W=1 F&B=3 (derived: zero-latency simulation).
  // Tolerance stated here, for W <= F and F&B <= F+B: the measured bubble is never
  // above the formula and at most (PP/2-1)*2W below it, i.e. the formula's -3W term may read -5W.
  // The widest gap seen is F=3 B=6 W=2 F&B=7 at pp=16: 34 measured against 49.
  const std::array<OpDurations, 5> ratios{
      OpDurations{Nanoseconds{2}, Nanoseconds{3}, Nanoseconds{1}, Nanoseconds{4}},
      OpDurations{Nanoseconds{3}, Nanoseconds{6}, Nanoseconds{2}, Nanoseconds{7}},
      OpDurations{Nanoseconds{10}, Nanoseconds{20}, Nanoseconds{10}, Nanoseconds{25}},
      OpDurations{Nanoseconds{10}, Nanoseconds{20}, Nanoseconds{5}, Nanoseconds{30}},
      OpDurations{Nanoseconds{4}, Nanoseconds{8}, Nanoseconds{3}, Nanoseconds{12}}};
  for (const OpDurations& d : ratios) {
    for (int pp : {4, 8, 16}) {
      for (int m : {2 * pp, 120}) {
        INFO("F=" << d.f.value() << " B=" << d.b.value() << " W=" << d.w.value()
                  << " F&B=" << d.fb.value() << " pp=" << pp << " m=" << m);
        const std::int64_t measured = bubble(ScheduleKind::kDualPipe, pp, m, d);
        const std::int64_t formula = formula_dualpipe(pp, d);
        CHECK(measured <= formula);
        CHECK(measured >= formula - (pp / 2 - 1) * 2 * d.w.value());
        // DualPipeV on pp/2 ranks has exactly DualPipe's bubble (DualPipe README table).
        CHECK(bubble(ScheduleKind::kDualPipeV, pp / 2, m, d) == measured);
        // ZB-H1's formula is exact whenever W <= F.
        CHECK(bubble(ScheduleKind::kZbH1, pp, m, d) == formula_zb(pp, d));
      }
    }
  }
  // The gap at F=2 B=3 W=1 F&B=4 (values recorded in docs/SCHEDULES.md): formula
  // (PP/2-1)(4+3-3) = 4, 12, 28 for pp = 4, 8, 16; the simulation gives 4, 10, 22.
  CHECK(bubble(ScheduleKind::kDualPipe, 4, 20, ratios[0]) == 4);
  CHECK(bubble(ScheduleKind::kDualPipe, 8, 20, ratios[0]) == 10);
  CHECK(bubble(ScheduleKind::kDualPipe, 16, 120, ratios[0]) == 22);
}

TEST_CASE("interleaved 1F1B bubble is (PP-1)(F+B) in per-chunk op durations",
          "[schedule][timing]") {
  // Megatron-LM (Narayanan et al. 2021, §2.2): bubble (p-1)(t_f+t_b)/v for full-stage times
  // t_f, t_b; a chunk op takes t/v, so in chunk-op units the bubble is (p-1)(F+B).
  const OpDurations other{Nanoseconds{2}, Nanoseconds{3}, Nanoseconds{1}, Nanoseconds{4}};
  for (int pp : {2, 4, 8}) {
    for (int v : {2, 4}) {
      for (int m : {2 * pp, 4 * pp}) {
        INFO("pp=" << pp << " v=" << v << " m=" << m);
        CHECK(bubble(ScheduleKind::kInterleaved1F1B, pp, m, kExact, v) == formula_1f1b(pp, kExact));
        CHECK(bubble(ScheduleKind::kInterleaved1F1B, pp, m, other, v) == formula_1f1b(pp, other));
      }
    }
  }
}

TEST_CASE("activation and parameter memory match Table 2", "[schedule][memory]") {
  // peak_activations counts (stage, micro-batch) activations held per rank (F done, B not yet).
  for (int pp : {2, 4, 8, 16}) {
    INFO("pp=" << pp);
    for (ScheduleKind k : {ScheduleKind::k1F1B, ScheduleKind::kZbH1}) {
      const auto peak = peak_activations(make_schedule(k, {pp, 3 * pp, 1}));
      CHECK(peak.front() == pp);  // Table 2: PP, on rank 0
      CHECK(*std::max_element(peak.begin(), peak.end()) == pp);
      CHECK(peak.back() == 1);
    }
    const Schedule dp = make_schedule(ScheduleKind::kDualPipe, {pp, 2 * pp + 8, 1});
    for (int a : peak_activations(dp)) CHECK(a == pp + 1);  // Table 2: PP+1, on every rank
    CHECK(stages_per_rank(dp) == 2);                        // Table 2: 2x parameters
    // DualPipeV with pp/2 ranks: PP+1 with PP = 2 * ranks stages, 2x parameters per rank.
    if (pp >= 4) {
      const Schedule dv = make_schedule(ScheduleKind::kDualPipeV, {pp / 2, 2 * pp, 1});
      for (int a : peak_activations(dv)) CHECK(a == pp + 1);
      CHECK(stages_per_rank(dv) == 2);
    }
    // Interleaved, rank 0: warm-up 2(p-1)+(v-1)p forwards plus one = p*v+p-1 chunk activations.
    const auto il =
        peak_activations(make_schedule(ScheduleKind::kInterleaved1F1B, {pp, 4 * pp, 2}));
    CHECK(il.front() == pp * 2 + pp - 1);
  }
}

TEST_CASE("ideal timing reports per-op times and busy time", "[schedule][timing]") {
  // 1F1B, pp=2, m=2, F=1 B=2: rank 0 F0[0,1] F1[1,2] B0[4,6] B1[7,9]; rank 1 F0[1,2] B0[2,4]
  // F1[4,5] B1[5,7]. Makespan 9, busy 6 each, bubble 3 = (2-1)(1+2).
  const IdealTiming t = simulate_ideal(make_schedule(ScheduleKind::k1F1B, {2, 2, 1}), kExact);
  CHECK(t.makespan == Nanoseconds{9});
  CHECK(t.busy == std::vector<Nanoseconds>{Nanoseconds{6}, Nanoseconds{6}});
  CHECK(t.bubble == Nanoseconds{3});
  CHECK(t.start[0] ==
        std::vector<Nanoseconds>{Nanoseconds{0}, Nanoseconds{1}, Nanoseconds{4}, Nanoseconds{7}});
  CHECK(t.finish[1] ==
        std::vector<Nanoseconds>{Nanoseconds{2}, Nanoseconds{4}, Nanoseconds{5}, Nanoseconds{7}});
}

TEST_CASE("a schedule that waits on itself is reported as a deadlock", "[schedule][timing]") {
  Schedule s = make_schedule(ScheduleKind::k1F1B, {2, 2, 1});
  // Rank 0: F0 B0 F1 B1 and rank 1: F0 F1 B0 B1. Rank 0's B0 needs rank 1's B0, which comes
  // after rank 1's F1, which needs rank 0's F1, which comes after rank 0's B0: a cycle.
  std::swap(s.ops[0][1], s.ops[0][2]);
  std::swap(s.ops[1][1], s.ops[1][2]);
  REQUIRE(format_rank(s, 0) == "F0.0 B0.0 F0.1 B0.1");
  REQUIRE(format_rank(s, 1) == "F0.0 F0.1 B0.0 B0.1");
  CHECK_THROWS_WITH(simulate_ideal(s, kExact), Catch::Matchers::Contains("deadlocks"));
}
