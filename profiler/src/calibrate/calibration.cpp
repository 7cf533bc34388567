#include "hopsim/profiler/calibrate/calibration.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <vector>

#include "hopsim/core/error.hpp"

namespace hopsim::profiler::calibrate {

std::string_view to_string(WorkBasis b) {
  return b == WorkBasis::kFlops ? "flops" : "bytes";
}

double ClassCurve::rate(int sms, double work, int sm_count) const {
  const double share = static_cast<double>(sms) / sm_count;
  return rate_max * std::pow(share, sm_exponent) * -std::expm1(-work / work0);
}

double ClassCurve::efficiency_max() const {
  return nominal_peak > 0 ? rate_max / nominal_peak : 0.0;
}

double BandwidthCurve::bandwidth(int sms) const {
  return bandwidth_max * -std::expm1(-static_cast<double>(sms) / sms0);
}

const ClassCurve* Calibration::find(std::string_view kernel_class) const {
  const auto it = std::find_if(classes.begin(), classes.end(),
                               [&](const ClassCurve& c) { return c.kernel_class == kernel_class; });
  return it == classes.end() ? nullptr : &*it;
}

namespace {

// Levenshtein distance, for "did you mean" on unknown keys.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Parsing context: builds ConfigErrors that name the file, position and key path.
struct Reader {
  std::string file;

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& msg,
                         const std::string& hint = {}) const {
    SourceLocation loc{file, 0, 0, key};
    if (n.IsDefined()) {
      loc.line = n.Mark().line + 1;
      loc.column = n.Mark().column + 1;
    }
    throw ConfigError(loc, msg, hint);
  }

  void check_keys(const YAML::Node& map, const std::string& path,
                  std::initializer_list<const char*> allowed) const {
    if (!map.IsMap()) fail(map, path, "expected a mapping");
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) ==
          allowed.end()) {
        std::string best;
        std::size_t best_d = std::string::npos;
        for (const char* a : allowed) {
          const std::size_t d = edit_distance(key, a);
          if (d < best_d) {
            best_d = d;
            best = a;
          }
        }
        fail(kv.first, path.empty() ? key : path + "." + key, "unknown key", best);
      }
    }
  }

  [[nodiscard]] YAML::Node need(const YAML::Node& map, const std::string& path,
                                const char* key) const {
    const YAML::Node v = map[key];
    if (!v.IsDefined()) fail(map, path.empty() ? key : path + "." + key, "missing required key");
    return v;
  }

  [[nodiscard]] double number(const YAML::Node& map, const std::string& path, const char* key,
                              bool positive) const {
    const YAML::Node v = need(map, path, key);
    const std::string where = path.empty() ? std::string(key) : path + "." + key;
    double d = 0;
    if (!v.IsScalar() || !YAML::convert<double>::decode(v, d)) fail(v, where, "expected a number");
    if (!std::isfinite(d)) fail(v, where, "must be finite");
    if (positive && !(d > 0)) fail(v, where, "must be positive");
    if (!positive && d < 0) fail(v, where, "must not be negative");
    return d;
  }

  [[nodiscard]] std::string text(const YAML::Node& map, const std::string& path,
                                 const char* key) const {
    const YAML::Node v = need(map, path, key);
    if (!v.IsScalar())
      fail(v, path.empty() ? std::string(key) : path + "." + key, "expected a string");
    return v.as<std::string>();
  }

  [[nodiscard]] FitQuality fit(const YAML::Node& map, const std::string& path) const {
    const YAML::Node f = need(map, path, "fit");
    const std::string p = path + ".fit";
    check_keys(f, p, {"points", "rms_rel_error", "max_rel_error"});
    FitQuality q;
    q.points = static_cast<int>(number(f, p, "points", false));
    q.rms_rel_error = number(f, p, "rms_rel_error", false);
    q.max_rel_error = number(f, p, "max_rel_error", false);
    return q;
  }

  [[nodiscard]] BandwidthCurve bandwidth(const YAML::Node& n, const std::string& path) const {
    check_keys(n, path, {"bandwidth_max", "sms0", "fit"});
    BandwidthCurve c;
    c.bandwidth_max = number(n, path, "bandwidth_max", true);
    c.sms0 = number(n, path, "sms0", true);
    c.fit = fit(n, path);
    return c;
  }
};

}  // namespace

