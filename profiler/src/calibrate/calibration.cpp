#include "hopsim/profiler/calibrate/calibration.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/sim/cost/cost_model.hpp"

namespace hopsim::profiler::calibrate {

std::string_view to_string(WorkBasis b) {
  return b == WorkBasis::kFlops ? "flops" : "bytes";
}

// The curves are evaluated by the simulator's types, so a fit and the simulation that uses it can
// never disagree on the formula.
double ClassCurve::rate(int sms, double work, int sm_count) const {
  return sim::MeasuredRate{rate_max, sm_exponent, work0, sm_count}.rate(sms, work);
}

double ClassCurve::efficiency_max() const {
  return nominal_peak > 0 ? rate_max / nominal_peak : 0.0;
}

double BandwidthCurve::bandwidth(int sms) const {
  return sim::MeasuredBandwidth{bandwidth_max, sms0}.at(sms);
}

const ClassCurve* Calibration::find(std::string_view kernel_class) const {
  const auto it = std::find_if(classes.begin(), classes.end(),
                               [&](const ClassCurve& c) { return c.kernel_class == kernel_class; });
  return it == classes.end() ? nullptr : &*it;
}

namespace {

using config::key;
using config::KeySpec;
using config::MappingReader;
using config::ValueKind;

// Calibration files are read with the same declared-key reader as scenarios (core/config), so
// their errors look the same: file, line, column, key path, nearest key.
FitQuality read_fit(const MappingReader& parent) {
  const MappingReader f(parent.node("fit"), parent.file(), parent.path("fit"),
                        {key("points", ValueKind::kNonNegativeInt, true),
                         key("rms_rel_error", ValueKind::kNonNegativeNumber, true),
                         key("max_rel_error", ValueKind::kNonNegativeNumber, true)});
  FitQuality q;
  q.points = f.get_int32("points");
  q.rms_rel_error = f.get_number("rms_rel_error");
  q.max_rel_error = f.get_number("max_rel_error");
  return q;
}

BandwidthCurve read_bandwidth(const MappingReader& parent, const std::string& name) {
  const MappingReader r(
      parent.node(name), parent.file(), parent.path(name),
      {key("bandwidth_max", ValueKind::kPositiveNumber, true),
       key("sms0", ValueKind::kPositiveNumber, true), key("fit", ValueKind::kMapping, true)});
  BandwidthCurve c;
  c.bandwidth_max = r.get_number("bandwidth_max");
  c.sms0 = r.get_number("sms0");
  c.fit = read_fit(r);
  return c;
}

ClassCurve read_class(const YAML::Node& node, const std::string& file, const std::string& path) {
  const MappingReader r(node, file, path,
                        {key("class", ValueKind::kString, true),
                         KeySpec{"basis", ValueKind::kEnum, true, {"flops", "bytes"}, false, {}},
                         key("rate_max", ValueKind::kPositiveNumber, true),
                         key("sm_exponent", ValueKind::kPositiveNumber, true),
                         key("work0", ValueKind::kPositiveNumber, true),
                         key("nominal_peak", ValueKind::kNonNegativeNumber, false),
                         at_most(key("efficiency_max", ValueKind::kNonNegativeNumber, false), 1),
                         key("fit", ValueKind::kMapping, true)});
  ClassCurve cc;
  cc.kernel_class = r.get_string("class");
  cc.basis = r.get_string("basis") == "flops" ? WorkBasis::kFlops : WorkBasis::kBytes;
  cc.rate_max = r.get_number("rate_max");
  cc.sm_exponent = r.get_number("sm_exponent");
  cc.work0 = r.get_number("work0");
  cc.nominal_peak = r.get_number("nominal_peak", cc.nominal_peak);
  // A measured rate cannot beat the datasheet peak it is compared with.
  if (cc.nominal_peak > 0 && cc.rate_max > cc.nominal_peak) {
    r.fail("rate_max", "a measured rate at most nominal_peak (" + fmt("%.6g", cc.nominal_peak) +
                           ") expected, got " + fmt("%.6g", cc.rate_max));
  }
  // efficiency_max is written for the reader (rate_max / nominal_peak) and not read back: an
  // edited one would change nothing, so it must agree with the curve it describes.
  if (r.has("efficiency_max")) {
    const double e = r.get_number("efficiency_max");
    // Three significant digits: a hand-written file may round it.
    if (cc.nominal_peak <= 0 || std::abs(e - cc.efficiency_max()) > 1e-3 * cc.efficiency_max()) {
      r.fail("efficiency_max",
             "efficiency_max is derived, rate_max / nominal_peak = " +
                 (cc.nominal_peak > 0 ? fmt("%.6g", cc.efficiency_max()) : std::string("none")) +
                 ", got " + fmt("%.6g", e) + "; edit rate_max to change the curve");
    }
  }
  cc.fit = read_fit(r);
  return cc;
}

// The bounds are the physical ones, wider than the fit's search box: a main-loop fraction of the
// tensor peak in (0, 1], rates that are positive, overheads of at most a millisecond, and an
// overlap exponent of at least 1 (1: no overlap; absent: the max form, full overlap).
sim::GemmFit read_gemm_tile(const YAML::Node& node, const std::string& name) {
  const MappingReader t(
      node, name, "gemm_tile",
      {at_most(key("main_loop_efficiency", ValueKind::kPositiveNumber, true), 1.0),
       at_most(key("operand_feed_gb_per_s_per_sm", ValueKind::kPositiveNumber, true), 10'000),
       at_most(key("tile_overhead_ns", ValueKind::kNonNegativeNumber, true), 1'000'000),
       at_most(key("hbm_tb_per_s", ValueKind::kPositiveNumber, true), 1'000),
       at_most(key("kernel_overhead_ns", ValueKind::kNonNegativeNumber, true), 1'000'000),
       at_most(key("overlap_exponent", ValueKind::kPositiveNumber, false), 1'000)});
  sim::GemmFit f;
  f.efficiency = t.get_number("main_loop_efficiency");
  f.feed_gb_per_s_per_sm = t.get_number("operand_feed_gb_per_s_per_sm");
  f.tile_overhead_ns = t.get_number("tile_overhead_ns");
  f.hbm_tb_per_s = t.get_number("hbm_tb_per_s");
  f.kernel_overhead_ns = t.get_number("kernel_overhead_ns");
  if (t.has("overlap_exponent")) {
    f.overlap_exponent = t.get_number("overlap_exponent");
    if (f.overlap_exponent < 1.0) {
      t.fail("overlap_exponent",
             "an overlap exponent below 1 would make overlapping slower than running one after "
             "the other; leave it out for full overlap (the max form)");
    }
  }
  return f;
}

}  // namespace

Calibration parse_calibration(const std::string& yaml_text, const std::string& name) {
  const YAML::Node root = config::parse_yaml_text(yaml_text, name);
  if (!root.IsMap()) {
    throw ConfigError(config::location_of(root, name, ""),
                      "a calibration file is a mapping (see docs/CALIBRATION.md)");
  }
  const MappingReader r(
      root, name, "",
      {key("hopsim_calibration", ValueKind::kPositiveInt, true),
       key("device", ValueKind::kString, true), key("sm_count", ValueKind::kPositiveInt, true),
       key("provenance", ValueKind::kMapping, false), key("classes", ValueKind::kSequence, true),
       key("hbm", ValueKind::kMapping, false), key("copy", ValueKind::kMapping, false),
       key("time_scales", ValueKind::kMapping, false),
       at_most(key("launch_overhead_ns", ValueKind::kNonNegativeInt, false), 1'000'000),
       at_most(key("comm_hbm_bytes_per_wire_byte", ValueKind::kNonNegativeNumber, false), 100),
       key("cost_model_classes", ValueKind::kMapping, false),
       key("gemm_tile", ValueKind::kMapping, false)});
  if (r.get_int("hopsim_calibration") != Calibration::kFormatVersion) {
    r.fail("hopsim_calibration",
           "unsupported calibration format version (this hopsim reads version " +
               std::to_string(Calibration::kFormatVersion) + ")");
  }
  Calibration c;
  c.device = r.get_string("device");
  c.sm_count = r.get_int32("sm_count");
  if (r.has("provenance")) {
    for (const auto& kv : r.node("provenance")) {
      const std::string k = kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        throw ConfigError(config::location_of(kv.second, name, "provenance." + k),
                          "expected a string");
      }
      c.provenance[k] = kv.second.Scalar();
    }
  }
  const YAML::Node classes = r.node("classes");
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const std::string path = "classes[" + std::to_string(i) + "]";
    ClassCurve cc = read_class(classes[i], name, path);
    if (c.find(cc.kernel_class) != nullptr) {
      throw ConfigError(config::location_of(classes[i]["class"], name, path + ".class"),
                        "class '" + cc.kernel_class + "' listed twice");
    }
    c.classes.push_back(std::move(cc));
  }
  if (r.has("hbm")) c.hbm = read_bandwidth(r, "hbm");
  if (r.has("copy")) c.copy = read_bandwidth(r, "copy");
  if (r.has("time_scales")) {
    const MappingReader t(r.node("time_scales"), name, "time_scales",
                          {at_most(key("gemm", ValueKind::kPositiveNumber, false), 100),
                           at_most(key("attention", ValueKind::kPositiveNumber, false), 100),
                           at_most(key("memory_bound", ValueKind::kPositiveNumber, false), 100),
                           at_most(key("deepep_payload", ValueKind::kPositiveNumber, false), 100),
                           at_most(key("deepep_notify", ValueKind::kPositiveNumber, false), 100)});
    for (const char* g : {"gemm", "attention", "memory_bound", "deepep_payload", "deepep_notify"}) {
      if (t.has(g)) c.time_scales[g] = t.get_number(g);
    }
  }
  if (r.has("launch_overhead_ns")) c.launch_overhead_ns = r.get_int("launch_overhead_ns");
  if (r.has("comm_hbm_bytes_per_wire_byte")) {
    c.comm_hbm_bytes_per_wire_byte = r.get_number("comm_hbm_bytes_per_wire_byte");
  }
  if (r.has("gemm_tile")) c.gemm_tile = read_gemm_tile(r.node("gemm_tile"), name);
  if (r.has("cost_model_classes")) {
    std::vector<config::KeySpec> keys;
    for (const std::string& k : cost_model_class_names())
      keys.push_back(key(k, ValueKind::kString, false));
    const MappingReader m(r.node("cost_model_classes"), name, "cost_model_classes", keys);
    for (const std::string& k : cost_model_class_names()) {
      if (!m.has(k)) continue;
      const std::string measured = m.get_string(k);
      const ClassCurve* cc = c.find(measured);
      const WorkBasis basis = cost_model_class_basis(k);
      if (cc == nullptr || cc->basis != basis) {
        m.fail(k, "'" + measured + "' is not a " + (basis == WorkBasis::kFlops ? "FLOP" : "byte") +
                      "-based class of this file's `classes`");
      }
      c.cost_model_classes[k] = measured;
    }
  }
  return c;
}

namespace {
// The cost-model classes a campaign calibrates, alphabetical, with the basis each is measured in.
const std::map<std::string, WorkBasis, std::less<>>& cost_model_classes() {
  static const std::map<std::string, WorkBasis, std::less<>> classes{
      {"attention_bwd", WorkBasis::kFlops}, {"attention_fwd", WorkBasis::kFlops},
      {"elementwise", WorkBasis::kBytes},   {"fp8_cast", WorkBasis::kBytes},
      {"gemm_bf16", WorkBasis::kFlops},     {"gemm_fp8", WorkBasis::kFlops},
      {"moe_routing", WorkBasis::kBytes},   {"norm", WorkBasis::kBytes}};
  return classes;
}
}  // namespace

const std::vector<std::string>& cost_model_class_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, basis] : cost_model_classes()) n.push_back(name);
    return n;
  }();
  return names;
}

