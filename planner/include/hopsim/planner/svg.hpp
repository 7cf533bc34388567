#pragma once
//! Inline SVG charts for reports (no scripts, fonts or files from anywhere): horizontal bar
//! charts and the Gantt picture of one simulated step.

#include <string>
#include <vector>

#include "hopsim/core/format.hpp"

namespace hopsim::planner {

struct Bar {
  std::string label;
  double value = 0;
  std::string note;  //!< printed after the value ("+3.2% vs published")
};

//! Horizontal bars, one per entry, with an optional dashed reference line (e.g. a published
//! figure); `unit` labels the axis.
[[nodiscard]] std::string svg_bar_chart(const std::vector<Bar>& bars, const std::string& unit,
                                        double reference = 0,
                                        const std::string& reference_label = "");

//! One part of a stacked bar.
struct Segment {
  std::string name;  //!< legend entry; the same name has the same colour in every bar
  double value = 0;
};

struct StackedBar {
  std::string label;
  std::vector<Segment> segments;
  std::string note;  //!< printed after the total
};

//! Horizontal stacked bars with a legend of the segment names (first appearance order) and an
//! optional dashed reference line (e.g. HBM capacity).
[[nodiscard]] std::string svg_stacked_bars(const std::vector<StackedBar>& bars,
                                           const std::string& unit, double reference = 0,
                                           const std::string& reference_label = "");

//! One input of a tornado chart: the outcome with the input moved down and up (NaN: not run).
struct TornadoRow {
  std::string label;
  std::string low_label;
  std::string high_label;
  double low = 0;
  double high = 0;
};

//! A tornado chart: per row, bars from `base` to the low and the high outcome (low side lighter),
//! rows in the order given (largest swing first), each end labelled with its input value.
[[nodiscard]] std::string svg_tornado(const std::vector<TornadoRow>& rows, double base,
                                      const std::string& unit);

//! One slice of a timeline lane.
struct GanttSlice {
  double start_us = 0;
  double end_us = 0;
  //! What the slice is: for compute, its pass and DualPipe direction ("compute F", "compute B d1",
  //! "compute W", ...), else the trace category (ep_comm, dp_comm, ...).
  std::string category;
  std::string label;  //!< drawn inside the slice where it fits ("" = none)
};

//! The part of the step a Gantt picture shows. The default is all of it, unlabelled; a zoomed
//! view shows [from_us, to_us) with each compute slice labelled by its micro-batch.
struct GanttWindow {
  double from_us = 0;
  double to_us = 0;  //!< 0: to the end of the last slice
  bool label_micro_batches = false;
};

struct GanttLane {
  std::string label;
  std::vector<GanttSlice> slices;
};

//! Lanes from a Chrome trace (JSON text as the runner writes it): one lane per (pid, tid) with
//! complete events, labelled by the trace's process and thread names. Slices closer than
//! `merge_us` in one lane, category and label are joined so a full step stays a small picture.
//! With a window, only slices that overlap it are kept, clipped to it, and lanes left empty are
//! dropped.
[[nodiscard]] std::vector<GanttLane> gantt_from_chrome_trace(const std::string& json,
                                                             double merge_us,
                                                             const GanttWindow& window = {});
//! The lanes as a Gantt picture of the window; the legend lists the categories drawn, nothing
//! else.
[[nodiscard]] std::string svg_gantt(const std::vector<GanttLane>& lanes, double makespan_us,
                                    const GanttWindow& window = {});

//! Legend text of a Gantt category ("compute B d1" -> "backward, direction 1").
[[nodiscard]] std::string gantt_category_label(const std::string& category);

// HTML escaping has one home (core/format.hpp); reports and charts use it unqualified.
using hopsim::html_escape;

}  // namespace hopsim::planner
