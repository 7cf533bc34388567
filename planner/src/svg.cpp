// Charts are written as plain SVG elements with fixed geometry, so a report opens the same in
// any browser with no network; text uses generic font families only.

#include "hopsim/planner/svg.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
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

// The width of a chart's label column: `at_least`, or wider when a label needs it (its estimated
// width and a margin), so that no label anchored at the column's end runs off the left edge.
template <typename Bars>
double label_column(const Bars& bars, double font_size, double at_least) {
  double w = at_least;
  for (const auto& b : bars) w = std::max(w, text_width(b.label, font_size) + 16);
  return w;
}

// The class a legend entry and the shapes it names share: "k-" and the label's letters and
// digits in lower case, each other run of characters one '-' ("Forward (F), direction 1" ->
// "k-forward-f-direction-1"), so a stylesheet recolours both: `.k-forward{fill:#000}`.
std::string key_class(const std::string& label) {
  std::string c = "k-";
  for (const char ch : label) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) != 0) {
      c += static_cast<char>(std::tolower(u));
    } else if (c.back() != '-') {
      c += '-';
    }
  }
  if (c.size() > 2 && c.back() == '-') c.pop_back();
  return c;
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
    s += "<rect class=\"" + key_class(label) + "\" x=\"" + f1(x) + "\" y=\"" +
         f1(yy - font_size + 1) + "\" width=\"10\" height=\"10\" " + "fill=\"" + color +
         "\"/><text x=\"" + f1(x + 14) + "\" y=\"" + f1(yy) + "\">" + html_escape(label) +
         "</text>\n";
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
  const double kLabelW = label_column(bars, 12, 330);
  constexpr double kPlotW = 560;
  constexpr double kRowH = 26;
  constexpr double kTop = 28;
  double vmax = reference;
  for (const auto& b : bars) vmax = std::max(vmax, b.value);
  if (vmax <= 0) vmax = 1;
  vmax *= 1.08;
  const double h = kTop + kRowH * static_cast<double>(bars.size()) + 34;
  // Room right of the plot for the longest value and its note beside a full-width bar.
  double value_w = 200;
  for (const auto& b : bars) {
    const std::string shown = grouped(b.value) + (b.note.empty() ? "" : "  " + b.note);
    value_w = std::max(value_w, text_width(shown, 12) + 16);
  }
  const double w = kLabelW + kPlotW + value_w;
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

namespace {

// The micro-batch of a runner slice name ("L3.attn mb7", "L3.mlp.W d1.mb2" -> "7", "2").
std::string micro_batch_of(const std::string& name) {
  const auto at = name.rfind("mb");
  if (at == std::string::npos || (at > 0 && name[at - 1] != ' ' && name[at - 1] != '.')) return {};
  std::string digits;
  for (std::size_t i = at + 2; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]));
       ++i) {
    digits += name[i];
  }
  return digits;
}

}  // namespace

