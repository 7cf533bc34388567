#include "hopsim/planner/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"

namespace hopsim::planner {

namespace {

struct Variation {
  std::string input;
  std::string low_label, high_label;
  std::function<void(Scenario&)> low, high;
};

std::string pct_label(double f) {
  return fmt("%+.0f%%", 100 * (f - 1));
}

std::vector<Variation> variations(const Scenario& s) {
  std::vector<Variation> v;
  const ParallelPlan& p = s.plan;
  const double price = s.cost.price_per_gpu_hour;
  v.push_back({"price per GPU-hour", fmt("$%.2f", 0.9 * price), fmt("$%.2f", 1.1 * price),
               [](Scenario& x) { x.cost.price_per_gpu_hour *= 0.9; },
               [](Scenario& x) { x.cost.price_per_gpu_hour *= 1.1; }});
  if (p.comm_sms > 0) {
    const int step = std::max(1, s.cluster.gpu.sm_partition_granularity);
    v.push_back({"communication SMs", std::to_string(std::max(1, p.comm_sms - step)),
                 std::to_string(p.comm_sms + step),
                 [step](Scenario& x) { x.plan.comm_sms = std::max(1, x.plan.comm_sms - step); },
                 [step](Scenario& x) { x.plan.comm_sms += step; }});
  }
  if (p.node_limit > 0) {
    v.push_back({"node limit per token", std::to_string(std::max(1, p.node_limit / 2)),
                 std::to_string(p.node_limit * 2),
                 [](Scenario& x) { x.plan.node_limit = std::max(1, x.plan.node_limit / 2); },
                 [](Scenario& x) { x.plan.node_limit *= 2; }});
  }
  v.push_back({"micro-batches per step", std::to_string(p.micro_batches / 2),
               std::to_string(p.micro_batches * 2), [](Scenario& x) { x.plan.micro_batches /= 2; },
               [](Scenario& x) { x.plan.micro_batches *= 2; }});
  // Kernel efficiency: the sustained clock sets every compute-bound kernel's rate.
  v.push_back({"compute rate (sustained clock)", pct_label(0.9), pct_label(1.1),
               [](Scenario& x) { x.cluster.gpu.sustained_clock_mhz *= 0.9; },
               [](Scenario& x) { x.cluster.gpu.sustained_clock_mhz *= 1.1; }});
  v.push_back(
      {"HBM bandwidth", pct_label(0.9), pct_label(1.1),
       [](Scenario& x) { x.cluster.gpu.hbm_bandwidth = x.cluster.gpu.hbm_bandwidth * 0.9; },
       [](Scenario& x) { x.cluster.gpu.hbm_bandwidth = x.cluster.gpu.hbm_bandwidth * 1.1; }});
  v.push_back({"NIC bandwidth", pct_label(0.9), pct_label(1.1),
               [](Scenario& x) {
                 x.cluster.node.nic_unidirectional = x.cluster.node.nic_unidirectional * 0.9;
               },
               [](Scenario& x) {
                 x.cluster.node.nic_unidirectional = x.cluster.node.nic_unidirectional * 1.1;
               }});
  // The loss per job interruption is the least known of the cost inputs (a published bound,
  // docs/CONFIG.md), so it is moved by a factor of two rather than by 10%.
  if (const auto& i = s.cost.interruptions; i && i->minutes_lost > 0) {
    v.push_back({"minutes lost per interruption", fmt("%.3g min", 0.5 * i->minutes_lost),
                 fmt("%.3g min", 2 * i->minutes_lost),
                 [](Scenario& x) { x.cost.interruptions->minutes_lost *= 0.5; },
                 [](Scenario& x) { x.cost.interruptions->minutes_lost *= 2; }});
  }
  return v;
}

}  // namespace

SensitivityStudy sensitivity(const Scenario& scenario, const sim::RunOptions& options) {
  SensitivityStudy out;
  out.base = sim::run_scenario(scenario, options).dollars_per_trillion;
  for (const Variation& v : variations(scenario)) {
    Sensitivity row{v.input, v.low_label, v.high_label, 0, 0, {}};
    auto run = [&](const std::function<void(Scenario&)>& change) {
      Scenario s = scenario;
      change(s);
      try {
        validate_plan(s);
        return sim::run_scenario(s, options).dollars_per_trillion;
      } catch (const PlanError& e) {
        row.note = e.what();  // the side the plan cannot run is left out, with its reason
        return std::numeric_limits<double>::quiet_NaN();
      }
    };
    row.low = run(v.low);
    row.high = run(v.high);
    out.rows.push_back(std::move(row));
  }
  auto swing = [&](const Sensitivity& r) {
    double m = 0;
    for (double x : {r.low, r.high}) {
      if (std::isfinite(x)) m = std::max(m, std::abs(x - out.base));
    }
    return m;
  };
  std::stable_sort(out.rows.begin(), out.rows.end(),
                   [&](const Sensitivity& a, const Sensitivity& b) { return swing(a) > swing(b); });
  return out;
}

}  // namespace hopsim::planner
