#pragma once
//! Cost reports: GPU-hours, wall-clock days, dollars and energy per trillion tokens and for a
//! whole training run, H800 vs H100 side by side, the published DeepSeek-V3 comparison, the
//! timeline of one step, inputs and provenance; as self-contained HTML, Markdown or JSON.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/config/overrides.hpp"
#include "hopsim/core/scenario.hpp"
#include "hopsim/planner/published.hpp"
#include "hopsim/planner/results_store.hpp"
#include "hopsim/planner/sensitivity.hpp"
#include "hopsim/planner/sweep.hpp"
#include "hopsim/planner/uncertainty.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {

struct ReportEntry {
  std::string label;
  Scenario scenario;
  sim::SimResult result;
  std::string scenario_hash;
  std::string calibration_hash = "uncalibrated";  //!< "sha256:..." of the calibration file
  double memory_gib = 0;
  double memory_capacity_gib = 0;
  std::vector<MemoryBreakdown> ranks;  //!< memory of every pipeline rank
  //! The band around its cost figures: the calibration's, or the uncalibrated default.
  Uncertainty uncertainty = uncalibrated_uncertainty();
  //! With a calibration: the same scenario with the uncalibrated cost model, shown beside it.
  std::optional<sim::SimResult> uncalibrated;
  std::string calibration_fitted_to;  //!< CalibrationRef::fitted_to
};

//! Where one step's time goes, in ms, summing to the step: the compute partition busy, the
//! pipeline bubble, communication with the compute partition idle, the DP gradient sync after
//! the pipeline, the optimizer step and ZeRO all-gather.
struct StepBreakdown {
  double compute_ms = 0;
  double bubble_ms = 0;
  double exposed_comm_ms = 0;
  double dp_ms = 0;
  double optimizer_ms = 0;
};
[[nodiscard]] StepBreakdown step_breakdown(const sim::SimResult& r);

//! Why the interconnect does or does not matter for this entry: which link bounds the EP
//! all-to-all, and, given the same plan on the other GPU, how much the step changes.
[[nodiscard]] std::string bottleneck_explanation(const ReportEntry& e,
                                                 const ReportEntry* other = nullptr);

//! A whole training run of `scenario.cost.training_tokens` tokens on the entry's cluster.
struct WholeRun {
  double tokens = 0;
  double gpu_hours = 0;
  double days = 0;
  double dollars = 0;
  double energy_kwh = 0;
};
[[nodiscard]] WholeRun whole_run(const Scenario& s, const sim::SimResult& r);
[[nodiscard]] WholeRun whole_run(const ReportEntry& e);

struct Report {
  std::string title;
  std::string hopsim_version;
  std::vector<ReportEntry> entries;  //!< scenario reports; empty for a sweep report
  std::string timeline_svg;          //!< the first entry's step ("" when not rendered)
  std::string timeline_label;
  //! A few micro-batches of the first entry's steady state, labelled ("" when not rendered).
  std::string timeline_zoom_svg;
  double zoom_from_ms = 0, zoom_to_ms = 0;
  //! One-at-a-time sensitivity of the first entry's USD per 10^12 tokens (empty rows: not run).
  SensitivityStudy sensitivity;
  std::vector<StoredResult> sweep_rows;  //!< sweep reports
  std::map<std::string, std::string> sweep_meta;
  std::string sweep_source;
};

struct ReportOptions {
  //! With one H800 (or H100) scenario, add the same scenario on the other GPU and node.
  bool counterpart = true;
  bool timeline = true;
  //! The tornado chart (2 x 7 more runs of the first scenario, 2 x 8 with interruptions).
  bool sensitivity = true;
  sim::SimMode mode = sim::SimMode::kSymmetry;
  CalibrationRef calibration;  //!< cost parameters for every run of the report
};

//! Runs each scenario (shipped names or paths). Throws ConfigError / PlanError for bad input.
[[nodiscard]] Report scenario_report(const std::vector<std::string>& specs,
                                     const ReportOptions& options = {});
//! The same for scenario documents held in memory (the GUI's edited, possibly unsaved scenario).
[[nodiscard]] Report scenario_report_of(const std::vector<ScenarioTemplate>& scenarios,
                                        const ReportOptions& options = {});
//! Reads a sweep database.
[[nodiscard]] Report sweep_report(const ResultsStore& store);

//! Whether an entry runs on an H800 cluster (listed after the published runs, before the rest).
[[nodiscard]] bool is_h800(const ReportEntry& e);
//! The published run an entry's scenario reproduces (published.hpp), or nullptr: only then is the
//! difference from a published figure an error of the model (another plan, model or GPU is a
//! what-if and says nothing about it).
[[nodiscard]] const PublishedRun* published_run(const ReportEntry& e);

//! One HTML file: inline CSS, SVG and a few lines of JS for sorting; nothing fetched.
//! Every figure sits in an element with data-metric and data-value attributes (exact values).
//! `user_css` (a user's stylesheet, `report --css`) is inlined after hopsim's own, so its rules
//! win; chart shapes and legend swatches carry a class per legend entry (`.k-forward`) for it.
//! Throws std::invalid_argument when the stylesheet would end the <style> element.
[[nodiscard]] std::string render_html(const Report& r, std::string_view user_css = "");
[[nodiscard]] std::string render_markdown(const Report& r);
[[nodiscard]] nlohmann::ordered_json render_json(const Report& r);

}  // namespace hopsim::planner
