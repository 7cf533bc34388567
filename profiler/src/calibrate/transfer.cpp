#include "hopsim/profiler/calibrate/transfer.hpp"

#include <cmath>

#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"

namespace hopsim::profiler::calibrate {

TransferFactors transfer_factors(const GpuProfile& measured_on, const GpuProfile& target) {
  auto clock = [](const GpuProfile& g) {
    return g.sustained_clock_mhz > 0 ? g.sustained_clock_mhz : g.boost_clock_mhz;
  };
  TransferFactors f;
  if (clock(measured_on) > 0 && clock(target) > 0) f.clock = clock(target) / clock(measured_on);
  if (measured_on.hbm_bandwidth.value() > 0 && target.hbm_bandwidth.value() > 0) {
    f.hbm = target.hbm_bandwidth.value() / measured_on.hbm_bandwidth.value();
  }
  return f;
}

Calibration transfer_calibration(const Calibration& c, const GpuProfile& measured_on,
                                 const GpuProfile& target, const std::string& measured_on_name,
                                 const std::string& target_name) {
  if (c.sm_count > 0 && c.sm_count != measured_on.sms) {
    throw ConfigError(SourceLocation{"calibration", 0, 0, "sm_count"},
                      "the calibration was measured on " + std::to_string(c.sm_count) +
                          " SMs, but '" + measured_on_name + "' has " +
                          std::to_string(measured_on.sms) +
                          ": give the GPU it was measured on (--measured-on)");
  }
  const TransferFactors f = transfer_factors(measured_on, target);
  const double sm_ratio =
      measured_on.sms > 0 ? static_cast<double>(target.sms) / measured_on.sms : 1.0;
  Calibration t = c;
  t.sm_count = target.sms;
  t.device =
      target.name + " (transferred from " + (c.device.empty() ? measured_on.name : c.device) + ")";
  // Datasheet peaks follow SMs and boost clock (or HBM), so efficiency_max stays comparable.
  const double boost = measured_on.boost_clock_mhz > 0 && target.boost_clock_mhz > 0
                           ? target.boost_clock_mhz / measured_on.boost_clock_mhz
                           : 1.0;
  for (ClassCurve& k : t.classes) {
    if (k.basis == WorkBasis::kFlops) {
      k.rate_max *= std::pow(sm_ratio, k.sm_exponent) * f.clock;
      k.nominal_peak *= sm_ratio * boost;
    } else {
      k.rate_max *= f.hbm;
      k.nominal_peak *= f.hbm;
    }
  }
  for (auto* curve : {&t.hbm, &t.copy}) {
    if (!*curve) continue;
    (*curve)->bandwidth_max *= f.hbm;
    (*curve)->sms0 *= f.hbm;
  }
  t.provenance["transferred_from_device"] = c.device;
  t.provenance["transferred_from_profile"] = measured_on_name;
  t.provenance["transferred_to_profile"] = target_name;
  t.provenance["transfer_rule"] =
      "compute-bound classes x (S'/S)^alpha x clock ratio " + fmt("%.6g", f.clock) +
      "; memory-bound classes and the HBM and copy curves x HBM ratio " + fmt("%.6g", f.hbm) +
      " (docs/CALIBRATION.md)";
  return t;
}

}  // namespace hopsim::profiler::calibrate
