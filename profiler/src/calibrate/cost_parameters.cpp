#include "hopsim/profiler/calibrate/cost_parameters.hpp"

#include <optional>

#include "hopsim/core/format.hpp"

namespace hopsim::profiler::calibrate {
namespace {

// Cost-model class names (the measured classes of hopsim's own kernels, measure_plan.cpp) ->
// the simulator's classes; a calibration may map them to other measured classes (cuBLAS).
std::optional<sim::KernelClass> cost_class(const std::string& name) {
  if (name == "gemm_fp8") return sim::KernelClass::kGemmFp8;
  if (name == "gemm_bf16") return sim::KernelClass::kGemmBf16;
  if (name == "attention_fwd") return sim::KernelClass::kAttentionFwd;
  if (name == "attention_bwd") return sim::KernelClass::kAttentionBwd;
  return std::nullopt;
}

// The memory-bound kinds a calibration may rate (Calibration::cost_model_classes).
std::optional<sim::MemoryKind> memory_kind(const std::string& name) {
  if (name == "elementwise") return sim::MemoryKind::kElementwise;
  if (name == "norm") return sim::MemoryKind::kNorm;
  if (name == "fp8_cast") return sim::MemoryKind::kCast;
  if (name == "moe_routing") return sim::MemoryKind::kRouting;
  return std::nullopt;
}

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
    if (const auto cls = cost_class(name)) {
      p.measured[*cls] = rate;
    } else if (const auto kind = memory_kind(name)) {
      p.measured_memory[*kind] = rate;
    } else {
      continue;
    }
    covered += (covered.empty() ? "" : ", ") + name + (measured == name ? "" : " <- " + measured);
  }
  if (c.hbm) p.measured_hbm = sim::MeasuredBandwidth{c.hbm->bandwidth_max, c.hbm->sms0};
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
