// Tests for planner/src/sensitivity.cpp: the price row against its hand derivation, the order of
// rows, and a variation the plan cannot run.

#include "hopsim/planner/sensitivity.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "hopsim/core/config/loader.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim;
using namespace hopsim::planner;

TEST_CASE("sensitivity: price scales dollars exactly, rows by swing", "[planner][report]") {
  const Scenario s = load_scenario_spec(hopsim::test::kSweepDir + "tiny.yaml");
  const SensitivityStudy st = sensitivity(s);
  CHECK(st.base == Approx(sim::run_scenario(s).dollars_per_trillion));
  const Sensitivity* price = nullptr;
  for (const auto& r : st.rows) {
    if (r.input == "price per GPU-hour") price = &r;
  }
  REQUIRE(price != nullptr);
  // Dollars = GPU-hours x price, and the price moves nothing else.
  CHECK(price->low == Approx(0.9 * st.base));
  CHECK(price->high == Approx(1.1 * st.base));
  // A slower NIC never makes the step cheaper.
  for (const auto& r : st.rows) {
    if (r.input == "NIC bandwidth") {
      CHECK(r.low >= st.base - 1e-6);
      CHECK(r.high <= st.base + 1e-6);
    }
  }
  auto swing = [&](const Sensitivity& r) {
    double m = 0;
    for (double x : {r.low, r.high}) {
      if (std::isfinite(x)) m = std::max(m, std::abs(x - st.base));
    }
    return m;
  };
  for (std::size_t i = 1; i < st.rows.size(); ++i)
    CHECK(swing(st.rows[i - 1]) >= swing(st.rows[i]));
}

TEST_CASE("sensitivity: the loss per interruption moves dollars as the wall clock does",
          "[planner][report]") {
  Scenario s = load_scenario_spec(hopsim::test::kSweepDir + "tiny.yaml");
  const double gpus = s.cluster.num_gpus();
  // One interruption per 10 hours of the job, losing 30 minutes: 5% of the wall clock. Hand
  // derivation: dollars go as 1 / (1 - lost share), so halving the loss (2.5%) and doubling it
  // (10%) scale them by 0.95 / 0.975 and 0.95 / 0.9.
  s.cost.interruptions = Interruptions{10.0 * gpus, 30.0};
  const SensitivityStudy st = sensitivity(s);
  const Sensitivity* lost = nullptr;
  for (const auto& r : st.rows) {
    if (r.input == "minutes lost per interruption") lost = &r;
  }
  REQUIRE(lost != nullptr);
  CHECK(lost->low_label == "15 min");
  CHECK(lost->high_label == "60 min");
  CHECK(lost->low == Approx(st.base * 0.95 / 0.975));
  CHECK(lost->high == Approx(st.base * 0.95 / 0.90));
  // Without interruptions there is nothing to move.
  s.cost.interruptions.reset();
  for (const auto& r : sensitivity(s).rows) CHECK(r.input != "minutes lost per interruption");
}

TEST_CASE("sensitivity: a variation the plan cannot run is left out with its reason",
          "[planner][report]") {
  Scenario s = load_scenario_spec(hopsim::test::kSweepDir + "tiny.yaml");
  s.plan.micro_batches = 2;  // PP 2 with 1F1B: half of it (1) is fewer than PP
  validate_plan(s);
  const SensitivityStudy st = sensitivity(s);
  bool found = false;
  for (const auto& r : st.rows) {
    if (r.input != "micro-batches per step") continue;
    found = true;
    CHECK(std::isnan(r.low));
    CHECK(std::isfinite(r.high));
    CHECK_FALSE(r.note.empty());
  }
  CHECK(found);
}