WorkBasis cost_model_class_basis(std::string_view name) {
  const auto it = cost_model_classes().find(name);
  return it == cost_model_classes().end() ? WorkBasis::kFlops : it->second;
}

std::optional<std::string> choose_cost_model_classes(Calibration& c,
                                                     std::string_view gemm_kernels) {
  std::vector<std::pair<std::string, std::string>> wanted{{"elementwise", "hbm_copy"},
                                                          {"norm", "rmsnorm"},
                                                          {"fp8_cast", "quantize_fp8"},
                                                          {"moe_routing", "moe_router"}};
  if (gemm_kernels == "cublas") {
    for (const auto& [model, measured] :
         {std::pair<std::string, std::string>{"gemm_fp8", "cublaslt_gemm_fp8"},
          {"gemm_bf16", "cublas_gemm_bf16"}}) {
      if (c.find(measured) == nullptr) return measured;
      wanted.emplace_back(model, measured);
    }
  } else {
    for (const char* own : {"gemm_fp8", "gemm_bf16", "attention_fwd", "attention_bwd"})
      wanted.emplace_back(own, own);
  }
  for (const auto& [model, measured] : wanted) {
    if (c.find(measured) != nullptr) c.cost_model_classes[model] = measured;
  }
  return std::nullopt;
}

