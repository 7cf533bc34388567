#include "hopsim/planner/plan_search.hpp"

#include <catch2/catch.hpp>

#include "hopsim/planner/sweep.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim;
using namespace hopsim::planner;

TEST_CASE("plan search keeps the global batch, prunes before simulating and ranks by cost",
          "[planner][plan]") {
  PlanSearchOptions o;
  o.model = "deepseek-v2-lite";
  o.gpus = 16;
  o.gpu = "h800-sxm5";
  o.base =
      hopsim::test::kSweepDir + "tiny.yaml";  // 8 micro-batches x DP 8 x 1 = 64 sequences per step
  o.schedules = {"1f1b", "dualpipe"};
  o.comm_sms = {16};
  o.tp = {1, 2};
  o.top = 50;
  const PlanSearchResult r = search_plans(o);
  std::size_t pruned = 0;
  for (const auto& [why, n] : r.pruned) pruned += n;
  CHECK(r.enumerated == pruned + r.simulated);
  // PP in {1,2,4,8,16} x TP in {1,2} with PP*TP | 16 -> 9 (pp,tp) pairs; EP runs over the
  // powers of two dividing DP*TP = 16/PP (all divide the 64 experts): 16 -> 5 values (1..16),
  // 8 -> 4, 4 -> 3, 2 -> 2, 1 -> 1. TP1: PP 1..16 -> 5+4+3+2+1 = 15; TP2: PP 1..8 -> 5+4+3+2 =
  // 14. 29 (pp,tp,ep) x 2 schedules x 1 SM count = 58.
  CHECK(r.enumerated == 58);
  REQUIRE_FALSE(r.top.empty());
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    const ParallelPlan& p = r.top[i].scenario.plan;
    CHECK(p.pp * p.dp * p.tp == 16);
    CHECK(static_cast<long long>(p.dp) * p.micro_batches * p.micro_batch_size == 64);
    CHECK(r.top[i].result.memory_gib <= r.top[i].result.memory_capacity_gib);
    if (i > 0) {
      CHECK(r.top[i - 1].result.gpu_hours_per_trillion <= r.top[i].result.gpu_hours_per_trillion);
    }
  }
  // The winner's figures are the simulator's for that plan.
  const StoredResult again = evaluate_scenario(r.top[0].scenario, EvaluateOptions{});
  CHECK(again.step_time_ms == r.top[0].result.step_time_ms);
  CHECK_THAT(r.top[0].why, Catch::Contains("headroom"));

  // A budget below the cheapest plan's training-run cost leaves nothing.
  o.budget_usd = 1.0;
  const PlanSearchResult none = search_plans(o);
  CHECK(none.top.empty());
  CHECK(none.over_budget == none.simulated - none.failed);
}

TEST_CASE(
    "plan search: interleaved 1F1B is tried with each virtual-stage count, pairs where EP >= 2",
    "[planner][plan]") {
  PlanSearchOptions o;
  o.model = "deepseek-v2-lite";
  o.gpus = 16;
  o.gpu = "h800-sxm5";
  o.base = hopsim::test::kSweepDir + "tiny.yaml";
  o.schedules = {"interleaved-1f1b"};
  o.virtual_stages = {2};
  o.comm_sms = {16};
  o.tp = {1, 2};
  o.top = 100;
  o.stop_early = false;
  const PlanSearchResult r = search_plans(o);
  // The 29 (pp, tp, ep) of the test above (by hand), each once without pairs and once with them
  // where EP >= 2: every (pp, tp) has exactly one EP of 1, so 9 of the 29 have no pair variant.
  CHECK(r.enumerated == 29 + (29 - 9));
  REQUIRE_FALSE(r.top.empty());
  bool paired = false, unpaired = false;
  for (const auto& c : r.top) {
    const ParallelPlan& p = c.scenario.plan;
    CHECK(p.schedule == ScheduleKind::kInterleaved1F1B);
    CHECK(p.virtual_stages == 2);
    if (p.fb_overlap) CHECK(p.ep >= 2);
    paired = paired || p.fb_overlap;
    unpaired = unpaired || !p.fb_overlap;
    CHECK_THAT(plan_label(c.scenario), Catch::Contains(p.fb_overlap ? " v2 F&B " : " v2 16 SMs"));
  }
  CHECK(paired);
  CHECK(unpaired);
  // The pairs reach the simulator: the same plan without them is another step.
  for (const auto& c : r.top) {
    if (!c.scenario.plan.fb_overlap) continue;
    Scenario without = c.scenario;
    without.plan.fb_overlap = false;
    CHECK(evaluate_scenario(c.scenario, EvaluateOptions{}).step_time_ms == c.result.step_time_ms);
    CHECK(evaluate_scenario(without, EvaluateOptions{}).step_time_ms != c.result.step_time_ms);
    break;
  }
}

