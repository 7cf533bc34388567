// Reports read only SimResults and stored rows; every number printed is also written as an
// exact data-value so tests (and readers with devtools) can check it against the simulation.

#include "hopsim/planner/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <regex>
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

namespace hopsim::planner {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string exact(double v) {
  return fmt("%.17g", v);
}

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

//! The same scenario on the other Hopper part, when both profiles ship.
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
  e.scenario_hash = scenario_hash(s);
  e.memory_gib = static_cast<double>(run.memory.total.value()) / kGiB;
  e.memory_capacity_gib = static_cast<double>(run.memory.capacity.value()) / kGiB;
  e.ranks = std::move(run.ranks);
  e.scenario = std::move(s);
  return e;
}

// GPU-hours per 10^12 tokens at the low and the high end of the entry's band.
std::pair<double, double> gpu_hours_band(const ReportEntry& e) {
  const double x = e.result.gpu_hours_per_trillion;
  return {x * (1 - e.uncertainty.relative), x * (1 + e.uncertainty.relative)};
}

// What the band around the cost figures is and where it comes from (entries of one report share
// a calibration, so the first entry's band stands for all).
std::string band_sentence(const std::vector<ReportEntry>& entries) {
  const Uncertainty& u = entries.front().uncertainty;
  return fmt(u.relative < 0.1 ? "Band: each cost figure +/- %.1f%%"
                              : "Band: each cost figure +/- %.0f%%",
             100 * u.relative) +
         " (the GPU-hours rows show it): " + u.source + ".";
}

struct Metric {
  const char* key;
  const char* label;
  std::function<double(const ReportEntry&)> value;
  std::function<std::string(double)> show;
};

std::vector<Metric> summary_metrics() {
  auto g = [](double v) { return grouped(v); };
  auto d2 = [](double v) { return fmt("%.2f", v); };
  auto p1 = [](double v) { return fmt("%.1f%%", 100 * v); };
  auto ms1 = [](double v) { return fmt("%.1f ms", v); };
  auto usd = [](double v) { return "$" + grouped(v); };
  return {
      {"num_gpus", "GPUs",
       [](const ReportEntry& e) { return double(e.scenario.cluster.num_gpus()); }, g},
      {"step_time_ms", "step time", [](const ReportEntry& e) { return to_ms(e.result.step_time); },
       ms1},
      {"tokens_per_second_per_gpu", "tokens/s per GPU",
       [](const ReportEntry& e) { return e.result.tokens_per_second_per_gpu; }, g},
      {"mfu_bf16", "MFU (nominal BF16 peak)",
       [](const ReportEntry& e) { return e.result.mfu_bf16; }, p1},
      {"bubble_fraction", "pipeline bubble",
       [](const ReportEntry& e) { return e.result.bubble_fraction; }, p1},
      {"exposed_comm_fraction", "exposed communication",
       [](const ReportEntry& e) { return e.result.exposed_comm_fraction; }, p1},
      {"memory_gib", "memory per GPU (GiB)", [](const ReportEntry& e) { return e.memory_gib; },
       [](double v) { return fmt("%.1f", v); }},
      {"avg_power_watts", "average power per GPU (W)",
       [](const ReportEntry& e) { return e.result.avg_power_watts; }, g},
      {"gpu_hours_per_trillion", "GPU-hours per 1T tokens",
       [](const ReportEntry& e) { return e.result.gpu_hours_per_trillion; }, g},
      {"gpu_hours_per_trillion_low", "GPU-hours per 1T tokens, low end of the band",
       [](const ReportEntry& e) { return gpu_hours_band(e).first; }, g},
      {"gpu_hours_per_trillion_high", "GPU-hours per 1T tokens, high end of the band",
       [](const ReportEntry& e) { return gpu_hours_band(e).second; }, g},
      {"days_per_trillion", "wall-clock days per 1T tokens",
       [](const ReportEntry& e) { return e.result.days_per_trillion; }, d2},
      {"dollars_per_trillion", "USD per 1T tokens",
       [](const ReportEntry& e) { return e.result.dollars_per_trillion; }, usd},
      {"energy_kwh_per_trillion", "energy per 1T tokens (kWh)",
       [](const ReportEntry& e) { return e.result.energy_kwh_per_trillion; }, g},
      {"run_tokens", "training run: tokens",
       [](const ReportEntry& e) { return whole_run(e).tokens; },
       [](double v) { return fmt("%.3g", v); }},
      {"run_gpu_hours", "training run: GPU-hours",
       [](const ReportEntry& e) { return whole_run(e).gpu_hours; }, g},
      {"run_days", "training run: wall-clock days",
       [](const ReportEntry& e) { return whole_run(e).days; },
       [](double v) { return fmt("%.1f", v); }},
      {"run_dollars", "training run: USD",
       [](const ReportEntry& e) { return whole_run(e).dollars; }, usd},
      {"run_energy_kwh", "training run: energy (kWh)",
       [](const ReportEntry& e) { return whole_run(e).energy_kwh; }, g},
  };
}

