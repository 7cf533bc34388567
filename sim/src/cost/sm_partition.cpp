#include "hopsim/sim/cost/sm_partition.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hopsim/core/error.hpp"

namespace hopsim::sim {

double comm_bandwidth_fraction(int sms, const CommSmCurve& curve) {
  if (sms <= 0) return 0.0;
  if (!(curve.saturation_sms > 0.0)) {
    throw PlanError("comm_sm_curve.saturation_sms must be positive, got " +
                    std::to_string(curve.saturation_sms));
  }
  const double s = static_cast<double>(sms);
  switch (curve.shape) {
    case CommSmCurve::Shape::kLinearSaturating:
      return std::min(1.0, s / curve.saturation_sms);
    case CommSmCurve::Shape::kExponential: {
      if (!(curve.s0 > 0.0)) {
        throw PlanError("comm_sm_curve.s0 must be positive, got " + std::to_string(curve.s0));
      }
      const double at_sat = 1.0 - std::exp(-curve.saturation_sms / curve.s0);
      return std::min(1.0, (1.0 - std::exp(-s / curve.s0)) / at_sat);
    }
  }
  return 1.0;
}

double compute_sm_fraction(int compute_sms, int total_sms) {
  if (total_sms <= 0) throw PlanError("gpu.sms must be positive, got " + std::to_string(total_sms));
  if (compute_sms < 0 || compute_sms > total_sms) {
    throw PlanError("compute_sms = " + std::to_string(compute_sms) + " is outside [0, " +
                    std::to_string(total_sms) + "] (the GPU's SMs)");
  }
  return static_cast<double>(compute_sms) / static_cast<double>(total_sms);
}

void validate_partition(const SmPartition& p, const GpuProfile& gpu) {
  if (p.comm_sms < 0)
    throw PlanError("comm_sms must not be negative, got " + std::to_string(p.comm_sms));
  if (p.compute_sms < 0) {
    throw PlanError("compute_sms must not be negative, got " + std::to_string(p.compute_sms));
  }
  if (p.comm_sms > gpu.sms) {
    throw PlanError("comm_sms = " + std::to_string(p.comm_sms) + " exceeds the " +
                    std::to_string(gpu.sms) + " SMs of " + gpu.name);
  }
  if (p.compute_sms + p.comm_sms > gpu.sms) {
    throw PlanError("comm_sms = " + std::to_string(p.comm_sms) +
                    " plus compute_sms = " + std::to_string(p.compute_sms) + " exceeds the " +
                    std::to_string(gpu.sms) + " SMs of " + gpu.name);
  }
}

std::optional<std::string> partition_warning(const SmPartition& p, const GpuProfile& gpu) {
  const int g = gpu.sm_partition_granularity;
  if (g <= 1) return std::nullopt;
  // One of the two partitions may be the remainder; the other must be a multiple of g.
  if (p.comm_sms % g == 0 || p.compute_sms % g == 0) return std::nullopt;
  return "SM split " + std::to_string(p.compute_sms) + " + " + std::to_string(p.comm_sms) +
         " cannot be made with green contexts on " + gpu.name +
         " (partitions come in multiples of " + std::to_string(g) + " SMs plus a remainder)";
}

}  // namespace hopsim::sim