Calibration load_calibration(const std::filesystem::path& path) {
  return parse_calibration(config::read_config_file(path, "calibration file"), path.string());
}

namespace {
void emit_fit(YAML::Emitter& e, const FitQuality& q) {
  e << YAML::Key << "fit" << YAML::Value << YAML::Flow << YAML::BeginMap;
  e << YAML::Key << "points" << YAML::Value << q.points;
  e << YAML::Key << "rms_rel_error" << YAML::Value << q.rms_rel_error;
  e << YAML::Key << "max_rel_error" << YAML::Value << q.max_rel_error;
  e << YAML::EndMap;
}
void emit_bandwidth(YAML::Emitter& e, const char* key, const BandwidthCurve& b) {
  e << YAML::Key << key << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "bandwidth_max" << YAML::Value << b.bandwidth_max;
  e << YAML::Key << "sms0" << YAML::Value << b.sms0;
  emit_fit(e, b.fit);
  e << YAML::EndMap;
}
}  // namespace

std::vector<std::string> drop_exceeded_peaks(Calibration& c) {
  std::vector<std::string> out;
  for (ClassCurve& cc : c.classes) {
    if (cc.nominal_peak <= 0 || cc.rate_max <= cc.nominal_peak) continue;
    out.push_back("class '" + cc.kernel_class + "': the fitted rate_max " +
                  fmt("%.4g", cc.rate_max) + " exceeds the datasheet peak " +
                  fmt("%.4g", cc.nominal_peak) +
                  " given for it; nominal_peak and efficiency_max are left out (check the "
                  "peaks, --measured-on, or the class's fit)");
    cc.nominal_peak = 0;
  }
  return out;
}