namespace {
// DeepSeek-V2-Lite on 16 H800 from its shipped scenario: a few hundred plans, quick on 2 jobs.
PlanSearchOptions v2_lite_search(int top) {
  PlanSearchOptions o;
  o.model = "deepseek-v2-lite";
  o.gpus = 16;
  o.base = "deepseek-v2-lite-16gpu";
  o.top = top;
  o.jobs = 2;
  return o;
}
}  // namespace

TEST_CASE("plan search reports its progress once per simulated plan, from every worker",
          "[planner][plan]") {
  PlanSearchOptions o = v2_lite_search(3);
  std::vector<std::size_t> done;
  std::size_t total = 0;
  o.on_progress = [&](std::size_t d, std::size_t t, double elapsed) {
    done.push_back(d);
    total = t;
    CHECK(elapsed >= 0);
  };
  const PlanSearchResult r = search_plans(o);
  REQUIRE(r.simulated > 0);
  CHECK(total == r.simulated);
  REQUIRE(done.size() == r.simulated);
  for (std::size_t i = 0; i < done.size(); ++i) CHECK(done[i] == i + 1);
}

TEST_CASE("plan search: stopping slow plans early leaves the top list exactly as it was",
          "[planner][plan]") {
  // The bound is the top-th best step of the waves before and a plan stops only once its
  // pipeline (<= its step) passes it, so no plan of the top list can be stopped. Checked
  // against the search that runs every plan to the end.
  PlanSearchOptions o = v2_lite_search(8);
  o.stop_early = false;
  const PlanSearchResult all = search_plans(o);
  o.stop_early = true;
  const PlanSearchResult quick = search_plans(o);
  CHECK(all.stopped_early == 0);
  CHECK(quick.stopped_early > 0);  // otherwise this test checks nothing
  CHECK(quick.simulated == all.simulated);
  // Waves of a fixed size: what stops does not depend on the number of threads.
  o.jobs = 1;
  const PlanSearchResult serial = search_plans(o);
  CHECK(serial.stopped_early == quick.stopped_early);
  CHECK(serial.failed == quick.failed);
  REQUIRE(quick.top.size() == all.top.size());
  for (std::size_t i = 0; i < all.top.size(); ++i) {
    CAPTURE(i);
    CHECK(plan_label(quick.top[i].scenario) == plan_label(all.top[i].scenario));
    CHECK(quick.top[i].result.step_time_ms == all.top[i].result.step_time_ms);
    CHECK(quick.top[i].why == all.top[i].why);
  }
}

TEST_CASE("plan search: interruptions that leave no time on the cluster stop it with their reason",
          "[planner][plan]") {
  // One interruption per 32 GPU-hours, an hour lost each: on 16 GPUs one every 2 hours, half
  // the wall clock trains (by hand); on 32 GPUs one an hour, and nothing does, whatever the plan.
  hopsim::test::TempDir dir("plan-interruptions");
  const auto base = dir / "tiny-interrupted.yaml";
  hopsim::test::write_bytes(base,
                            hopsim::test::read_text(hopsim::test::kSweepDir + "tiny.yaml") +
                                "  interruptions: {gpu_hours_between: 32, minutes_lost: 60}\n");
  PlanSearchOptions o;
  o.model = "deepseek-v2-lite";
  o.gpu = "h800-sxm5";
  o.base = base.string();
  o.schedules = {"1f1b"};
  o.comm_sms = {16};
  o.tp = {1};
  o.gpus = 16;
  const PlanSearchResult ok = search_plans(o);
  REQUIRE_FALSE(ok.top.empty());
  CHECK(ok.top.front().scenario.cost.interruptions.has_value());
  o.gpus = 32;
  try {
    (void)search_plans(o);
    FAIL("a search on a cluster with no time to train must throw");
  } catch (const PlanError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("tiny-interrupted.yaml") != std::string::npos);
    CHECK(what.find("cost.interruptions.minutes_lost") != std::string::npos);
    CHECK(what.find("no time is left to train") != std::string::npos);
  }
}