Calibration parse_calibration(const std::string& yaml_text, const std::string& name) {
  const Reader rd{name};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(SourceLocation{name, e.mark.line + 1, e.mark.column + 1, ""},
                      "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) rd.fail(root, "", "a calibration file is a mapping (see docs/CALIBRATION.md)");
  rd.check_keys(
      root, "",
      {"hopsim_calibration", "device", "sm_count", "provenance", "classes", "hbm", "copy"});
  const YAML::Node ver = rd.need(root, "", "hopsim_calibration");
  int version = 0;
  if (!ver.IsScalar() || !YAML::convert<int>::decode(ver, version) ||
      version != Calibration::kFormatVersion)
    rd.fail(ver, "hopsim_calibration",
            "unsupported calibration format version (this hopsim reads version " +
                std::to_string(Calibration::kFormatVersion) + ")");
  Calibration c;
  c.device = rd.text(root, "", "device");
  const double sms = rd.number(root, "", "sm_count", true);
  if (sms != std::floor(sms)) rd.fail(root["sm_count"], "sm_count", "must be a whole number");
  c.sm_count = static_cast<int>(sms);
  if (const YAML::Node prov = root["provenance"]; prov.IsDefined()) {
    if (!prov.IsMap()) rd.fail(prov, "provenance", "expected a mapping of strings");
    for (const auto& kv : prov) {
      if (!kv.second.IsScalar())
        rd.fail(kv.second, "provenance." + kv.first.as<std::string>(), "expected a string");
      c.provenance[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
  }
  const YAML::Node classes = rd.need(root, "", "classes");
  if (!classes.IsSequence()) rd.fail(classes, "classes", "expected a list");
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const YAML::Node n = classes[i];
    const std::string path = "classes[" + std::to_string(i) + "]";
    rd.check_keys(n, path,
                  {"class", "basis", "rate_max", "sm_exponent", "work0", "nominal_peak",
                   "efficiency_max", "fit"});
    ClassCurve cc;
    cc.kernel_class = rd.text(n, path, "class");
    if (c.find(cc.kernel_class) != nullptr)
      rd.fail(n["class"], path + ".class", "class listed twice");
    const std::string basis = rd.text(n, path, "basis");
    if (basis == "flops") {
      cc.basis = WorkBasis::kFlops;
    } else if (basis == "bytes") {
      cc.basis = WorkBasis::kBytes;
    } else {
      rd.fail(n["basis"], path + ".basis", "expected 'flops' or 'bytes'");
    }
    cc.rate_max = rd.number(n, path, "rate_max", true);
    cc.sm_exponent = rd.number(n, path, "sm_exponent", true);
    cc.work0 = rd.number(n, path, "work0", true);
    if (n["nominal_peak"].IsDefined()) cc.nominal_peak = rd.number(n, path, "nominal_peak", false);
    cc.fit = rd.fit(n, path);
    c.classes.push_back(cc);
  }
  if (root["hbm"].IsDefined()) c.hbm = rd.bandwidth(root["hbm"], "hbm");
  if (root["copy"].IsDefined()) c.copy = rd.bandwidth(root["copy"], "copy");
  return c;
}

Calibration load_calibration(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "cannot open calibration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_calibration(ss.str(), path.string());
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
      // Informational only (derived); the loader accepts and ignores it.
      e << YAML::Key << "efficiency_max" << YAML::Value << cc.efficiency_max();
    }
    emit_fit(e, cc.fit);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  if (c.hbm) emit_bandwidth(e, "hbm", *c.hbm);
  if (c.copy) emit_bandwidth(e, "copy", *c.copy);
  e << YAML::EndMap;
  return std::string(
             "# hopsim calibration (format: docs/CALIBRATION.md). Rates in FLOP/s or B/s.\n") +
         e.c_str() + "\n";
}

void save_calibration(const Calibration& c, const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out)
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "cannot write calibration file");
  out << calibration_to_yaml(c);
  if (!out) throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "write failed");
}

}  // namespace hopsim::profiler::calibrate
