// Reports read only SimResults and stored rows; every number printed is also written as an
// exact data-value so tests (and readers with devtools) can check it against the simulation.

#include "hopsim/planner/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/overrides.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/planner/canonical.hpp"
#include "hopsim/planner/plan_search.hpp"
#include "hopsim/planner/published.hpp"
#include "hopsim/planner/svg.hpp"
#include "hopsim/planner/sweep.hpp"
#include "hopsim/sim/runner/result_json.hpp"
#include "hopsim/sim/runner/runner.hpp"
#include "report_parts.hpp"

namespace hopsim::planner {
namespace {

using report_parts::contains;
using report_parts::kGiB;

std::vector<ScenarioOverride> counterpart_of(const Scenario& s) {
  const auto gpus = shipped_profiles("gpus");
  const auto nodes = shipped_profiles("nodes");
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::string gpu;
  std::string node;
  if (contains(s.cluster.gpu.name, "H800")) {
    gpu = "h100-sxm5";
    node = "hgx-h100-8gpu";
  } else if (contains(s.cluster.gpu.name, "H100")) {
    gpu = "h800-sxm5";
    node = "hgx-h800-8gpu";
  }
  if (gpu.empty() || !has(gpus, gpu) || !has(nodes, node)) return {};
  return {{"hardware.gpu", gpu}, {"hardware.node", node}};
}

// Entries and the timeline run with the same options, calibration included.
sim::RunOptions run_options(const Scenario& s, const ReportOptions& o) {
  sim::RunOptions ro;
  ro.mode = o.mode;
  if (o.calibration.cost_for) ro.cost = o.calibration.cost_for(s.cluster.gpu);
  return ro;
}

ReportEntry make_entry(Scenario s, const std::string& label, const ReportOptions& o) {
  ReportEntry e;
  e.label = label;
  sim::CheckedRun run = sim::run_checked(s, run_options(s, o));
  e.result = std::move(run.result);
  e.calibration_hash = o.calibration.hash;
  e.uncertainty = o.calibration.uncertainty;
  if (o.calibration.cost_for) {
    // Calibrated and uncalibrated side by side: the same scenario with the default cost model.
    sim::RunOptions plain;
    plain.mode = o.mode;
    e.uncalibrated = sim::run_scenario(s, plain);
    e.calibration_fitted_to = o.calibration.fitted_to;
  }
  e.scenario_hash = scenario_hash(s);
  e.memory_gib = static_cast<double>(run.memory.total.value()) / kGiB;
  e.memory_capacity_gib = static_cast<double>(run.memory.capacity.value()) / kGiB;
  e.ranks = std::move(run.ranks);
  e.scenario = std::move(s);
  return e;
}

// GPU-hours per 10^12 tokens at the low and the high end of the entry's band.

}  // namespace

WholeRun whole_run(const Scenario& s, const sim::SimResult& r) {
  WholeRun w;
  w.tokens = s.cost.training_tokens;
  const double t = w.tokens / 1e12;
  w.gpu_hours = r.gpu_hours_per_trillion * t;
  w.days = r.days_per_trillion * t;
  w.dollars = r.dollars_per_trillion * t;
  w.energy_kwh = r.energy_kwh_per_trillion * t;
  return w;
}

WholeRun whole_run(const ReportEntry& e) {
  return whole_run(e.scenario, e.result);
}

bool is_h800(const ReportEntry& e) {
  return contains(e.scenario.cluster.gpu.name, "H800");
}

const PublishedRun* published_run(const ReportEntry& e) {
  return published_run_of(e.scenario);
}

StepBreakdown step_breakdown(const sim::SimResult& r) {
  // The runner's fractions are of the whole step: compute utilisation (mean over ranks), bubble
  // and exposed communication split the pipeline; DP and optimizer follow it.
  const double step = to_ms(r.step_time);
  StepBreakdown b;
  b.dp_ms = to_ms(r.dp_exposed);
  b.optimizer_ms = to_ms(r.optimizer_time);
  b.bubble_ms = r.bubble_fraction * step;
  b.exposed_comm_ms = r.exposed_comm_fraction * step;
  b.compute_ms = std::max(0.0, step - b.dp_ms - b.optimizer_ms - b.bubble_ms - b.exposed_comm_ms);
  return b;
}

std::string bottleneck_explanation(const ReportEntry& e, const ReportEntry* other) {
  const sim::CommTimes& c = e.result.comm;
  if (c.dispatch.value() == 0 && c.combine.value() == 0) {
    return e.label +
           ": no expert-parallel all-to-all (EP 1), so NVLink carries only TP and "
           "intra-node PP/DP traffic.";
  }
  const bool nic = c.ep_bottleneck != "nvlink";
  const double nvlink = e.scenario.cluster.gpu.nvlink_bidirectional.value() / 1e9;
  std::string s = e.label + ": each MoE layer's forward dispatch takes " +
                  fmt("%.2f", to_ms(c.dispatch)) + " ms and its combine " +
                  fmt("%.2f", to_ms(c.combine)) + " ms; the all-to-all is bound by " +
                  (nic ? "the scale-out NIC (tokens for other nodes)"
                       : "NVLink (tokens for GPUs of the same node)") +
                  " at " + fmt("%.1f", c.ep_bottleneck_gbps) + " GB/s per GPU";
  s += nic ? ", not by NVLink (" + fmt("%.0f", nvlink) +
                 " GB/s bidirectional), so a faster NVLink shortens it little."
           : ", so the NVLink bandwidth sets its length.";
  const double comm = e.result.comm_utilisation;
  if (comm > 0) {
    s += " In this plan " +
         fmt("%.0f", 100 * std::max(0.0, 1 - e.result.exposed_comm_fraction / comm)) +
         "% of the communication partition's busy time is hidden behind compute.";
  }
  if (other != nullptr) {
    const double d = to_ms(other->result.step_time) / to_ms(e.result.step_time) - 1;
    s += " The same plan on " + other->scenario.cluster.gpu.name + " (NVLink " +
         fmt("%.0f", other->scenario.cluster.gpu.nvlink_bidirectional.value() / 1e9) +
         " GB/s) takes " + fmt("%.1f", to_ms(other->result.step_time)) +
         " ms per step instead of " + fmt("%.1f", to_ms(e.result.step_time)) + " (" +
         fmt("%+.2f", 100 * d) + "%); its forward dispatch + combine per layer " +
         fmt("%.2f", to_ms(other->result.comm.dispatch + other->result.comm.combine)) +
         " ms instead of " + fmt("%.2f", to_ms(c.dispatch + c.combine)) + ".";
  }
  return s;
}

Report scenario_report(const std::vector<std::string>& specs, const ReportOptions& o) {
  std::vector<ScenarioTemplate> scenarios;
  for (const auto& spec : specs) scenarios.emplace_back(spec);
  return scenario_report_of(scenarios, o);
}

Report scenario_report_of(const std::vector<ScenarioTemplate>& scenarios, const ReportOptions& o) {
  Report r;
  r.hopsim_version = hopsim_version();
  for (const ScenarioTemplate& t : scenarios) {
    Scenario s = t.instantiate({});
    const std::string label = s.name + " (" + s.cluster.gpu.name + ")";
    r.entries.push_back(make_entry(s, label, o));
    if (scenarios.size() == 1 && o.counterpart) {
      const auto ov = counterpart_of(s);
      if (!ov.empty()) {
        Scenario c = t.instantiate(ov);
        const std::string clabel = c.name + " on " + c.cluster.gpu.name + " (same plan)";
        r.entries.push_back(make_entry(std::move(c), clabel, o));
      }
    }
  }
  // Runs a published figure measured first (they are compared with it), then H800s.
  std::stable_partition(r.entries.begin(), r.entries.end(),
                        [](const ReportEntry& e) { return is_h800(e); });
  std::stable_partition(r.entries.begin(), r.entries.end(),
                        [](const ReportEntry& e) { return published_run(e) != nullptr; });
  r.title = "hopsim cost report: " + r.entries.front().scenario.name;
  if (o.sensitivity && !r.entries.empty()) {
    r.sensitivity =
        sensitivity(r.entries.front().scenario, run_options(r.entries.front().scenario, o));
  }
  if (o.timeline && !r.entries.empty()) {
    std::ostringstream trace;
    sim::RunOptions ro = run_options(r.entries.front().scenario, o);
    ro.trace = &trace;
    const sim::SimResult res = sim::run_scenario(r.entries.front().scenario, ro);
    const double makespan_us = static_cast<double>(res.pipeline_time.value()) / 1e3;
    // Join slices closer than a third of a pixel (1000 px across the step).
    const auto lanes = gantt_from_chrome_trace(trace.str(), makespan_us / 3000.0);
    r.timeline_svg = svg_gantt(lanes, makespan_us);
    r.timeline_label = r.entries.front().label;
    // Zoomed: three F&B pairs (or a tenth of the pipeline) around the middle of the step, where
    // every rank is in its steady state, each compute slice labelled with its micro-batch.
    std::vector<Nanoseconds> pairs;
    for (Nanoseconds t : res.pair_time_per_rank) {
      if (t.value() > 0) pairs.push_back(t);
    }
    double width_us = makespan_us / 10;
    if (!pairs.empty()) {
      std::nth_element(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(pairs.size() / 2),
                       pairs.end());
      width_us = 3.0 * static_cast<double>(pairs[pairs.size() / 2].value()) / 1e3;
    }
    GanttWindow zoom;
    zoom.from_us = std::max(0.0, makespan_us / 2 - width_us / 2);
    zoom.to_us = std::min(makespan_us, zoom.from_us + width_us);
    zoom.label_micro_batches = true;
    const auto zoomed = gantt_from_chrome_trace(trace.str(), width_us / 3000.0, zoom);
    r.timeline_zoom_svg = svg_gantt(zoomed, makespan_us, zoom);
    r.zoom_from_ms = zoom.from_us / 1e3;
    r.zoom_to_ms = zoom.to_us / 1e3;
  }
  return r;
}

Report sweep_report(const ResultsStore& store) {
  Report r;
  r.hopsim_version = hopsim_version();
  r.sweep_rows = store.rows();
  r.sweep_meta = store.meta();
  r.sweep_source = store.path().string();
  const auto it = r.sweep_meta.find("sweep_name");
  r.title = "hopsim sweep report: " +
            (it != r.sweep_meta.end() ? it->second : store.path().stem().string());
  return r;
}

}  // namespace hopsim::planner
