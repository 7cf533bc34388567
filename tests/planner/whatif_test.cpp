#include "hopsim/planner/whatif.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "hopsim/core/config/loader.hpp"

using namespace hopsim;

namespace {
const planner::WhatIfRow* find(const planner::WhatIfStudy& w, const std::string& label) {
  for (const auto& r : w.rows) {
    if (r.label.rfind(label, 0) == 0) return &r;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("whatif: H800 vs H100 on the shipped DeepSeek-V3 scenarios", "[planner][whatif]") {
  // Validation of direction, not of size: both GPUs have the same SMs, clocks and HBM
  // (DeepSeek-V3 report §3.1; NVIDIA H100 datasheet), so only NVLink (400 vs 900 GB/s) differs.
  // With the all-to-all bound by the 50 GB/s NIC the H800 may be at most marginally slower; where
  // the traffic stays on NVLink (EP inside a node, TP2) it must be slower.
  const Scenario h800 = load_scenario_spec("deepseek-v3-h800");
  const Scenario h100 = load_scenario_spec("deepseek-v3-h100");
  const auto w = planner::run_whatif(h800, h100, [](const Scenario&) { return sim::RunOptions{}; });
  REQUIRE(w.rows.size() > 10);
  CHECK(w.rows.front().group == "as given");
  CHECK(w.rows.front().gap() >= 0.0);
  CHECK(w.rows.front().gap() < 0.01);
  CHECK(w.rows.front().ra.comm.ep_bottleneck == "nic");
  for (const char* label : {"EP8", "EP16", "TP2"}) {
    const auto* r = find(w, label);
    REQUIRE(r != nullptr);
    INFO(label << ": gap " << r->gap());
    CHECK(r->gap() > 0.005);
  }
  REQUIRE(w.nvlink_bound.size() == 3);
  CHECK(w.rows[w.unmitigated].a.plan.comm_sms == 0);
  CHECK(w.rows[w.unmitigated].ra.step_time > w.rows.front().ra.step_time);
  REQUIRE(w.reasons.size() == 5);
  CHECK(w.reasons[1].find("nic") != std::string::npos);
}
