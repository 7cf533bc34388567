#include "hopsim/profiler/calibrate/fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

namespace hopsim::profiler::calibrate {

namespace {

// log(1 - exp(-u)) and its derivative with respect to log(work0), u = W / work0.
double log_saturation(double u) {
  return std::log(-std::expm1(-u));
}
double dlog_saturation_dlogw0(double u) {
  return u > 700 ? 0.0 : -u / std::expm1(u);
}

void check_samples(const std::vector<Sample>& s) {
  if (s.size() < 2) throw std::invalid_argument("fit needs at least 2 samples");
  for (const auto& p : s)
    if (!(p.sms > 0 && p.work > 0 && p.seconds > 0))
      throw std::invalid_argument("fit samples need positive SMs, work and time");
}

// Residuals r(p) and Jacobian J(p) of a log-space model; LM minimises |r|^2.
using ResidualFn = std::function<void(const Eigen::VectorXd&, Eigen::VectorXd&, Eigen::MatrixXd&)>;

Eigen::VectorXd levenberg_marquardt(const ResidualFn& f, Eigen::VectorXd p, int max_iter = 200) {
  Eigen::VectorXd r;
  Eigen::MatrixXd j;
  f(p, r, j);
  double cost = r.squaredNorm();
  double lambda = 1e-3;
  for (int it = 0; it < max_iter; ++it) {
    const Eigen::MatrixXd jtj = j.transpose() * j;
    const Eigen::VectorXd g = j.transpose() * r;
    Eigen::MatrixXd a = jtj;
    a.diagonal() += lambda * (jtj.diagonal().array() + 1e-12).matrix();
    const Eigen::VectorXd step = a.ldlt().solve(-g);
    Eigen::VectorXd r2;
    Eigen::MatrixXd j2;
    const Eigen::VectorXd p2 = p + step;
    f(p2, r2, j2);
    const double cost2 = r2.squaredNorm();
    if (std::isfinite(cost2) && cost2 < cost) {
      const bool small = cost - cost2 < 1e-15 * (1 + cost);
      p = p2;
      r = r2;
      j = j2;
      cost = cost2;
      lambda = std::max(lambda / 3, 1e-12);
      if (small || step.norm() < 1e-12) break;
    } else {
      lambda *= 4;
      if (lambda > 1e12) break;
    }
  }
  return p;
}

// Solves y ~ X b in least squares; column pivoting copes with nearly collinear columns.
Eigen::VectorXd linear_ls(const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  return x.colPivHouseholderQr().solve(y);
}

std::vector<double> log_grid(double lo, double hi, int n) {
  std::vector<double> g;
  for (int i = 0; i < n; ++i) g.push_back(lo * std::pow(hi / lo, i / (n - 1.0)));
  return g;
}

}  // namespace

FitQuality evaluate(const ClassCurve& c, const std::vector<Sample>& samples, int sm_count) {
  FitQuality q;
  double ss = 0;
  for (const auto& s : samples) {
    const double rel = c.rate(s.sms, s.work, sm_count) / s.rate() - 1.0;
    ss += rel * rel;
    q.max_rel_error = std::max(q.max_rel_error, std::fabs(rel));
  }
  q.points = static_cast<int>(samples.size());
  q.rms_rel_error = samples.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(samples.size()));
  return q;
}

FitQuality evaluate(const BandwidthCurve& c, const std::vector<Sample>& samples) {
  FitQuality q;
  double ss = 0;
  for (const auto& s : samples) {
    const double rel = c.bandwidth(s.sms) / s.rate() - 1.0;
    ss += rel * rel;
    q.max_rel_error = std::max(q.max_rel_error, std::fabs(rel));
  }
  q.points = static_cast<int>(samples.size());
  q.rms_rel_error = samples.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(samples.size()));
  return q;
}