std::vector<GanttLane> gantt_from_chrome_trace(const std::string& json, double merge_us,
                                               const GanttWindow& window) {
  const auto doc = nlohmann::json::parse(json);
  const nlohmann::json& events = doc.is_array() ? doc : doc.at("traceEvents");
  const double from = window.from_us;
  const double to = window.to_us > 0 ? window.to_us : std::numeric_limits<double>::infinity();
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
      const double end = ts + e.value("dur", 0.0);
      const std::pair<int, int> id{e.value("pid", 0), e.value("tid", 0)};
      slices[id];  // the lane exists even when none of its slices is in the window
      if (end <= from || ts >= to) continue;
      std::string cat = e.value("cat", "");
      std::string label;
      if (cat == "compute") {
        // The runner names backward and weight-gradient work "<unit>.<part>.B" / ".W" and the
        // second DualPipe direction "d1.mb<k>".
        const std::string name = e.value("name", "");
        const char pass = name.find(".W ") != std::string::npos   ? 'W'
                          : name.find(".B ") != std::string::npos ? 'B'
                                                                  : 'F';
        cat =
            std::string("compute ") + pass + (name.find(" d1.") != std::string::npos ? " d1" : "");
        if (window.label_micro_batches) label = micro_batch_of(name);
      }
      slices[id].push_back(GanttSlice{std::max(ts, from), std::min(end, to), cat, label});
    }
  }
  std::vector<GanttLane> lanes;
  const bool windowed = from > 0 || window.to_us > 0;
  for (auto& [id, v] : slices) {
    // Link lanes repeat what the SM partitions show; leave them to the Perfetto trace.
    if (thread.count(id) != 0 && thread[id].rfind("link:", 0) == 0) continue;
    if (windowed && v.empty()) continue;
    std::sort(v.begin(), v.end(),
              [](const GanttSlice& a, const GanttSlice& b) { return a.start_us < b.start_us; });
    GanttLane lane;
    lane.label = "rank " + std::to_string(id.first) + " · " +
                 (thread.count(id) != 0 ? thread[id] : "lane " + std::to_string(id.second));
    // (category, label) -> index of its last slice
    std::map<std::pair<std::string, std::string>, std::size_t> open;
    for (const auto& s : v) {
      auto it = open.find({s.category, s.label});
      if (it != open.end() && s.start_us - lane.slices[it->second].end_us <= merge_us) {
        lane.slices[it->second].end_us = std::max(lane.slices[it->second].end_us, s.end_us);
      } else {
        open[{s.category, s.label}] = lane.slices.size();
        lane.slices.push_back(s);
      }
    }
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

std::string svg_gantt(const std::vector<GanttLane>& lanes, double makespan_us,
                      const GanttWindow& window) {
  constexpr double kLabelW = 300;
  constexpr double kPlotW = 1000;
  constexpr double kLaneH = 12;
  constexpr double kTop = 10;
  constexpr double kCharW = 6;  // 0.6 em at the picture's 10 px font
  const double from = window.from_us;
  double to = window.to_us;
  if (to <= 0) {
    // The axis covers every slice, also the DP sync and optimizer after the pipeline.
    to = makespan_us;
    for (const auto& l : lanes) {
      for (const auto& sl : l.slices) to = std::max(to, sl.end_us);
    }
  }
  if (to <= from) to = from + 1;
  const double span = to - from;
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
  const double ms = span / 1000;
  const double step = nice_step(ms);
  // Ticks at multiples of the step, in ms since the start of the step.
  for (double t = std::ceil(from / 1000 / step) * step; t <= to / 1000 + 1e-9; t += step) {
    const double x = kLabelW + kPlotW * (t * 1000 - from) / span;
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(kTop) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(plot_bottom + 4) + "\" stroke=\"#e5e5e5\"/>\n<text x=\"" + f1(x) + "\" y=\"" +
         f1(plot_bottom + 16) + "\" text-anchor=\"middle\" fill=\"#555\">" + grouped(t) +
         " ms</text>\n";
  }
  // One class per drawn category, made once: the step's Gantt has tens of thousands of slices.
  std::map<std::string, std::string> class_of;
  for (const auto& c : drawn) class_of[c] = key_class(gantt_category_label(c));
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const double y = kTop + kLaneH * static_cast<double>(i);
    s += "<text x=\"" + f1(kLabelW - 6) + "\" y=\"" + f1(y + 9) + "\" text-anchor=\"end\">" +
         html_escape(lanes[i].label) + "</text>\n";
    for (const auto& sl : lanes[i].slices) {
      const double a = std::max(sl.start_us, from);
      const double b = std::min(sl.end_us, to);
      if (b < a) continue;
      const double x = kLabelW + kPlotW * (a - from) / span;
      const double sw = std::max(0.5, kPlotW * (b - a) / span);
      s += "<rect class=\"" + class_of.at(sl.category) + "\" x=\"" + f1(x) + "\" y=\"" + f1(y + 1) +
           "\" width=\"" + f1(sw) + "\" height=\"" + f1(kLaneH - 2) + "\" fill=\"" +
           color_of(sl.category) + "\"/>\n";
      // A label only where it fits inside its slice, so labels never meet.
      if (!sl.label.empty() && sw >= kCharW * static_cast<double>(sl.label.size()) + 4) {
        s += "<text x=\"" + f1(x + sw / 2) + "\" y=\"" + f1(y + 9) +
             "\" text-anchor=\"middle\" font-size=\"9\" fill=\"" +
             (sl.category.ends_with(" d1") ? "#222" : "#fff") + "\">" + html_escape(sl.label) +
             "</text>\n";
      }
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
  const double kLabelW = label_column(bars, 12, 330);
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
      s += "<rect class=\"" + key_class(sg.name) + "\" x=\"" + f1(x) + "\" y=\"" + f1(y + 3) +
           "\" width=\"" + f1(sw) + "\" height=\"" + f1(kRowH - 8) + "\" fill=\"" + color(sg.name) +
           "\"><title>" + html_escape(sg.name) + ": " + grouped(v) + "</title></rect>\n";
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
