// The HTML report: one self-contained file (inline CSS, SVG and a sorting script), every number
// also written as an exact data-value so tests and readers can check it against the simulation.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>

#include "hopsim/core/format.hpp"
#include "hopsim/planner/canonical.hpp"
#include "hopsim/planner/plan_search.hpp"
#include "hopsim/planner/published.hpp"
#include "hopsim/planner/report.hpp"
#include "hopsim/planner/svg.hpp"
#include "report_parts.hpp"

namespace hopsim::planner {
namespace {

using namespace report_parts;

std::string exact(double v) {
  return fmt("%.17g", v);
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
  row("interruptions", interruptions_text);
  row("scenario hash", [](const ReportEntry& e) { return e.scenario_hash; });
  row("calibration", [](const ReportEntry& e) { return e.calibration_hash; });
  if (calibrated(r.entries)) {
    row("calibration fitted to", [](const ReportEntry& e) { return e.calibration_fitted_to; });
  }
  row("cost model", [](const ReportEntry& e) { return e.result.cost_source; });
  return s + "</tbody></table>\n";
}

}  // namespace

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
    for (const auto& m : summary_metrics(calibrated(r.entries))) {
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
    for (const auto& e : r.entries) {
      std::string note;
      if (const PublishedRun* p = published_run(e)) {
        note = fmt(p->metric == PublishedMetric::kGpuHoursPerTrillion
                       ? "(%+.1f%% vs published)"
                       : "(%+.1f%% vs published tokens/s)",
                   100 * relative_error(*p, e.result));
      }
      bars.push_back({e.label, e.result.gpu_hours_per_trillion, note});
    }
    const ReportEntry* compared = published_entry(r.entries);
    const PublishedRun* run = compared != nullptr ? published_run(*compared) : nullptr;
    const bool line = run != nullptr && run->metric == PublishedMetric::kGpuHoursPerTrillion;
    s += "<h2>GPU-hours per trillion tokens</h2>\n" +
         svg_bar_chart(bars, "GPU-hours per trillion tokens", line ? run->value : 0,
                       line ? "published: " + grouped(run->value) : std::string());
    // One table per entry that is a published run, each against its own figure.
    bool first_table = true;
    for (const auto& e : r.entries) {
      const PublishedRun* p = published_run(e);
      if (p == nullptr) continue;
      const std::string key = metric_key(p->metric);
      const double pred = predicted_value(*p, e.result);
      const double err = relative_error(*p, e.result);
      // The first table's cells keep the plain ids the report's figures are read by.
      const int idx = first_table ? -1 : static_cast<int>(&e - r.entries.data());
      if (first_table) s += "<h2>Published comparison</h2>\n";
      first_table = false;
      s += "<p>" + html_escape(std::string(p->label)) + ", as " + html_escape(std::string(p->who)) +
           " measured it.</p>\n<table class=\"published\"><thead><tr><th>figure</th><th>" +
           html_escape(metric_name(p->metric)) + "</th></tr></thead><tbody>\n";
      s += "<tr><td>predicted (" + html_escape(e.label) + ")</td>" +
           td_num("predicted_" + key, idx, pred, grouped(pred)) + "</tr>\n";
      s += "<tr><td>published (" + html_escape(std::string(p->source)) + ")</td>" +
           td_num("published_" + key, idx, p->value, grouped(p->value)) + "</tr>\n";
      s += "<tr><td>relative error</td>" +
           td_num("relative_error", idx, err, fmt("%+.1f%%", 100 * err)) + "</tr>\n";
      s += "</tbody></table>\n";
    }
    if (!first_table) {
      s += "<p class=\"note\">Nothing in the simulator is fitted to the published figures; they "
           "are validation targets.</p>\n";
    } else if (compared != nullptr) {
      // A plan of a model with a published run, but not that run: say why there is no error to
      // show, rather than calling a what-if's difference one.
      s += "<h2>Published comparison</h2>\n<p class=\"note\" id=\"not-published\">" +
           html_escape(compared->label + ": " +
                       published_sentence(compared->scenario, compared->result)) +
           "</p>\n";
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
           "F&amp;B pair (DualPipe's, or interleaved 1F1B's with fb_overlap) shows as one "
           "micro-batch's forward beside another's backward "
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

}  // namespace hopsim::planner