const char* kCss = R"(body{font-family:sans-serif;margin:24px auto;max-width:1360px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f2f2f2;cursor:pointer;user-select:none}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.why{max-width:520px;font-size:12px;color:#555}
.note{color:#555;font-size:13px}.bad{color:#c0392b}.ok{color:#1e8449}
code{background:#f4f4f4;padding:1px 4px}.scroll{overflow-x:auto}
)";

// Sorts a table by the clicked column: numbers by data-value when present, else by text.
const char* kSortJs = R"(document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.dataset.asc!=='1';
t.querySelectorAll('th').forEach(function(h){h.dataset.asc='';});th.dataset.asc=asc?'1':'0';
function key(r){var c=r.cells[i],v=c.getAttribute('data-value');
if(v!==null&&v!==''&&!isNaN(parseFloat(v)))return parseFloat(v);return c.textContent;}
rows.sort(function(x,y){var a=key(x),c=key(y);
if(typeof a==='number'&&typeof c==='number')return asc?a-c:c-a;
if(typeof a==='number')return -1;if(typeof c==='number')return 1;
return asc?String(a).localeCompare(String(c)):String(c).localeCompare(String(a));});
rows.forEach(function(r){b.appendChild(r);});});});});
)";

std::string td_num(const std::string& metric, int entry, double v, const std::string& shown) {
  std::string s = "<td class=\"num\" data-metric=\"" + metric + "\"";
  if (entry >= 0) s += " data-entry=\"" + std::to_string(entry) + "\"";
  return s + " data-value=\"" + (std::isfinite(v) ? exact(v) : "") + "\">" + html_escape(shown) +
         "</td>";
}

std::string inputs_table(const Report& r) {
  std::string s = "<table class=\"sortable\"><thead><tr><th>input</th>";
  for (const auto& e : r.entries) s += "<th>" + html_escape(e.label) + "</th>";
  s += "</tr></thead><tbody>\n";
  auto row = [&](const std::string& name, const std::function<std::string(const ReportEntry&)>& f) {
    s += "<tr><td>" + html_escape(name) + "</td>";
    for (const auto& e : r.entries) s += "<td>" + html_escape(f(e)) + "</td>";
    s += "</tr>\n";
  };
  row("scenario file", [](const ReportEntry& e) { return e.scenario.source_path; });
  row("GPU", [](const ReportEntry& e) { return e.scenario.cluster.gpu.name; });
  row("node", [](const ReportEntry& e) { return e.scenario.cluster.node.name; });
  row("fabric", [](const ReportEntry& e) { return e.scenario.cluster.fabric.name; });
  row("nodes", [](const ReportEntry& e) { return std::to_string(e.scenario.cluster.num_nodes); });
  row("NVLink (GB/s, bidirectional)", [](const ReportEntry& e) {
    return fmt("%.0f", e.scenario.cluster.gpu.nvlink_bidirectional.value() / 1e9);
  });
  row("model", [](const ReportEntry& e) { return e.scenario.model.name; });
  row("plan", [](const ReportEntry& e) { return plan_label(e.scenario); });
  row("sequence length",
      [](const ReportEntry& e) { return std::to_string(e.scenario.plan.seq_len); });
  row("GEMM precision",
      [](const ReportEntry& e) { return to_string(e.scenario.plan.gemm_precision); });
  row("price per GPU-hour (USD)", [](const ReportEntry& e) {
    return fmt("%.2f", e.scenario.cost.price_per_gpu_hour) + " (" + e.scenario.cost.price_from +
           ")";
  });
  row("PUE", [](const ReportEntry& e) { return fmt("%.2f", e.scenario.cost.pue); });
  row("training tokens",
      [](const ReportEntry& e) { return fmt("%.3g", e.scenario.cost.training_tokens); });
  row("scenario hash", [](const ReportEntry& e) { return e.scenario_hash; });
  row("calibration", [](const ReportEntry& e) { return e.calibration_hash; });
  row("cost model", [](const ReportEntry& e) { return e.result.cost_source; });
  return s + "</tbody></table>\n";
}

