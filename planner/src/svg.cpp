// Charts are written as plain SVG elements with fixed geometry, so a report opens the same in
// any browser with no network; text uses generic font families only.

#include "hopsim/planner/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "hopsim/core/format.hpp"

namespace hopsim::planner {
namespace {

std::string f1(double v) {
  char b[48];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

const char* color_of(const std::string& cat) {
  if (cat == "compute") return "#4878d0";
  if (cat == "ep_comm") return "#ee854a";
  if (cat == "pp_comm") return "#6acc64";
  if (cat == "dp_comm") return "#956cb4";
  return "#8c8c8c";
}

double nice_step(double range) {
  const double raw = range / 5;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string svg_bar_chart(const std::vector<Bar>& bars, const std::string& unit, double reference,
                          const std::string& reference_label) {
  constexpr double kLabelW = 330;
  constexpr double kPlotW = 560;
  constexpr double kRowH = 26;
  constexpr double kTop = 28;
  double vmax = reference;
  for (const auto& b : bars) vmax = std::max(vmax, b.value);
  if (vmax <= 0) vmax = 1;
  vmax *= 1.08;
  const double h = kTop + kRowH * static_cast<double>(bars.size()) + 34;
  const double w = kLabelW + kPlotW + 200;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" + f1(w) +
                  "\" height=\"" + f1(h) + "\" viewBox=\"0 0 " + f1(w) + " " + f1(h) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  const double step = nice_step(vmax);
  for (double t = 0; t <= vmax; t += step) {
    const double x = kLabelW + kPlotW * t / vmax;
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(kTop - 6) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(h - 28) + "\" stroke=\"#ddd\"/>\n";
    s += "<text x=\"" + f1(x) + "\" y=\"" + f1(h - 14) +
         "\" text-anchor=\"middle\" fill=\"#555\">" + grouped(t) + "</text>\n";
  }
  s += "<text x=\"" + f1(kLabelW + kPlotW / 2) + "\" y=\"" + f1(h - 1) +
       "\" text-anchor=\"middle\" fill=\"#333\">" + html_escape(unit) + "</text>\n";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = kTop + kRowH * static_cast<double>(i);
    const double bw = kPlotW * std::max(0.0, bars[i].value) / vmax;  // no negative widths
    s += "<text x=\"" + f1(kLabelW - 8) + "\" y=\"" + f1(y + 15) + "\" text-anchor=\"end\">" +
         html_escape(bars[i].label) + "</text>\n";
    s += "<rect x=\"" + f1(kLabelW) + "\" y=\"" + f1(y + 3) + "\" width=\"" + f1(bw) +
         "\" height=\"" + f1(kRowH - 8) + "\" fill=\"#4878d0\"/>\n";
    s += "<text x=\"" + f1(kLabelW + bw + 6) + "\" y=\"" + f1(y + 15) + "\">" +
         grouped(bars[i].value) + (bars[i].note.empty() ? "" : "  " + html_escape(bars[i].note)) +
         "</text>\n";
  }
  if (reference > 0) {
    const double x = kLabelW + kPlotW * reference / vmax;
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(kTop - 10) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(h - 28) + "\" stroke=\"#c0392b\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n";
    s += "<text x=\"" + f1(x + 4) + "\" y=\"" + f1(kTop - 12) + "\" fill=\"#c0392b\">" +
         html_escape(reference_label) + "</text>\n";
  }
  return s + "</svg>\n";
}

std::vector<GanttLane> gantt_from_chrome_trace(const std::string& json, double merge_us) {
  const auto doc = nlohmann::json::parse(json);
  const nlohmann::json& events = doc.is_array() ? doc : doc.at("traceEvents");
  std::map<int, std::string> process;
  std::map<std::pair<int, int>, std::string> thread;
  std::map<std::pair<int, int>, std::vector<GanttSlice>> slices;
  for (const auto& e : events) {
    const std::string ph = e.value("ph", "");
    if (ph == "M") {
      const std::string name = e.at("args").value("name", "");
      if (e.value("name", "") == "process_name") process[e.value("pid", 0)] = name;
      if (e.value("name", "") == "thread_name")
        thread[{e.value("pid", 0), e.value("tid", 0)}] = name;
    } else if (ph == "X") {
      const double ts = e.at("ts").get<double>();
      slices[{e.value("pid", 0), e.value("tid", 0)}].push_back(
          GanttSlice{ts, ts + e.value("dur", 0.0), e.value("cat", "")});
    }
  }
  std::vector<GanttLane> lanes;
  for (auto& [id, v] : slices) {
    // Link lanes repeat what the SM partitions show; leave them to the Perfetto trace.
    if (thread.count(id) != 0 && thread[id].rfind("link:", 0) == 0) continue;
    std::sort(v.begin(), v.end(),
              [](const GanttSlice& a, const GanttSlice& b) { return a.start_us < b.start_us; });
    GanttLane lane;
    lane.label = "rank " + std::to_string(id.first) + " · " +
                 (thread.count(id) != 0 ? thread[id] : "lane " + std::to_string(id.second));
    std::map<std::string, std::size_t> open;  // category -> index of its last slice
    for (const auto& s : v) {
      auto it = open.find(s.category);
      if (it != open.end() && s.start_us - lane.slices[it->second].end_us <= merge_us) {
        lane.slices[it->second].end_us = std::max(lane.slices[it->second].end_us, s.end_us);
      } else {
        open[s.category] = lane.slices.size();
        lane.slices.push_back(s);
      }
    }
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

std::string svg_gantt(const std::vector<GanttLane>& lanes, double makespan_us) {
  constexpr double kLabelW = 300;
  constexpr double kPlotW = 1000;
  constexpr double kLaneH = 12;
  constexpr double kTop = 10;
  // The axis covers every slice, also the DP sync and optimizer after the pipeline.
  for (const auto& l : lanes) {
    for (const auto& sl : l.slices) makespan_us = std::max(makespan_us, sl.end_us);
  }
  if (makespan_us <= 0) makespan_us = 1;
  const double h = kTop + kLaneH * static_cast<double>(lanes.size()) + 50;
  const double w = kLabelW + kPlotW + 20;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gantt\" width=\"" + f1(w) +
                  "\" height=\"" + f1(h) + "\" viewBox=\"0 0 " + f1(w) + " " + f1(h) +
                  "\" font-family=\"sans-serif\" font-size=\"10\">\n";
  const double ms = makespan_us / 1000;
  const double step = nice_step(ms);
  for (double t = 0; t <= ms; t += step) {
    const double x = kLabelW + kPlotW * t / ms;
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(kTop) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(h - 36) + "\" stroke=\"#e5e5e5\"/>\n<text x=\"" + f1(x) + "\" y=\"" + f1(h - 24) +
         "\" text-anchor=\"middle\" fill=\"#555\">" + grouped(t) + " ms</text>\n";
  }
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const double y = kTop + kLaneH * static_cast<double>(i);
    s += "<text x=\"" + f1(kLabelW - 6) + "\" y=\"" + f1(y + 9) + "\" text-anchor=\"end\">" +
         html_escape(lanes[i].label) + "</text>\n";
    for (const auto& sl : lanes[i].slices) {
      const double x = kLabelW + kPlotW * sl.start_us / makespan_us;
      const double sw = std::max(0.5, kPlotW * (sl.end_us - sl.start_us) / makespan_us);
      s += "<rect x=\"" + f1(x) + "\" y=\"" + f1(y + 1) + "\" width=\"" + f1(sw) + "\" height=\"" +
           f1(kLaneH - 2) + "\" fill=\"" + color_of(sl.category) + "\"/>\n";
    }
  }
  double lx = kLabelW;
  for (const char* c : {"compute", "ep_comm", "pp_comm", "dp_comm"}) {
    s += "<rect x=\"" + f1(lx) + "\" y=\"" + f1(h - 14) + "\" width=\"10\" height=\"10\" fill=\"" +
         color_of(c) + "\"/><text x=\"" + f1(lx + 14) + "\" y=\"" + f1(h - 5) + "\">" + c +
         "</text>\n";
    lx += 110;
  }
  return s + "</svg>\n";
}

}  // namespace hopsim::planner
