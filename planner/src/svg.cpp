// Charts are written as plain SVG elements with fixed geometry, so a report opens the same in
// any browser with no network; text uses generic font families only.

#include "hopsim/planner/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "hopsim/core/format.hpp"

namespace hopsim::planner {
namespace {

std::string f1(double v) {
  char b[48];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// Gantt categories in legend order with their colours: F, B and W distinct, DualPipe's second
// direction a lighter shade of each.
struct Category {
  const char* name;
  const char* color;
  const char* label;
};
constexpr Category kCategories[] = {
    {"compute F", "#4878d0", "forward"},
    {"compute F d1", "#a9c1ec", "forward, direction 1"},
    {"compute B", "#2a9d8f", "backward (input grad.)"},
    {"compute B d1", "#93d5cc", "backward, direction 1"},
    {"compute W", "#c9a227", "weight grad."},
    {"compute W d1", "#ead58c", "weight grad., direction 1"},
    {"compute", "#4878d0", "compute"},
    {"ep_comm", "#ee854a", "EP all-to-all (DeepEP)"},
    {"pp_comm", "#6acc64", "PP send"},
    {"tp_comm", "#d65f5f", "TP all-reduce"},
    {"dp_comm", "#956cb4", "DP gradient sync"},
    {"optimizer", "#8c8c8c", "optimizer + ZeRO all-gather"},
};

const char* color_of(const std::string& cat) {
  for (const auto& c : kCategories) {
    if (cat == c.name) return c.color;
  }
  return "#8c8c8c";
}

// Segment colours by first appearance.
constexpr const char* kPalette[] = {"#4878d0", "#ee854a", "#6acc64", "#d65f5f", "#956cb4",
                                    "#8c613c", "#dc7ec0", "#797979", "#d5bb67", "#82c6e2"};

// Text width estimate for layout: 0.6 em per character covers sans-serif digits and lower case
// (tests/planner/check_svg.py checks overlaps with the same estimate, independently).
double text_width(const std::string& s, double font_size) {
  return 0.6 * font_size * static_cast<double>(s.size());
}

// A legend of coloured squares and names from x0 on, wrapping at x_max; returns the SVG and
// the number of rows used.
std::pair<std::string, int> legend(const std::vector<std::pair<std::string, std::string>>& items,
                                   double x0, double y, double x_max, double font_size) {
  std::string s;
  double x = x0;
  int rows = items.empty() ? 0 : 1;
  const double row_h = font_size + 6;
  for (const auto& [label, color] : items) {
    const double w = 14 + text_width(label, font_size) + 16;
    if (x > x0 && x + w > x_max) {
      x = x0;
      ++rows;
    }
    const double yy = y + row_h * (rows - 1);
    s += "<rect x=\"" + f1(x) + "\" y=\"" + f1(yy - font_size + 1) +
         "\" width=\"10\" height=\"10\" " + "fill=\"" + color + "\"/><text x=\"" + f1(x + 14) +
         "\" y=\"" + f1(yy) + "\">" + html_escape(label) + "</text>\n";
    x += w;
  }
  return {s, rows};
}

std::string svg_open(double w, double h, const char* cls, int font_size) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" + std::string(cls) + "\" width=\"" +
         f1(w) + "\" height=\"" + f1(h) + "\" viewBox=\"0 0 " + f1(w) + " " + f1(h) +
         "\" font-family=\"sans-serif\" font-size=\"" + std::to_string(font_size) + "\">\n";
}

// A dashed red line at x from `top` to `bottom`, labelled just above it.
std::string reference_line(double x, double top, double bottom, const std::string& label) {
  return "<line x1=\"" + f1(x) + "\" y1=\"" + f1(top) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(bottom) + "\" stroke=\"#c0392b\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n" +
         "<text x=\"" + f1(x + 4) + "\" y=\"" + f1(top - 2) + "\" fill=\"#c0392b\">" +
         html_escape(label) + "</text>\n";
}

double nice_step(double range) {
  const double raw = range / 5;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

// Vertical grid lines at nice steps from 0 to vmax across [x0, x0 + plot_w], their values on
// `label_y` and the unit centred on `unit_y`.
std::string value_axis(double x0, double plot_w, double vmax, double top, double bottom,
                       double label_y, double unit_y, const std::string& unit) {
  std::string s;
  const double step = nice_step(vmax);
  for (double t = 0; t <= vmax; t += step) {
    const double x = x0 + plot_w * t / vmax;
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(top) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(bottom) + "\" stroke=\"#ddd\"/>\n";
    s += "<text x=\"" + f1(x) + "\" y=\"" + f1(label_y) +
         "\" text-anchor=\"middle\" fill=\"#555\">" + grouped(t) + "</text>\n";
  }
  return s + "<text x=\"" + f1(x0 + plot_w / 2) + "\" y=\"" + f1(unit_y) +
         "\" text-anchor=\"middle\" fill=\"#333\">" + html_escape(unit) + "</text>\n";
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
  std::string s = svg_open(w, h, "chart", 12);
  s += value_axis(kLabelW, kPlotW, vmax, kTop - 6, h - 28, h - 14, h - 1, unit);
  // The reference goes under the bars' value labels, which carry a white halo: a label that
  // crosses the line stays readable.
  if (reference > 0) {
    s += reference_line(kLabelW + kPlotW * reference / vmax, kTop - 10, h - 28, reference_label);
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = kTop + kRowH * static_cast<double>(i);
    const double bw = kPlotW * std::max(0.0, bars[i].value) / vmax;  // no negative widths
    s += "<text x=\"" + f1(kLabelW - 8) + "\" y=\"" + f1(y + 15) + "\" text-anchor=\"end\">" +
         html_escape(bars[i].label) + "</text>\n";
    s += "<rect x=\"" + f1(kLabelW) + "\" y=\"" + f1(y + 3) + "\" width=\"" + f1(bw) +
         "\" height=\"" + f1(kRowH - 8) + "\" fill=\"#4878d0\"/>\n";
    s += "<text x=\"" + f1(kLabelW + bw + 6) + "\" y=\"" + f1(y + 15) +
         "\" stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\">" + grouped(bars[i].value) +
         (bars[i].note.empty() ? "" : "  " + html_escape(bars[i].note)) + "</text>\n";
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
      std::string cat = e.value("cat", "");
      if (cat == "compute") {
        // The runner names backward and weight-gradient work "<unit>.<part>.B" / ".W" and the
        // second DualPipe direction "d1.mb<k>".
        const std::string name = e.value("name", "");
        const char pass = name.find(".W ") != std::string::npos   ? 'W'
                          : name.find(".B ") != std::string::npos ? 'B'
                                                                  : 'F';
        cat =
            std::string("compute ") + pass + (name.find(" d1.") != std::string::npos ? " d1" : "");
      }
      slices[{e.value("pid", 0), e.value("tid", 0)}].push_back(
          GanttSlice{ts, ts + e.value("dur", 0.0), cat});
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
  std::set<std::string> drawn;
  for (const auto& l : lanes) {
    for (const auto& sl : l.slices) drawn.insert(sl.category);
  }
  const double w = kLabelW + kPlotW + 20;
  // Legend rows below the axis: laid out once to know how many there are.
  std::vector<std::pair<std::string, std::string>> probe;
  for (const auto& c : drawn) probe.emplace_back(gantt_category_label(c), "");
  const int legend_rows = legend(probe, kLabelW, 0, w - 10, 10).second;
  const double plot_bottom = kTop + kLaneH * static_cast<double>(lanes.size());
  const double h = plot_bottom + 36 + 16.0 * legend_rows;
  const double legend_y = plot_bottom + 36 + 10;
  std::string s = svg_open(w, h, "gantt", 10);
  const double ms = makespan_us / 1000;
  const double step = nice_step(ms);
  for (double t = 0; t <= ms; t += step) {
    const double x = kLabelW + kPlotW * t / ms;
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(kTop) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(plot_bottom + 4) + "\" stroke=\"#e5e5e5\"/>\n<text x=\"" + f1(x) + "\" y=\"" +
         f1(plot_bottom + 16) + "\" text-anchor=\"middle\" fill=\"#555\">" + grouped(t) +
         " ms</text>\n";
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
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& c : kCategories) {
    if (drawn.count(c.name) != 0) items.emplace_back(c.label, c.color);
  }
  for (const auto& c : drawn) {  // categories the table does not know, by name
    if (std::none_of(std::begin(kCategories), std::end(kCategories),
                     [&](const Category& k) { return c == k.name; })) {
      items.emplace_back(c, color_of(c));
    }
  }
  s += legend(items, kLabelW, legend_y, w - 10, 10).first;
  return s + "</svg>\n";
}

std::string svg_tornado(const std::vector<TornadoRow>& rows, double base, const std::string& unit) {
  constexpr double kLabelW = 250;
  constexpr double kPlotW = 600;
  constexpr double kRowH = 26;
  constexpr double kTop = 30;
  constexpr double kEndW = 150;  // room for an end label on either side
  double lo = base;
  double hi = base;
  for (const auto& r : rows) {
    for (double v : {r.low, r.high}) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  const double pad = std::max((hi - lo) * 0.05, std::abs(base) * 0.01 + 1e-9);
  lo -= pad;
  hi += pad;
  const double x0 = kLabelW + kEndW;
  auto xof = [&](double v) { return x0 + kPlotW * (v - lo) / (hi - lo); };
  const double plot_bottom = kTop + kRowH * static_cast<double>(rows.size());
  const double h = plot_bottom + 52;
  const double w = x0 + kPlotW + kEndW;
  std::string s = svg_open(w, h, "chart", 12);
  const double step = nice_step(hi - lo);
  for (double t = std::ceil(lo / step) * step; t <= hi; t += step) {
    s += "<line x1=\"" + f1(xof(t)) + "\" y1=\"" + f1(kTop - 4) + "\" x2=\"" + f1(xof(t)) +
         "\" y2=\"" + f1(plot_bottom + 2) + "\" stroke=\"#ddd\"/>\n<text x=\"" + f1(xof(t)) +
         "\" y=\"" + f1(plot_bottom + 16) + "\" text-anchor=\"middle\" fill=\"#555\">" +
         grouped(t) + "</text>\n";
  }
  s += "<text x=\"" + f1(x0 + kPlotW / 2) + "\" y=\"" + f1(plot_bottom + 32) +
       "\" text-anchor=\"middle\" fill=\"#333\">" + html_escape(unit) + "</text>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double y = kTop + kRowH * static_cast<double>(i);
    s += "<text x=\"" + f1(kLabelW - 8) + "\" y=\"" + f1(y + 15) + "\" text-anchor=\"end\">" +
         html_escape(r.label) + "</text>\n";
    // Each side: a bar from the base to the outcome, labelled at its far end.
    for (int side = 0; side < 2; ++side) {
      const double v = side == 0 ? r.low : r.high;
      const std::string& what = side == 0 ? r.low_label : r.high_label;
      if (!std::isfinite(v)) continue;
      const double a = std::min(xof(base), xof(v));
      const double b = std::max(xof(base), xof(v));
      s += "<rect x=\"" + f1(a) + "\" y=\"" + f1(y + 4) + "\" width=\"" + f1(b - a) +
           "\" height=\"" + f1(kRowH - 10) + "\" fill=\"" + (side == 0 ? "#9fbfee" : "#4878d0") +
           "\"><title>" + html_escape(what) + ": " + grouped(v) + "</title></rect>\n";
    }
    // End labels outside the bars: the left one ends at the leftmost end, the right one starts
    // at the rightmost, so they never cover a bar or each other.
    double left_v = base, right_v = base;
    std::string left_t, right_t;
    for (int side = 0; side < 2; ++side) {
      const double v = side == 0 ? r.low : r.high;
      const std::string& what = side == 0 ? r.low_label : r.high_label;
      if (!std::isfinite(v)) continue;
      if (v < base || (v == base && side == 0)) {
        left_v = std::min(left_v, v);
        left_t += (left_t.empty() ? "" : ", ") + what;
      } else {
        right_v = std::max(right_v, v);
        right_t += (right_t.empty() ? "" : ", ") + what;
      }
    }
    if (!left_t.empty()) {
      s += "<text x=\"" + f1(xof(left_v) - 4) + "\" y=\"" + f1(y + 15) +
           "\" text-anchor=\"end\" fill=\"#555\">" + html_escape(left_t) + "</text>\n";
    }
    if (!right_t.empty()) {
      s += "<text x=\"" + f1(xof(right_v) + 4) + "\" y=\"" + f1(y + 15) + "\" fill=\"#555\">" +
           html_escape(right_t) + "</text>\n";
    }
  }
  s += "<line x1=\"" + f1(xof(base)) + "\" y1=\"" + f1(kTop - 8) + "\" x2=\"" + f1(xof(base)) +
       "\" y2=\"" + f1(plot_bottom + 2) + "\" stroke=\"#222\" stroke-width=\"1.5\"/>\n";
  s += "<text x=\"" + f1(xof(base)) + "\" y=\"" + f1(kTop - 12) +
       "\" text-anchor=\"middle\">as planned: " + grouped(base) + "</text>\n";
  return s + "</svg>\n";
}

std::string gantt_category_label(const std::string& category) {
  for (const auto& c : kCategories) {
    if (category == c.name) return c.label;
  }
  return category;
}

std::string svg_stacked_bars(const std::vector<StackedBar>& bars, const std::string& unit,
                             double reference, const std::string& reference_label) {
  constexpr double kLabelW = 330;
  constexpr double kPlotW = 560;
  constexpr double kRowH = 26;
  constexpr double kTop = 28;
  constexpr double kFont = 12;
  std::vector<std::string> names;  // legend order: first appearance
  double vmax = reference;
  std::size_t longest_note = 0;
  for (const auto& b : bars) {
    double total = 0;
    for (const auto& sg : b.segments) {
      total += std::max(0.0, sg.value);
      if (std::find(names.begin(), names.end(), sg.name) == names.end()) names.push_back(sg.name);
    }
    vmax = std::max(vmax, total);
    longest_note = std::max(longest_note, grouped(total).size() + 2 + b.note.size());
  }
  if (vmax <= 0) vmax = 1;
  vmax *= 1.04;
  auto color = [&](const std::string& n) {
    const auto i =
        static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin());
    return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
  };
  const double w =
      kLabelW + kPlotW + std::max(120.0, text_width(std::string(longest_note, 'x'), kFont) + 16);
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& n : names) items.emplace_back(n, color(n));
  const int legend_rows = legend(items, kLabelW, 0, w - 10, kFont).second;
  const double plot_bottom = kTop + kRowH * static_cast<double>(bars.size());
  const double h = plot_bottom + 34 + (kFont + 6) * legend_rows + 6;
  std::string s = svg_open(w, h, "chart", 12);
  s += value_axis(kLabelW, kPlotW, vmax, kTop - 6, plot_bottom + 2, plot_bottom + 14,
                  plot_bottom + 28, unit);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = kTop + kRowH * static_cast<double>(i);
    s += "<text x=\"" + f1(kLabelW - 8) + "\" y=\"" + f1(y + 15) + "\" text-anchor=\"end\">" +
         html_escape(bars[i].label) + "</text>\n";
    double x = kLabelW;
    double total = 0;
    for (const auto& sg : bars[i].segments) {
      const double v = std::max(0.0, sg.value);  // no negative widths
      const double sw = kPlotW * v / vmax;
      s += "<rect x=\"" + f1(x) + "\" y=\"" + f1(y + 3) + "\" width=\"" + f1(sw) + "\" height=\"" +
           f1(kRowH - 8) + "\" fill=\"" + color(sg.name) + "\"><title>" + html_escape(sg.name) +
           ": " + grouped(v) + "</title></rect>\n";
      x += sw;
      total += v;
    }
    s += "<text x=\"" + f1(x + 6) + "\" y=\"" + f1(y + 15) + "\">" + grouped(total) +
         (bars[i].note.empty() ? "" : "  " + html_escape(bars[i].note)) + "</text>\n";
  }
  if (reference > 0) {
    s += reference_line(kLabelW + kPlotW * reference / vmax, kTop - 10, plot_bottom + 2,
                        reference_label);
  }
  s += legend(items, kLabelW, plot_bottom + 34 + kFont, w - 10, kFont).first;
  return s + "</svg>\n";
}

}  // namespace hopsim::planner