std::string sweep_config_label(const StoredResult& r) {
  try {
    const auto j = nlohmann::ordered_json::parse(r.config);
    std::string s;
    for (const auto& [k, v] : j.items()) {
      const auto dot = k.rfind('.');
      s += (s.empty() ? "" : " ") + (dot == std::string::npos ? k : k.substr(dot + 1)) + "=" +
           v.get<std::string>();
    }
    return s.empty() ? "(base)" : s;
  } catch (const std::exception&) {
    return r.config;
  }
}

//! A stored reason without the "file:line:col: " prefixes the loader puts on each message.
std::string short_reason(const std::string& reason) {
  static const std::regex kPrefix(R"([^ ;]+:[0-9]+:[0-9]+: )");
  return std::regex_replace(reason, kPrefix, "");
}

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

double published_relative_error(double predicted) {
  return predicted / planner::kPublishedH800GpuHoursPerTrillion - 1.0;
}

bool is_h800(const ReportEntry& e) {
  return contains(e.scenario.cluster.gpu.name, "H800");
}

bool comparable_to_published(const ReportEntry& e) {
  return is_h800(e) && e.scenario.model.name == "deepseek-v3";
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
  // H800 first: it is the one compared with the published figure.
  std::stable_partition(r.entries.begin(), r.entries.end(),
                        [](const ReportEntry& e) { return is_h800(e); });
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

std::string render_html(const Report& r, std::string_view user_css) {
  std::string lower(user_css);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (const auto at = lower.find("</style"); at != std::string::npos) {
    throw std::invalid_argument("the stylesheet contains '</style' at byte " + std::to_string(at) +
                                ", which would end the report's <style> element");
  }
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n<title>" +
                  html_escape(r.title) + "</title>\n<style>" + kCss + "</style>\n";
  if (!user_css.empty()) s += "<style id=\"user-css\">\n" + std::string(user_css) + "\n</style>\n";
  s += "</head>\n<body>\n";
  s += "<h1>" + html_escape(r.title) + "</h1>\n";
  s += "<p class=\"note\">Generated by hopsim " + html_escape(r.hopsim_version) +
       ". Predictions from the simulator, not measurements; the inputs and provenance are at the "
       "end. Click a column heading to sort.</p>\n";
  if (!r.entries.empty()) {
    s += "<h2>Cost summary</h2>\n<div class=\"scroll\"><table class=\"sortable\" id=\"summary\">"
         "<thead><tr><th>metric</th>";
    for (const auto& e : r.entries) s += "<th>" + html_escape(e.label) + "</th>";
    s += "</tr></thead><tbody>\n";
    for (const auto& m : summary_metrics()) {
      s += "<tr><td>" + html_escape(m.label) + "</td>";
      for (std::size_t i = 0; i < r.entries.size(); ++i) {
        const double v = m.value(r.entries[i]);
        s += td_num(m.key, static_cast<int>(i), v, m.show(v));
      }
      s += "</tr>\n";
    }
    s += "</tbody></table></div>\n";
    s += "<p class=\"note\" id=\"uncertainty\">" + html_escape(band_sentence(r.entries)) + "</p>\n";
    s += "<p class=\"note\">Per trillion tokens on each cluster as configured; the training run is "
         "each scenario's <code>cost.training_tokens</code>. Energy is GPU power (idle + (TDP - "
         "idle) x compute utilisation) x PUE.</p>\n";
    // A counterpart made from one scenario keeps that scenario's price: say so, rather than let
    // the table suggest a price was looked up for the other GPU.
    for (std::size_t i = 1; i < r.entries.size(); ++i) {
      const auto& a = r.entries[0].scenario;
      const auto& b = r.entries[i].scenario;
      if (a.cluster.gpu.name != b.cluster.gpu.name &&
          a.cost.price_per_gpu_hour == b.cost.price_per_gpu_hour) {
        s += "<p class=\"note\">" + html_escape(r.entries[i].label) + " is priced at " +
             fmt("$%.2f", b.cost.price_per_gpu_hour) + " per GPU-hour like " +
             html_escape(r.entries[0].label) + " (" + html_escape(b.cost.price_from) +
             "): only the H800 profile cites a price (the DeepSeek-V3 report's $2), so a "
             "price the scenario states, or the default, applies to both; set "
             "<code>price_per_gpu_hour</code> in a GPU profile (or <code>cost</code> in a "
             "scenario per GPU) to compare prices.</p>\n";
      }
    }

    std::vector<Bar> bars;
    const ReportEntry* h800 = nullptr;
    for (const auto& e : r.entries) {
      std::string note;
      if (comparable_to_published(e)) {
        note = fmt("(%+.1f%% vs published)",
                   100 * published_relative_error(e.result.gpu_hours_per_trillion));
        if (h800 == nullptr) h800 = &e;
      }
      bars.push_back({e.label, e.result.gpu_hours_per_trillion, note});
    }
    s += "<h2>GPU-hours per trillion tokens</h2>\n" +
         svg_bar_chart(bars, "GPU-hours per trillion tokens",
                       h800 != nullptr ? planner::kPublishedH800GpuHoursPerTrillion : 0,
                       "published H800: 180,000");
    if (h800 != nullptr) {
      const double pred = h800->result.gpu_hours_per_trillion;
      const double err = published_relative_error(pred);
      s += "<h2>Published comparison</h2>\n<table id=\"published\"><thead><tr><th>figure</th>"
           "<th>H800 GPU-hours per 1T tokens</th></tr></thead><tbody>\n";
      s += "<tr><td>predicted (" + html_escape(h800->label) + ")</td>" +
           td_num("predicted_gpu_hours_per_trillion", -1, pred, grouped(pred)) + "</tr>\n";
      s +=
          "<tr><td>published (DeepSeek-V3 report §1, Table 1, p.5)</td>" +
          td_num("published_gpu_hours_per_trillion", -1, planner::kPublishedH800GpuHoursPerTrillion,
                 grouped(planner::kPublishedH800GpuHoursPerTrillion)) +
          "</tr>\n";
      s += "<tr><td>relative error</td>" +
           td_num("relative_error", -1, err, fmt("%+.1f%%", 100 * err)) + "</tr>\n";
      s += "</tbody></table>\n<p class=\"note\">Nothing in the simulator is fitted to the "
           "published figure; it is a validation target.</p>\n";
    }
    {
      std::vector<StackedBar> stacks;
      for (const auto& e : r.entries) {
        const StepBreakdown b = step_breakdown(e.result);
        stacks.push_back({e.label,
                          {{"compute", b.compute_ms},
                           {"pipeline bubble", b.bubble_ms},
                           {"exposed communication", b.exposed_comm_ms},
                           {"DP gradient sync (exposed)", b.dp_ms},
                           {"optimizer + ZeRO all-gather", b.optimizer_ms}},
                          "ms"});
      }
      s += "<h2>Where the step goes</h2>\n<p class=\"note\">Per step, mean over pipeline ranks: "
           "the compute SM partition busy, idle in the pipeline bubble, idle while communication "
           "it waits for runs (exposed), then the DP gradient sync the pipeline did not hide and "
           "the optimizer step. Hover a segment for its value.</p>\n" +
           svg_stacked_bars(stacks, "ms per step");
      s += "<h2>Why the interconnect matters or not</h2>\n";
      const ReportEntry* other = r.entries.size() == 2 ? &r.entries[1] : nullptr;
      s += "<p id=\"bottleneck\">" + html_escape(bottleneck_explanation(r.entries[0], other)) +
           "</p>\n";
      for (std::size_t i = 1; i < r.entries.size(); ++i) {
        s += "<p>" + html_escape(bottleneck_explanation(r.entries[i])) + "</p>\n";
      }
    }
    if (!r.sensitivity.rows.empty()) {
      std::vector<TornadoRow> rows;
      std::string notes;
      for (const auto& x : r.sensitivity.rows) {
        rows.push_back({x.input, x.low_label, x.high_label, x.low, x.high});
        if (!x.note.empty()) notes += " " + x.input + ": " + x.note + ".";
      }
      s += "<h2>Sensitivity: " + html_escape(r.entries.front().label) +
           "</h2>\n<p class=\"note\">"
           "USD per 10<sup>12</sup> tokens with one input moved at a time, everything else as "
           "planned (light: the lower value, dark: the higher). Compute rate moves every "
           "compute-bound kernel through the sustained clock; price moves dollars only." +
           html_escape(notes.empty() ? std::string() : " Not runnable:" + notes) + "</p>\n" +
           svg_tornado(rows, r.sensitivity.base, "USD per trillion tokens");
    }
    if (!r.entries.front().ranks.empty()) {
      const ReportEntry& e = r.entries.front();
      std::vector<StackedBar> stacks;
      for (const MemoryBreakdown& m : e.ranks) {
        auto gib = [](Bytes b) { return static_cast<double>(b.value()) / kGiB; };
        stacks.push_back({"pipeline rank " + std::to_string(m.rank),
                          {{"weights", gib(m.weights)},
                           {"gradients", gib(m.gradients)},
                           {"master weights", gib(m.master_weights)},
                           {"optimizer moments", gib(m.optimizer_moments)},
                           {"activations", gib(m.activations)},
                           {"reserve", gib(m.reserve)}},
                          m.fits ? "GiB" : "GiB, does not fit"});
      }
      s += "<h2>Memory per pipeline rank: " + html_escape(e.label) + "</h2>\n" +
           svg_stacked_bars(stacks, "GiB per GPU", e.memory_capacity_gib,
                            fmt("HBM %.1f GiB", e.memory_capacity_gib));
    }
    if (!r.timeline_svg.empty()) {
      s += "<h2>Timeline of one step: " + html_escape(r.timeline_label) + "</h2>\n";
      s += "<p class=\"note\">Each pipeline rank's compute and communication SM partitions and "
           "its DP / optimizer lane, as the simulator ran them: forward, backward and weight "
           "gradient in distinct colours, DualPipe's second direction lighter. PP sends and the "
           "per-link lanes are in the full trace (<code>hopsim run --trace</code>, opened in "
           "Perfetto). Neighbouring slices narrower than a pixel are drawn joined.</p>\n"
           "<div class=\"scroll\">" +
           r.timeline_svg + "</div>\n";
    }
    if (!r.timeline_zoom_svg.empty()) {
      s += "<h2>Zoomed: " + fmt("%.0f", r.zoom_from_ms) + "&ndash;" + fmt("%.0f", r.zoom_to_ms) +
           " ms of the same step</h2>\n";
      s += "<p class=\"note\">The middle of the step, where every rank is in its steady state: "
           "each compute slice is labelled with its micro-batch (where the label fits), so a "
           "DualPipe F&amp;B pair shows as one micro-batch's forward beside another's backward "
           "and weight gradient, with the EP all-to-all on the communication partition under "
           "them.</p>\n<div class=\"scroll\">" +
           r.timeline_zoom_svg + "</div>\n";
    }
    s += "<h2>Inputs and provenance</h2>\n<div class=\"scroll\">" + inputs_table(r) + "</div>\n";
    for (const auto& e : r.entries) {
      for (const auto& w : e.result.warnings) {
        s += "<p class=\"note bad\">" + html_escape(e.label) + ": " + html_escape(w) + "</p>\n";
      }
    }
  }
  if (!r.sweep_rows.empty() || !r.sweep_meta.empty()) {
    std::map<std::string, int> counts;
    std::vector<const StoredResult*> ok;
    for (const auto& row : r.sweep_rows) {
      ++counts[row.status];
      if (row.status == "ok") ok.push_back(&row);
    }
    std::sort(ok.begin(), ok.end(), [](const StoredResult* a, const StoredResult* b) {
      return a->gpu_hours_per_trillion < b->gpu_hours_per_trillion;
    });
    s += "<h2>Sweep</h2>\n<p>" + std::to_string(r.sweep_rows.size()) + " configurations:";
    for (const auto& [k, v] : counts) {
      s += " <span data-metric=\"count_" + k + "\" data-value=\"" + std::to_string(v) + "\">" +
           std::to_string(v) + " " + k + "</span>";
    }
    s += ".</p>\n";
    if (!ok.empty()) {
      std::vector<Bar> bars;
      for (std::size_t i = 0; i < ok.size() && i < 20; ++i) {
        bars.push_back({sweep_config_label(*ok[i]), ok[i]->gpu_hours_per_trillion, ""});
      }
      s += "<h2>Cheapest configurations (GPU-hours per trillion tokens)</h2>\n" +
           svg_bar_chart(bars, "GPU-hours per trillion tokens");
    }
    s += "<h2>All configurations</h2>\n<div class=\"scroll\"><table class=\"sortable\" "
         "id=\"sweep\"><thead><tr><th>#</th><th>configuration</th><th>status</th><th>step ms</th>"
         "<th>GPU-h / 1T</th><th>days / 1T</th><th>USD / 1T</th><th>kWh / 1T</th><th>training run "
         "USD</th><th>MFU</th><th>memory GiB</th><th>reason</th></tr></thead><tbody>\n";
    for (const auto& row : r.sweep_rows) {
      const double run_usd = row.dollars_per_trillion * row.training_tokens / 1e12;
      s += "<tr><td class=\"num\" data-value=\"" + std::to_string(row.index) + "\">" +
           std::to_string(row.index) + "</td><td>" + html_escape(sweep_config_label(row)) +
           "</td><td class=\"" + (row.status == "ok" ? "ok" : "bad") + "\">" + row.status +
           "</td>" +
           td_num("step_time_ms", -1, row.step_time_ms,
                  std::isfinite(row.step_time_ms) ? fmt("%.1f", row.step_time_ms) : "-") +
           td_num("gpu_hours_per_trillion", -1, row.gpu_hours_per_trillion,
                  grouped(row.gpu_hours_per_trillion)) +
           td_num("days_per_trillion", -1, row.days_per_trillion,
                  std::isfinite(row.days_per_trillion) ? fmt("%.2f", row.days_per_trillion) : "-") +
           td_num("dollars_per_trillion", -1, row.dollars_per_trillion,
                  grouped(row.dollars_per_trillion)) +
           td_num("energy_kwh_per_trillion", -1, row.energy_kwh_per_trillion,
                  grouped(row.energy_kwh_per_trillion)) +
           td_num("run_dollars", -1, run_usd, grouped(run_usd)) +
           td_num("mfu_bf16", -1, row.mfu_bf16,
                  std::isfinite(row.mfu_bf16) ? fmt("%.1f%%", 100 * row.mfu_bf16) : "-") +
           td_num("memory_gib", -1, row.memory_gib,
                  std::isfinite(row.memory_gib) ? fmt("%.1f", row.memory_gib) : "-") +
           "<td class=\"why\">" + html_escape(short_reason(row.reason)) + "</td></tr>\n";
    }
    s += "</tbody></table></div>\n<h2>Provenance</h2>\n<table><tbody>\n";
    s += "<tr><td>database</td><td>" + html_escape(r.sweep_source) + "</td></tr>\n";
    for (const auto& [k, v] : r.sweep_meta) {
      s += "<tr><td>" + html_escape(k) + "</td><td>" + html_escape(v) + "</td></tr>\n";
    }
    s += "</tbody></table>\n";
  }
  s += "<script>" + std::string(kSortJs) + "</script>\n</body></html>\n";
  return s;
}

// Every text from an input (scenario names, sweep values, reasons, metadata) goes through
// markdown_escape(): a name like "a|b<script>" must render as text, not split a table or inject
// HTML into whatever renders the report.
std::string render_markdown(const Report& r) {
  std::string s = "# " + markdown_escape(r.title) + "\n\nGenerated by hopsim " + r.hopsim_version +
                  ". Predictions from the simulator, not measurements.\n\n";
  if (!r.entries.empty()) {
    s += "## Cost summary\n\n| metric |";
    for (const auto& e : r.entries) s += " " + markdown_escape(e.label) + " |";
    s += "\n|---|";
    for (std::size_t i = 0; i < r.entries.size(); ++i) s += "---:|";
    s += "\n";
    for (const auto& m : summary_metrics()) {
      s += std::string("| ") + m.label + " |";
      for (const auto& e : r.entries) s += " " + m.show(m.value(e)) + " |";
      s += "\n";
    }
    s += "\n" + markdown_escape(band_sentence(r.entries)) + "\n";
    for (const auto& e : r.entries) {
      if (!comparable_to_published(e)) continue;
      const double pred = e.result.gpu_hours_per_trillion;
      s += "\n## Published comparison\n\nPredicted " + grouped(pred) +
           " H800 GPU-hours per trillion tokens (" + markdown_escape(e.label) +
           ") vs the published 180,000 (DeepSeek-V3 report §1, p.5): " +
           fmt("%+.1f%%", 100 * published_relative_error(pred)) + ".\n";
      break;
    }
    s += "\n## Where the step goes (ms)\n\n| | compute | pipeline bubble | exposed communication | "
         "DP sync (exposed) | optimizer + ZeRO AG |\n|---|---:|---:|---:|---:|---:|\n";
    for (const auto& e : r.entries) {
      const StepBreakdown b = step_breakdown(e.result);
      s += "| " + markdown_escape(e.label) + " | " + fmt("%.1f", b.compute_ms) + " | " +
           fmt("%.1f", b.bubble_ms) + " | " + fmt("%.1f", b.exposed_comm_ms) + " | " +
           fmt("%.1f", b.dp_ms) + " | " + fmt("%.1f", b.optimizer_ms) + " |\n";
    }
    s += "\n## Why the interconnect matters or not\n\n" +
         markdown_escape(bottleneck_explanation(r.entries[0],
                                                r.entries.size() == 2 ? &r.entries[1] : nullptr)) +
         "\n";
    if (!r.sensitivity.rows.empty()) {
      s += "\n## Sensitivity (USD per 1T tokens; as planned " + grouped(r.sensitivity.base) +
           ")\n\n| input | lower | USD | higher | USD |\n|---|---|---:|---|---:|\n";
      for (const auto& x : r.sensitivity.rows) {
        auto v = [](double d) { return std::isfinite(d) ? grouped(d) : std::string("-"); };
        s += "| " + markdown_escape(x.input) + " | " + markdown_escape(x.low_label) + " | " +
             v(x.low) + " | " + markdown_escape(x.high_label) + " | " + v(x.high) + " |\n";
      }
    }
    s += "\n## Inputs and provenance\n\n| | ";
    for (const auto& e : r.entries) s += markdown_escape(e.label) + " | ";
    s += "\n|---|";
    for (std::size_t i = 0; i < r.entries.size(); ++i) s += "---|";
    s += "\n| plan | ";
    for (const auto& e : r.entries) s += markdown_escape(plan_label(e.scenario)) + " | ";
    s += "\n| scenario hash | ";
    for (const auto& e : r.entries) s += markdown_escape(e.scenario_hash) + " | ";
    s += "\n| calibration | ";
    for (const auto& e : r.entries) s += markdown_escape(e.calibration_hash) + " | ";
    s += "\n";
  }
  if (!r.sweep_rows.empty()) {
    s += "## Sweep (" + std::to_string(r.sweep_rows.size()) + " configurations)\n\n";
    s += "| # | configuration | status | step ms | GPU-h / 1T | USD / 1T | kWh / 1T | reason |\n";
    s += "|---:|---|---|---:|---:|---:|---:|---|\n";
    for (const auto& row : r.sweep_rows) {
      const std::string reason = markdown_escape(short_reason(row.reason));
      s += "| " + std::to_string(row.index) + " | " + markdown_escape(sweep_config_label(row)) +
           " | " + markdown_escape(row.status) + " | " +
           (std::isfinite(row.step_time_ms) ? fmt("%.1f", row.step_time_ms) : "-") + " | " +
           grouped(row.gpu_hours_per_trillion) + " | " + grouped(row.dollars_per_trillion) + " | " +
           grouped(row.energy_kwh_per_trillion) + " | " + reason + " |\n";
    }
    s += "\n";
    for (const auto& [k, v] : r.sweep_meta) {
      s += "- " + markdown_escape(k) + ": " + markdown_escape(v) + "\n";
    }
  }
  return s;
}

nlohmann::ordered_json render_json(const Report& r) {
  using J = nlohmann::ordered_json;
  J j;
  j["title"] = r.title;
  j["hopsim_version"] = r.hopsim_version;
  j["entries"] = J::array();
  for (const auto& e : r.entries) {
    const WholeRun w = whole_run(e);
    J x;
    x["label"] = e.label;
    x["scenario_hash"] = e.scenario_hash;
    x["calibration_hash"] = e.calibration_hash;
    x["plan"] = plan_label(e.scenario);
    x["memory_gib"] = e.memory_gib;
    const StepBreakdown b = step_breakdown(e.result);
    auto ns = [](double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); };
    x["step_breakdown_ns"] = {{"compute", ns(b.compute_ms)},
                              {"pipeline_bubble", ns(b.bubble_ms)},
                              {"exposed_communication", ns(b.exposed_comm_ms)},
                              {"dp_sync_exposed", ns(b.dp_ms)},
                              {"optimizer", ns(b.optimizer_ms)}};
    x["bottleneck"] = bottleneck_explanation(e);
    x["result"] = sim::to_json(e.result);
    x["training_run"] = {{"tokens", w.tokens},
                         {"gpu_hours", w.gpu_hours},
                         {"days", w.days},
                         {"dollars", w.dollars},
                         {"energy_kwh", w.energy_kwh}};
    const auto [low, high] = gpu_hours_band(e);
    x["uncertainty"] = {{"relative", e.uncertainty.relative},
                        {"source", e.uncertainty.source},
                        {"gpu_hours_per_trillion_low", low},
                        {"gpu_hours_per_trillion_high", high}};
    if (comparable_to_published(e)) {
      x["published_gpu_hours_per_trillion"] = planner::kPublishedH800GpuHoursPerTrillion;
      x["relative_error"] = published_relative_error(e.result.gpu_hours_per_trillion);
    }
    j["entries"].push_back(x);
  }
  if (!r.sensitivity.rows.empty()) {
    j["sensitivity"]["base_dollars_per_trillion"] = r.sensitivity.base;
    j["sensitivity"]["rows"] = J::array();
    for (const auto& x : r.sensitivity.rows) {
      j["sensitivity"]["rows"].push_back(
          {{"input", x.input},
           {"low", x.low_label},
           {"low_dollars_per_trillion", std::isfinite(x.low) ? J(x.low) : J(nullptr)},
           {"high", x.high_label},
           {"high_dollars_per_trillion", std::isfinite(x.high) ? J(x.high) : J(nullptr)},
           {"note", x.note}});
    }
  }
  if (!r.sweep_rows.empty() || !r.sweep_meta.empty()) {
    j["sweep"]["meta"] = r.sweep_meta;
    j["sweep"]["rows"] = J::array();
    for (const auto& row : r.sweep_rows) {
      J x;
      x["index"] = row.index;
      x["key"] = row.key;
      x["config"] = J::parse(row.config);
      x["status"] = row.status;
      x["reason"] = row.reason;
      for (const auto& m : metric_columns()) {
        const double v = row.*m.member;
        x[m.name] = std::isfinite(v) ? J(v) : J(nullptr);
      }
      j["sweep"]["rows"].push_back(x);
    }
  }
  return j;
}

}  // namespace hopsim::planner