std::string calibration_to_yaml(const Calibration& c) {
  YAML::Emitter e;
  e.SetDoublePrecision(17);  // round-trips every double exactly
  e << YAML::BeginMap;
  e << YAML::Key << "hopsim_calibration" << YAML::Value << Calibration::kFormatVersion;
  e << YAML::Key << "device" << YAML::Value << c.device;
  e << YAML::Key << "sm_count" << YAML::Value << c.sm_count;
  e << YAML::Key << "provenance" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : c.provenance) e << YAML::Key << k << YAML::Value << v;
  e << YAML::EndMap;
  e << YAML::Key << "classes" << YAML::Value << YAML::BeginSeq;
  for (const auto& cc : c.classes) {
    e << YAML::BeginMap;
    e << YAML::Key << "class" << YAML::Value << cc.kernel_class;
    e << YAML::Key << "basis" << YAML::Value << std::string(to_string(cc.basis));
    e << YAML::Key << "rate_max" << YAML::Value << cc.rate_max;
    e << YAML::Key << "sm_exponent" << YAML::Value << cc.sm_exponent;
    e << YAML::Key << "work0" << YAML::Value << cc.work0;
    if (cc.nominal_peak > 0) {
      e << YAML::Key << "nominal_peak" << YAML::Value << cc.nominal_peak;
      // Derived, for the reader; the loader checks it against rate_max / nominal_peak.
      e << YAML::Key << "efficiency_max" << YAML::Value << cc.efficiency_max();
    }
    emit_fit(e, cc.fit);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  if (c.hbm) emit_bandwidth(e, "hbm", *c.hbm);
  if (c.copy) emit_bandwidth(e, "copy", *c.copy);
  if (!c.time_scales.empty()) {
    e << YAML::Key << "time_scales" << YAML::Value << YAML::BeginMap;
    for (const auto& [g, v] : c.time_scales) e << YAML::Key << g << YAML::Value << v;
    e << YAML::EndMap;
  }
  if (c.launch_overhead_ns) {
    e << YAML::Key << "launch_overhead_ns" << YAML::Value << *c.launch_overhead_ns;
  }
  if (c.comm_hbm_bytes_per_wire_byte) {
    e << YAML::Key << "comm_hbm_bytes_per_wire_byte" << YAML::Value
      << *c.comm_hbm_bytes_per_wire_byte;
  }
  if (!c.cost_model_classes.empty()) {
    e << YAML::Key << "cost_model_classes" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : c.cost_model_classes) e << YAML::Key << k << YAML::Value << v;
    e << YAML::EndMap;
  }
  if (c.gemm_tile) {
    const sim::GemmFit& f = *c.gemm_tile;
    e << YAML::Key << "gemm_tile" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "main_loop_efficiency" << YAML::Value << f.efficiency;
    e << YAML::Key << "operand_feed_gb_per_s_per_sm" << YAML::Value << f.feed_gb_per_s_per_sm;
    e << YAML::Key << "tile_overhead_ns" << YAML::Value << f.tile_overhead_ns;
    e << YAML::Key << "hbm_tb_per_s" << YAML::Value << f.hbm_tb_per_s;
    e << YAML::Key << "kernel_overhead_ns" << YAML::Value << f.kernel_overhead_ns;
    if (std::isfinite(f.overlap_exponent)) {
      e << YAML::Key << "overlap_exponent" << YAML::Value << f.overlap_exponent;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(
             "# hopsim calibration (format: docs/CALIBRATION.md). Rates in FLOP/s or B/s.\n") +
         e.c_str() + "\n";
}

void save_calibration(const Calibration& c, const std::filesystem::path& path) {
  const std::string text = calibration_to_yaml(c);
  try {
    (void)parse_calibration(text, path.string());
  } catch (const ConfigError& e) {
    throw std::logic_error("calibration for " + path.string() +
                           " would not load back, not written: " + e.what());
  }
  io::write_file_atomically(path, text);
}

ResidualBand residual_band(const Calibration& c) {
  ResidualBand b;
  const auto loo = c.provenance.find("fit_leave_one_out_rms_rel_error");
  if (loo != c.provenance.end()) {
    char* end = nullptr;
    const double v = std::strtod(loo->second.c_str(), &end);
    if (end != loo->second.c_str() && *end == '\0' && std::isfinite(v) && v > 0) {
      b.relative = v;
      b.source = "the calibration's leave-one-component-out rms error against its trace";
      return b;
    }
  }
  for (const ClassCurve& k : c.classes) {
    if (k.fit.rms_rel_error > b.relative) {
      b.relative = k.fit.rms_rel_error;
      b.source = "the largest rms error of the calibration's kernel curves (" + k.kernel_class +
                 "); kernels only, not a whole step";
    }
  }
  return b;
}

}  // namespace hopsim::profiler::calibrate
