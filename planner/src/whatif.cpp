#include "hopsim/planner/whatif.hpp"

#include <cstdio>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"

namespace hopsim::planner {

double WhatIfRow::gap() const {
  return to_seconds(ra.step_time) / to_seconds(rb.step_time) - 1.0;
}

WhatIfStudy run_whatif(const Scenario& base, const Scenario& other,
                       const std::function<sim::RunOptions(const Scenario&)>& options) {
  WhatIfStudy w;
  auto vary = [&](const std::string& group, const std::string& label,
                  const std::function<void(Scenario&)>& f) -> bool {
    WhatIfRow r{group, label, base, other, {}, {}};
    f(r.a);
    f(r.b);
    try {
      r.ra = sim::run_checked(r.a, options(r.a)).result;
      r.rb = sim::run_checked(r.b, options(r.b)).result;
    } catch (const PlanError&) {
      if (w.rows.empty()) throw;  // the scenarios as given must run
      return false;
    }
    w.rows.push_back(std::move(r));
    return true;
  };
  vary("as given", "as in the scenarios", [](Scenario&) {});
  for (auto [k, name] :
       {std::pair{ScheduleKind::k1F1B, "1F1B"}, std::pair{ScheduleKind::kZbH1, "ZB-H1"},
        std::pair{ScheduleKind::kDualPipe, "DualPipe"}}) {
    vary("schedule", name, [k = k](Scenario& s) { use_schedule(s.plan, k); });
  }
  for (int sms : {0, 10, 20, 32}) {
    vary("comm SMs", std::to_string(sms) + " of " + std::to_string(base.cluster.gpu.sms),
         [sms](Scenario& s) { s.plan.comm_sms = sms; });
  }
  for (double nv : {400.0, 900.0}) {
    vary("NVLink", fmt("%.0f GB/s", nv),
         [nv](Scenario& s) { s.cluster.gpu.nvlink_bidirectional = gb_per_s(nv); });
  }
  for (int m : {2, 4, 8}) {
    vary("node limit", "M = " + std::to_string(m), [m](Scenario& s) { s.plan.node_limit = m; });
  }
  // Expert parallelism inside one node puts the whole all-to-all on NVLink; over two nodes,
  // each GPU forwards its own node's tokens and the other node's over NVLink. TP2 adds
  // all-reduces inside a node. These are where the H800's NVLink shows.
  const int gpn = base.cluster.node.gpus_per_node;
  for (int ep : {gpn, 2 * gpn}) {
    if (vary("EP", "EP" + std::to_string(ep) + (ep == gpn ? " (in-node all-to-all)" : " (2 nodes)"),
             [ep, gpn](Scenario& s) {
               s.plan.ep = ep;
               s.plan.node_limit = ep / gpn;
             })) {
      w.nvlink_bound.push_back(w.rows.size() - 1);
    }
  }
  if (base.plan.dp % 2 == 0) {
    if (vary("TP", "TP2 (DP halved)", [](Scenario& s) {
          s.plan.tp = 2;
          s.plan.dp /= 2;
        })) {
      w.nvlink_bound.push_back(w.rows.size() - 1);
    }
  }
  // Without it the reasons would read another row's gap as the unmitigated one.
  if (!vary("no mitigation", "1F1B, 0 comm SMs", [](Scenario& s) {
        use_schedule(s.plan, ScheduleKind::k1F1B);
        s.plan.comm_sms = 0;
      })) {
    throw PlanError(
        "what-if: the plan without its schedule's overlap and SM partitioning (1F1B, 0 comm SMs) "
        "does not run, so the mitigations cannot be weighed");
  }
  w.unmitigated = w.rows.size() - 1;

  // Reasons, from the results.
  const WhatIfRow& r0 = w.rows.front();
  const WhatIfRow& rn = w.rows[w.unmitigated];
  const std::string ga = r0.a.cluster.gpu.name, gb = r0.b.cluster.gpu.name;
  w.reasons.push_back("The " + ga + "'s NVLink costs " + fmt("%.1f%%", 100 * r0.gap()) +
                      " step time against the " + gb + " on the plan as given; without its " +
                      "schedule's overlap and SM partitioning (1F1B, 0 comm SMs) it costs " +
                      fmt("%.1f%%", 100 * rn.gap()) + ".");
  w.reasons.push_back("On the plan as given the all-to-all is bound by " +
                      r0.ra.comm.ep_bottleneck + " at " +
                      fmt("%.1f GB/s", r0.ra.comm.ep_bottleneck_gbps) + " on the " + ga +
                      " and by " + r0.rb.comm.ep_bottleneck + " at " +
                      fmt("%.1f GB/s", r0.rb.comm.ep_bottleneck_gbps) + " on the " + gb +
                      (r0.ra.comm.ep_bottleneck == "nic"
                           ? ": node-limited routing sends each token over the NIC to at "
                             "most M nodes and NVLink only forwards inside a node, so a "
                             "faster NVLink does not shorten it."
                           : ": NVLink is the busiest link, so its bandwidth sets the time."));
  for (std::size_t i : w.nvlink_bound) {
    const WhatIfRow& r = w.rows[i];
    std::string why = r.a.plan.tp > 1
                          ? "each TP all-reduce takes " +
                                fmt("%.0f us", to_us(r.ra.comm.tp_allreduce)) + " on the " + ga +
                                "'s NVLink and " + fmt("%.0f us", to_us(r.rb.comm.tp_allreduce)) +
                                " on the " + gb + "'s, on the critical path"
                          : "all-to-all bound by " + r.ra.comm.ep_bottleneck + " on the " + ga +
                                ", " + r.rb.comm.ep_bottleneck + " on the " + gb;
    w.reasons.push_back(r.label + ": the " + ga + " is " + fmt("%+.1f%%", 100 * r.gap()) +
                        " against the " + gb + " (" + why + ").");
  }
  return w;
}

}  // namespace hopsim::planner
