#pragma once
// Pieces of the report that its building and its renderers (HTML, Markdown, JSON) share; private
// to planner/src.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hopsim/planner/report.hpp"
#include "hopsim/planner/results_store.hpp"

namespace hopsim::planner::report_parts {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

[[nodiscard]] bool contains(const std::string& s, const std::string& what);

//! The GPU-hours per trillion tokens at the low and high end of the entry's uncertainty band.
[[nodiscard]] std::pair<double, double> gpu_hours_band(const ReportEntry& e);

//! What the band around the cost figures is and where it comes from (entries of one report share
//! a calibration, so the first entry's band stands for all).
[[nodiscard]] std::string band_sentence(const std::vector<ReportEntry>& entries);

//! The entry the report sets against a published figure: the first that is a published run, or
//! else the first of a model with one (whose section then says why there is no comparison);
//! nullptr when neither.
[[nodiscard]] const ReportEntry* published_entry(const std::vector<ReportEntry>& entries);

//! A row of the cost summary: its JSON key, label, value and how it is shown.
struct Metric {
  const char* key;
  const char* label;
  std::function<double(const ReportEntry&)> value;
  std::function<std::string(double)> show;
};
//! The rows of the cost summary; `calibrated` adds the uncalibrated step and GPU-hours beside.
[[nodiscard]] std::vector<Metric> summary_metrics(bool calibrated = false);
//! Whether the report's entries were predicted with a calibration (they share one).
[[nodiscard]] bool calibrated(const std::vector<ReportEntry>& entries);

//! A sweep row's swept settings as "pp=8 schedule=dualpipe" ("(base)" for none).
[[nodiscard]] std::string sweep_config_label(const StoredResult& r);

//! The entry's job interruptions and the effective training time they give ("none modelled").
[[nodiscard]] std::string interruptions_text(const ReportEntry& e);

//! A stored reason without the "file:line:col: " prefixes the loader puts on each message.
[[nodiscard]] std::string short_reason(const std::string& reason);

}  // namespace hopsim::planner::report_parts
