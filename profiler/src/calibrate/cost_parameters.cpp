#include "hopsim/profiler/calibrate/cost_parameters.hpp"

#include <optional>

#include "hopsim/core/enum_names.hpp"
#include "hopsim/core/format.hpp"

namespace hopsim::profiler::calibrate {
namespace {

// The memory-bound kinds a calibration may rate (Calibration::cost_model_classes), by the trace
// classifier's names for them; the other cost-model classes are the simulator's own kernel
// classes, by their names (sim::kernel_class_from_name).
constexpr EnumNames<sim::MemoryKind::kRouting> kMemoryKindNames{
    {"elementwise", "norm", "fp8_cast", "moe_routing"}};

}  // namespace

sim::CostParameters cost_parameters_from(const Calibration& c, const GpuProfile& gpu,
                                         const std::string& source) {
  sim::CostParameters p = sim::default_cost_parameters(gpu);
  std::string covered;
  // Each cost-model class from the measured class that stands for it: itself (hopsim's own
  // kernels) unless the file maps it, e.g. to cuBLASLt's (Calibration::cost_model_classes).
  for (const std::string& name : cost_model_class_names()) {
    std::string measured = name;
    if (!c.cost_model_classes.empty()) {
      const auto m = c.cost_model_classes.find(name);
      if (m == c.cost_model_classes.end()) continue;
      measured = m->second;
    }
    const ClassCurve* cc = c.find(measured);
    if (cc == nullptr || cc->basis != cost_model_class_basis(name)) continue;
    const sim::MeasuredRate rate{cc->rate_max, cc->sm_exponent, cc->work0,
                                 c.sm_count > 0 ? c.sm_count : gpu.sms};
    // A measured rate stands for a compute class; memory-bound kernels are rated per kind.
    if (const auto cls = sim::kernel_class_from_name(name);
        cls && *cls != sim::KernelClass::kMemoryBound) {
      p.measured[*cls] = rate;
    } else if (const auto kind = kMemoryKindNames.value(name)) {
      p.measured_memory[*kind] = rate;
    } else {
      continue;
    }
    covered += (covered.empty() ? "" : ", ") + name + (measured == name ? "" : " <- " + measured);
  }
  if (c.hbm) p.measured_hbm = sim::MeasuredBandwidth{c.hbm->bandwidth_max, c.hbm->sms0};
  if (c.gemm_tile) sim::apply_gemm_fit(p, gpu, *c.gemm_tile);
  std::string scaled;
  for (const auto& [g, v] : c.time_scales) {
    (void)sim::set_time_scale(p.time_scale, g, v);  // the reader admits only these groups
    scaled += (scaled.empty() ? "" : ", ") + g + fmt(" x%.3f", v);
  }
  if (c.launch_overhead_ns) p.launch_overhead = Nanoseconds(*c.launch_overhead_ns);
  if (c.comm_hbm_bytes_per_wire_byte) {
    p.comm_hbm_bytes_per_wire_byte = *c.comm_hbm_bytes_per_wire_byte;
  }
  p.source =
      "calibrated: " + source + " (" + c.device +
      "; classes: " + (covered.empty() ? "none" : covered) + (c.hbm ? "; HBM" : "") +
      (c.gemm_tile ? "; GEMM tile model fitted to a per-shape table" : "") +
      (scaled.empty() ? "" : "; time scales from a trace: " + scaled) +
      (c.comm_hbm_bytes_per_wire_byte
           ? fmt("; HBM interference %.3f bytes per wire byte", *c.comm_hbm_bytes_per_wire_byte)
           : std::string()) +
      (c.launch_overhead_ns
           ? fmt("; launch overhead %.2f us", static_cast<double>(*c.launch_overhead_ns) / 1e3)
           : std::string()) +
      "; the rest uncalibrated defaults)";
  return p;
}

}  // namespace hopsim::profiler::calibrate
