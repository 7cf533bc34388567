#include "hopsim/profiler/calibrate/trace_fit.hpp"

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <cstdio>

#include "hopsim/core/error.hpp"
#include "hopsim/profiler/compare/compare.hpp"
#include "hopsim/profiler/summary/summary.hpp"

namespace hopsim::profiler::calibrate {

namespace {

constexpr const char* kGroups[] = {"gemm", "attention", "memory_bound", "deepep_payload",
                                   "deepep_notify"};
constexpr int kGroupCount = 5;

// Least squares on the rows kept (relative weighting: each row divided by its measurement).
Eigen::VectorXd solve(const Eigen::MatrixXd& a, const Eigen::VectorXd& m,
                      const std::vector<int>& rows) {
  Eigen::MatrixXd aw(static_cast<Eigen::Index>(rows.size()), a.cols());
  Eigen::VectorXd ones = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    aw.row(static_cast<Eigen::Index>(k)) = a.row(rows[k]) / m(rows[k]);
  }
  return aw.completeOrthogonalDecomposition().solve(ones);
}

}  // namespace

TraceFit fit_time_scales(const Scenario& sc, const trace::Trace& measured,
                         const classify::KernelClassifier& classifier,
                         const attribute::ComponentMap& components, int rank,
                         const sim::RunOptions& options) {
  const compare::Comparison c =
      compare::compare(sc, measured, classifier, "", options, &components, rank);
  const auto basis = sim::predicted_component_group_times(sc, options, rank);
  TraceFit fit;
  fit.warnings = c.warnings;
  std::vector<std::string> names;
  std::vector<double> meas;
  std::vector<std::array<double, kGroupCount>> rows;
  for (const auto& r : c.components) {
    const auto it = basis.find(r.what);
    if (it == basis.end() || r.measured.value() <= 0) continue;  // not modelled, or not seen
    std::array<double, kGroupCount> row{};
    for (int g = 0; g < kGroupCount; ++g) {
      const auto t = it->second.find(kGroups[g]);
      row[static_cast<std::size_t>(g)] = t == it->second.end() ? 0.0 : to_ms(t->second);
    }
    names.push_back(r.what);
    meas.push_back(to_ms(r.measured));
    rows.push_back(row);
  }
  if (rows.empty()) {
    throw ConfigError({},
                      "the trace has no compute component to fit (attention or MLP "
                      "forward, backward or weight gradient, mapped from its annotations: "
                      "see hopsim compare and --components)");
  }
  // Only the groups that have time in some measured component take part.
  std::vector<int> active;
  for (int g = 0; g < kGroupCount; ++g) {
    for (const auto& row : rows) {
      if (row[static_cast<std::size_t>(g)] > 0) {
        active.push_back(g);
        break;
      }
    }
  }
  const auto n = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd a(n, static_cast<Eigen::Index>(active.size()));
  Eigen::VectorXd m(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    m(i) = meas[static_cast<std::size_t>(i)];
    for (std::size_t k = 0; k < active.size(); ++k) {
      a(i, static_cast<Eigen::Index>(k)) =
          rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(active[k])];
    }
  }
  std::vector<int> all(static_cast<std::size_t>(n));
  for (int i = 0; i < static_cast<int>(n); ++i) all[static_cast<std::size_t>(i)] = i;
  if (a.completeOrthogonalDecomposition().rank() < static_cast<Eigen::Index>(active.size())) {
    // More groups than the components can tell apart: report them, fit the minimum-norm answer.
    for (int g : active) fit.unidentified.push_back(kGroups[g]);
  }
  const Eigen::VectorXd s = solve(a, m, all);
  for (std::size_t k = 0; k < active.size(); ++k) {
    fit.scales[kGroups[active[k]]] = s(static_cast<Eigen::Index>(k));
  }
  double sq = 0, loo_sq = 0;
  int loo_n = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    ComponentFit cf;
    cf.component = names[static_cast<std::size_t>(i)];
    cf.measured_ms = m(i);
    cf.modelled_ms = a.row(i).sum();
    cf.fitted_ms = a.row(i).dot(s);
    sq += std::pow(cf.fitted_ms / cf.measured_ms - 1, 2);
    if (n - 1 >= static_cast<Eigen::Index>(active.size())) {
      std::vector<int> rest;
      for (int j = 0; j < static_cast<int>(n); ++j) {
        if (j != static_cast<int>(i)) rest.push_back(j);
      }
      cf.left_out_ms = a.row(i).dot(solve(a, m, rest));
      loo_sq += std::pow(cf.left_out_ms / cf.measured_ms - 1, 2);
      ++loo_n;
    }
    fit.components.push_back(cf);
  }
  fit.rms_rel_error = std::sqrt(sq / static_cast<double>(n));
  fit.leave_one_out_rms_rel_error = loo_n > 0 ? std::sqrt(loo_sq / loo_n) : 0.0;
  for (const auto& d : summary::summarize(measured, classifier).device_time) {
    if (d.compute_queued_gap.count > fit.queued_kernels) {
      fit.queued_kernels = d.compute_queued_gap.count;
      fit.queued_gap_p50_ns = d.compute_queued_gap.p50_ns;
    }
  }
  if (fit.queued_kernels > 0) {
    fit.launch_overhead = Nanoseconds(std::llround(fit.queued_gap_p50_ns));
  }
  fit.model_launch_overhead =
      (options.cost ? *options.cost : sim::default_cost_parameters(sc.cluster.gpu)).launch_overhead;
  return fit;
}

Calibration calibration_from_fit(const TraceFit& fit, const Scenario& sc,
                                 std::map<std::string, std::string> provenance) {
  Calibration c;
  c.device = sc.cluster.gpu.name;
  c.sm_count = sc.cluster.gpu.sms;
  c.provenance = std::move(provenance);
  c.time_scales = fit.scales;
  if (fit.launch_overhead) c.launch_overhead_ns = fit.launch_overhead->value();
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", fit.rms_rel_error);
  c.provenance["fit_rms_rel_error"] = b;
  std::snprintf(b, sizeof b, "%.4f", fit.leave_one_out_rms_rel_error);
  c.provenance["fit_leave_one_out_rms_rel_error"] = b;
  return c;
}

}  // namespace hopsim::profiler::calibrate
