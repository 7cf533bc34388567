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

//! One slice of a timeline lane.
struct GanttSlice {
  double start_us = 0;
  double end_us = 0;
  std::string category;  //!< compute, ep_comm, pp_comm, dp_comm, ...
};

struct GanttLane {
  std::string label;
  std::vector<GanttSlice> slices;
};

//! Lanes from a Chrome trace (JSON text as the runner writes it): one lane per (pid, tid) with
//! complete events, labelled by the trace's process and thread names. Slices closer than
//! `merge_us` in one lane and category are joined so a full step stays a small picture.
[[nodiscard]] std::vector<GanttLane> gantt_from_chrome_trace(const std::string& json,
                                                             double merge_us);
[[nodiscard]] std::string svg_gantt(const std::vector<GanttLane>& lanes, double makespan_us);

// HTML escaping has one home (core/format.hpp); reports and charts use it unqualified.
using hopsim::html_escape;

}  // namespace hopsim::planner
