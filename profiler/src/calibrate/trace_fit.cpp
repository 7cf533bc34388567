#include "hopsim/profiler/calibrate/trace_fit.hpp"

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <cstdio>

#include "hopsim/core/error.hpp"
#include "hopsim/profiler/compare/compare.hpp"

namespace hopsim::profiler::calibrate {

namespace {

constexpr const char* kGroups[] = {"gemm", "attention", "memory_bound", "deepep_payload",
                                   "deepep_notify"};
constexpr int kGroupCount = 5;
constexpr int kMaxEngineRuns = 50;

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

namespace {

// The fit's rows: one per measured component the model also predicts.
struct Rows {
  std::vector<std::string> names;
  Eigen::VectorXd measured;  // ms
  Eigen::MatrixXd groups;    // ms of each active group's kernels, as modelled (scale 1)
  std::vector<int> active;   // kGroups index of each column of `groups`
};

Rows rows_of(const compare::Comparison& c,
             const std::map<std::string, std::map<std::string, Nanoseconds>>& basis) {
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
  Rows out;
  out.names = std::move(names);
  // Only the groups that have time in some measured component take part.
  for (int g = 0; g < kGroupCount; ++g) {
    for (const auto& row : rows) {
      if (row[static_cast<std::size_t>(g)] > 0) {
        out.active.push_back(g);
        break;
      }
    }
  }
  const auto n = static_cast<Eigen::Index>(rows.size());
  out.measured.resize(n);
  out.groups.resize(n, static_cast<Eigen::Index>(out.active.size()));
  for (Eigen::Index i = 0; i < n; ++i) {
    out.measured(i) = meas[static_cast<std::size_t>(i)];
    for (std::size_t k = 0; k < out.active.size(); ++k) {
      out.groups(i, static_cast<Eigen::Index>(k)) =
          rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(out.active[k])];
    }
  }
  return out;
}

std::vector<int> every_row(Eigen::Index n) {
  std::vector<int> all(static_cast<std::size_t>(n));
  for (int i = 0; i < static_cast<int>(n); ++i) all[static_cast<std::size_t>(i)] = i;
  return all;
}

bool full_rank(const Eigen::MatrixXd& a) {
  return a.completeOrthogonalDecomposition().rank() == a.cols();
}

}  // namespace

TraceFit fit_time_scales(const Scenario& sc, const trace::Trace& measured,
                         const classify::KernelClassifier& classifier,
                         const attribute::ComponentMap& components, int rank,
                         const sim::RunOptions& options) {
  const compare::Comparison c =
      compare::compare(sc, measured, classifier, "", options, &components, rank);
  const Rows rows = rows_of(c, sim::predicted_component_group_times(sc, options, rank));
  if (rows.names.empty()) {
    throw ConfigError({},
                      "the trace has no compute component to fit (attention or MLP "
                      "forward, backward or weight gradient, mapped from its annotations: "
                      "see hopsim compare and --components)");
  }
  TraceFit fit;
  fit.warnings = c.warnings;
  const sim::CostParameters modelled =
      options.cost ? *options.cost : sim::default_cost_parameters(sc.cluster.gpu);
  fit.model_launch_overhead = modelled.launch_overhead;
  fit.model_comm_hbm_bytes_per_wire_byte = modelled.comm_hbm_bytes_per_wire_byte;

  // Launch overhead: the median queued gap on the compute streams (see the header), as the
  // comparison's summary of the trace found it.
  fit.queued_kernels = c.queued_kernels;
  fit.queued_gap_p50_ns = c.queued_gap_p50_ns;
  if (fit.queued_kernels > 0) {
    fit.launch_overhead = Nanoseconds(std::llround(fit.queued_gap_p50_ns));
  }

  const Eigen::Index n = rows.measured.size();
  const auto groups = static_cast<Eigen::Index>(rows.active.size());
  const std::vector<int> all = every_row(n);
  if (!full_rank(rows.groups)) {
    // More groups than the components can tell apart: report them, fit the minimum-norm answer.
    for (int g : rows.active) fit.unidentified.push_back(kGroups[g]);
  }
  Eigen::VectorXd s = solve(rows.groups, rows.measured, all);

  // The step engine's part: HBM interference as one more column, whose coefficient rescales
  // comm_hbm_bytes_per_wire_byte, and the DeepEP payloads as they ran with the ports shared
  // (the analytical payload assumes them alone). Both move with the answer (overlaps shift with
  // the scales; interference is not quite linear in its coefficient), so the engine is run again
  // at each answer until the answer stops moving: at that fixed point the rows are the engine's
  // own times, to the precision the comment at `settled` gives.
  const auto payload_column = [&]() -> Eigen::Index {
    for (Eigen::Index k = 0; k < groups; ++k) {
      if (std::string_view(kGroups[rows.active[static_cast<std::size_t>(k)]]) == "deepep_payload")
        return k;
    }
    return -1;
  }();
  double kappa = modelled.comm_hbm_bytes_per_wire_byte;
  const bool interferes = kappa > 0 && sc.plan.comm_sms > 0;
  Eigen::MatrixXd a = rows.groups;
  double ratio = 1.0;  // the last solve's multiplier of the interference column
  if (interferes || payload_column >= 0) {
    for (int iteration = 0; iteration < kMaxEngineRuns; ++iteration) {
      sim::RunOptions at = options;
      at.cost = modelled;
      for (Eigen::Index k = 0; k < groups; ++k) {
        (void)sim::set_time_scale(at.cost->time_scale,
                                  kGroups[rows.active[static_cast<std::size_t>(k)]], s(k));
      }
      if (fit.launch_overhead) at.cost->launch_overhead = *fit.launch_overhead;
      at.cost->comm_hbm_bytes_per_wire_byte = kappa;
      const sim::EngineComponentTimes e = sim::engine_component_times(sc, at, rank);
      ++fit.engine_runs;
      Eigen::MatrixXd basis = rows.groups;
      Eigen::VectorXd interference = Eigen::VectorXd::Zero(n);
      for (Eigen::Index i = 0; i < n; ++i) {
        const std::string& name = rows.names[static_cast<std::size_t>(i)];
        if (const auto it = e.interference.find(name); it != e.interference.end()) {
          interference(i) = to_ms(it->second);
        }
        const auto p = e.payload.find(name);
        if (payload_column >= 0 && p != e.payload.end() && s(payload_column) > 0) {
          basis(i, payload_column) = to_ms(p->second) / s(payload_column);
        }
      }
      Eigen::MatrixXd with = basis;
      if (interferes && interference.maxCoeff() > 0) {
        with.conservativeResize(n, groups + 1);
        with.col(groups) = interference;
        if (!full_rank(with)) {
          fit.interference_note =
              "its time cannot be told apart from the groups' by these components";
          with = basis;
        }
      }
      const Eigen::VectorXd x = solve(with, rows.measured, all);
      const double next = with.cols() > groups ? std::max(0.0, kappa * x(groups)) : kappa;
      // Settled once it moves less than the fit can resolve: the engine's times are whole
      // nanoseconds and its overlaps shift by them, so the last digits wander (about 1e-5 in
      // the coefficient, 3e-4 in a small group's scale on the golden below).
      const bool settled = std::abs(next - kappa) <= 1e-4 * std::max(kappa, 1e-6) &&
                           (x.head(groups) - s).cwiseAbs().maxCoeff() <= 1e-3;
      s = x.head(groups);
      a = with;
      if (with.cols() > groups) {
        ratio = x(groups);
        kappa = next;
        fit.comm_hbm_bytes_per_wire_byte = kappa;
      }
      if (settled) break;
      if (iteration + 1 == kMaxEngineRuns) {
        fit.warnings.push_back("the fit with the step engine did not settle in " +
                               std::to_string(kMaxEngineRuns) +
                               " runs: the last answer is kept, the rows' residuals say how well "
                               "it holds");
      }
    }
  }
  if (!fit.comm_hbm_bytes_per_wire_byte && fit.interference_note.empty()) {
    fit.interference_note = !(kappa > 0)              ? "the model's interference is off"
                            : !(sc.plan.comm_sms > 0) ? "the scenario reserves no communication SMs"
                                                      : "no compute sub-op of the fitted rank "
                                                        "overlaps a payload";
  }
  for (Eigen::Index k = 0; k < groups; ++k) {
    fit.scales[kGroups[rows.active[static_cast<std::size_t>(k)]]] = s(k);
  }
  Eigen::VectorXd coefficients(a.cols());
  coefficients.head(groups) = s;
  if (a.cols() > groups) coefficients(groups) = ratio;  // 1 once settled

  double sq = 0, loo_sq = 0;
  int loo_n = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    ComponentFit cf;
    cf.component = rows.names[static_cast<std::size_t>(i)];
    cf.measured_ms = rows.measured(i);
    cf.modelled_ms = rows.groups.row(i).sum();
    cf.fitted_ms = a.row(i).dot(coefficients);
    if (a.cols() > groups) cf.interference_ms = a(i, groups) * ratio;
    sq += std::pow(cf.fitted_ms / cf.measured_ms - 1, 2);
    if (n - 1 >= a.cols()) {
      std::vector<int> rest;
      for (int j = 0; j < static_cast<int>(n); ++j) {
        if (j != static_cast<int>(i)) rest.push_back(j);
      }
      cf.left_out_ms = a.row(i).dot(solve(a, rows.measured, rest));
      loo_sq += std::pow(cf.left_out_ms / cf.measured_ms - 1, 2);
      ++loo_n;
    }
    fit.components.push_back(cf);
  }
  fit.rms_rel_error = std::sqrt(sq / static_cast<double>(n));
  fit.leave_one_out_rms_rel_error = loo_n > 0 ? std::sqrt(loo_sq / loo_n) : 0.0;
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
  c.comm_hbm_bytes_per_wire_byte = fit.comm_hbm_bytes_per_wire_byte;
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", fit.rms_rel_error);
  c.provenance["fit_rms_rel_error"] = b;
  std::snprintf(b, sizeof b, "%.4f", fit.leave_one_out_rms_rel_error);
  c.provenance["fit_leave_one_out_rms_rel_error"] = b;
  return c;
}

}  // namespace hopsim::profiler::calibrate