ClassCurve fit_class_curve(const std::string& kernel_class, WorkBasis basis,
                           const std::vector<Sample>& samples, int sm_count) {
  check_samples(samples);
  if (sm_count <= 0) throw std::invalid_argument("fit_class_curve: sm_count must be positive");
  const auto n = static_cast<Eigen::Index>(samples.size());
  std::set<int> sms_values;
  std::set<double> work_values;
  double wmin = std::numeric_limits<double>::max();
  double wmax = 0;
  for (const auto& s : samples) {
    sms_values.insert(s.sms);
    work_values.insert(s.work);
    wmin = std::min(wmin, s.work);
    wmax = std::max(wmax, s.work);
  }
  const bool fit_alpha = sms_values.size() >= 2;
  const bool fit_w0 = work_values.size() >= 2;

  Eigen::VectorXd y(n), xs(n), w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<std::size_t>(i)];
    y(i) = std::log(s.rate());
    xs(i) = std::log(static_cast<double>(s.sms) / sm_count);
    w(i) = s.work;
  }
  // Linear parameters (log rate_max, alpha) given log work0: exact least squares.
  auto solve_linear = [&](double logw0, Eigen::Vector2d& lin) {
    Eigen::VectorXd rhs(n);
    for (Eigen::Index i = 0; i < n; ++i) rhs(i) = y(i) - log_saturation(w(i) / std::exp(logw0));
    Eigen::MatrixXd x(n, fit_alpha ? 2 : 1);
    x.col(0).setOnes();
    if (fit_alpha) {
      x.col(1) = xs;
    } else {
      rhs -= xs;  // alpha held at 1
    }
    const Eigen::VectorXd b = linear_ls(x, rhs);
    lin = Eigen::Vector2d(b(0), fit_alpha ? b(1) : 1.0);
    return (x * b - rhs).squaredNorm();
  };

  double best_logw0 = std::log(wmin * 1e-4);
  Eigen::Vector2d lin;
  if (fit_w0) {
    double best = std::numeric_limits<double>::max();
    for (double w0 : log_grid(wmin * 1e-3, wmax * 1e2, 241)) {
      Eigen::Vector2d l;
      const double c = solve_linear(std::log(w0), l);
      if (c < best) {
        best = c;
        best_logw0 = std::log(w0);
      }
    }
  }
  solve_linear(best_logw0, lin);

  ClassCurve curve;
  curve.kernel_class = kernel_class;
  curve.basis = basis;
  if (fit_w0) {
    const int np = fit_alpha ? 3 : 2;
    Eigen::VectorXd p(np);
    p(0) = lin(0);
    if (fit_alpha) p(1) = lin(1);
    p(np - 1) = best_logw0;
    const ResidualFn f = [&](const Eigen::VectorXd& q, Eigen::VectorXd& r, Eigen::MatrixXd& j) {
      r.resize(n);
      j.resize(n, np);
      const double alpha = fit_alpha ? q(1) : 1.0;
      const double w0 = std::exp(q(np - 1));
      for (Eigen::Index i = 0; i < n; ++i) {
        const double u = w(i) / w0;
        r(i) = q(0) + alpha * xs(i) + log_saturation(u) - y(i);
        j(i, 0) = 1;
        if (fit_alpha) j(i, 1) = xs(i);
        j(i, np - 1) = dlog_saturation_dlogw0(u);
      }
    };
    p = levenberg_marquardt(f, p);
    curve.rate_max = std::exp(p(0));
    curve.sm_exponent = fit_alpha ? p(1) : 1.0;
    curve.work0 = std::exp(p(np - 1));
  } else {
    curve.rate_max = std::exp(lin(0));
    curve.sm_exponent = lin(1);
    curve.work0 = std::exp(best_logw0);
    // rate_max absorbs the (tiny) saturation loss at the one size measured.
    curve.rate_max /= -std::expm1(-wmin / curve.work0);
  }
  curve.fit = evaluate(curve, samples, sm_count);
  return curve;
}

BandwidthCurve fit_bandwidth_curve(const std::vector<Sample>& samples) {
  check_samples(samples);
  const auto n = static_cast<Eigen::Index>(samples.size());
  Eigen::VectorXd y(n), s(n);
  int smin = std::numeric_limits<int>::max();
  int smax = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& p = samples[static_cast<std::size_t>(i)];
    y(i) = std::log(p.rate());
    s(i) = p.sms;
    smin = std::min(smin, p.sms);
    smax = std::max(smax, p.sms);
  }
  // log bw = log b_max + log(1 - exp(-s/s0)); for a fixed s0 the best log b_max is a mean.
  auto cost_at = [&](double logs0, double& logb) {
    Eigen::VectorXd g(n);
    for (Eigen::Index i = 0; i < n; ++i) g(i) = log_saturation(s(i) / std::exp(logs0));
    logb = (y - g).mean();
    return (y - g - Eigen::VectorXd::Constant(n, logb)).squaredNorm();
  };
  double best = std::numeric_limits<double>::max();
  double best_logs0 = 0;
  double best_logb = 0;
  for (double s0 : log_grid(smin * 1e-2, smax * 1e2, 241)) {
    double logb = 0;
    const double c = cost_at(std::log(s0), logb);
    if (c < best) {
      best = c;
      best_logs0 = std::log(s0);
      best_logb = logb;
    }
  }
  Eigen::VectorXd p(2);
  p << best_logb, best_logs0;
  if (smin != smax) {
    const ResidualFn f = [&](const Eigen::VectorXd& q, Eigen::VectorXd& r, Eigen::MatrixXd& j) {
      r.resize(n);
      j.resize(n, 2);
      for (Eigen::Index i = 0; i < n; ++i) {
        const double u = s(i) / std::exp(q(1));
        r(i) = q(0) + log_saturation(u) - y(i);
        j(i, 0) = 1;
        j(i, 1) = dlog_saturation_dlogw0(u);
      }
    };
    p = levenberg_marquardt(f, p);
  }
  BandwidthCurve c;
  c.bandwidth_max = std::exp(p(0));
  c.sms0 = std::exp(p(1));
  c.fit = evaluate(c, samples);
  return c;
}

}  // namespace hopsim::profiler::calibrate
