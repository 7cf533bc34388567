#include "hopsim/profiler/calibrate/measure_plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "hopsim/core/error.hpp"

namespace hopsim::profiler::calibrate {

long long PlanEntry::at(const std::string& key) const {
  const auto it = shape.find(key);
  if (it == shape.end())
    throw ConfigError(SourceLocation{"plan", 0, 0, label + "." + key}, "missing shape key");
  return it->second;
}

const std::map<std::string, std::vector<std::string>>& known_classes() {
  static const std::map<std::string, std::vector<std::string>> k{
      {"gemm_bf16", {"m", "n", "k"}},
      {"gemm_fp8", {"m", "n", "k"}},
      {"cublas_gemm_bf16", {"m", "n", "k"}},
      {"cublaslt_gemm_fp8", {"m", "n", "k"}},
      {"grouped_gemm_fp8", {"groups", "m_per_group", "n", "k"}},
      {"attention_fwd", {"batch", "seq", "heads", "d_qk", "d_v"}},
      {"attention_bwd", {"batch", "seq", "heads", "d_qk", "d_v"}},
      {"moe_router", {"tokens", "experts", "groups", "topk_groups", "topk"}},
      {"moe_permute", {"tokens", "topk", "experts", "hidden"}},
      {"moe_combine", {"tokens", "topk", "hidden"}},
      {"rmsnorm", {"rows", "cols"}},
      {"quantize_fp8", {"rows", "cols"}},
      {"hbm_copy", {"bytes"}},
      {"comm_copy", {"bytes"}},
  };
  return k;
}

Work work_of(const PlanEntry& e) {
  const std::string& c = e.kernel_class;
  Work w;
  auto d = [&](const char* key) { return static_cast<double>(e.at(key)); };
  if (c == "gemm_bf16" || c == "cublas_gemm_bf16") {
    w.flops = 2 * d("m") * d("n") * d("k");
    w.bytes = 2 * (d("m") * d("k") + d("n") * d("k") + d("m") * d("n"));
  } else if (c == "gemm_fp8" || c == "cublaslt_gemm_fp8") {
    w.flops = 2 * d("m") * d("n") * d("k");
    w.bytes = d("m") * d("k") + d("n") * d("k") + 2 * d("m") * d("n");
  } else if (c == "grouped_gemm_fp8") {
    const double m = d("groups") * d("m_per_group");
    w.flops = 2 * m * d("n") * d("k");
    w.bytes = m * d("k") + d("groups") * d("n") * d("k") + 2 * m * d("n");
  } else if (c == "attention_fwd" || c == "attention_bwd") {
    const double pairs = 0.5 * d("seq") * (d("seq") + 1);  // causal
    const double per_pair =
        c == "attention_fwd" ? d("d_qk") + d("d_v") : 3 * d("d_qk") + 2 * d("d_v");
    w.flops = 2 * d("batch") * d("heads") * pairs * per_pair;
    w.bytes = 2 * d("batch") * d("seq") * d("heads") * (2 * d("d_qk") + 2 * d("d_v")) *
              (c == "attention_fwd" ? 1.0 : 2.0);
  } else if (c == "moe_router") {
    w.flops = 0;
    w.bytes = d("tokens") * d("experts") * 4 + d("tokens") * d("topk") * 8;
    w.flops_basis = false;
  } else if (c == "moe_permute") {
    w.bytes = 2 * d("tokens") * d("topk") * d("hidden") * 2;
    w.flops_basis = false;
  } else if (c == "moe_combine") {
    w.bytes = d("tokens") * d("topk") * d("hidden") * 2 + d("tokens") * d("hidden") * 2;
    w.flops_basis = false;
  } else if (c == "rmsnorm") {
    w.bytes = 2 * d("rows") * d("cols") * 2;
    w.flops_basis = false;
  } else if (c == "quantize_fp8") {
    w.bytes = d("rows") * d("cols") * 3 + d("rows") * d("cols") / 128 * 4;
    w.flops_basis = false;
  } else if (c == "hbm_copy") {
    w.bytes = 2 * d("bytes");  // HBM traffic: read + write
    w.flops_basis = false;
  } else if (c == "comm_copy") {
    w.bytes = d("bytes");  // payload moved, the figure a communication kernel is judged by
    w.flops_basis = false;
  }
  return w;
}

namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Node& n, const std::string& key,
                       const std::string& msg) {
  SourceLocation loc{file, 0, 0, key};
  if (n.IsDefined()) {
    loc.line = n.Mark().line + 1;
    loc.column = n.Mark().column + 1;
  }
  throw ConfigError(loc, msg);
}

// A scalar of type T, or a located error: yaml-cpp's own conversion errors name no file or key.
template <class T>
T scalar(const std::string& file, const YAML::Node& n, const std::string& key, const char* what) {
  T v{};
  if (!n.IsDefined()) fail(file, n, key, std::string("missing (expected ") + what + ")");
  if (!n.IsScalar() || !YAML::convert<T>::decode(n, v))
    fail(file, n, key, std::string("expected ") + what);
  return v;
}

long long positive(const std::string& file, const YAML::Node& n, const std::string& key) {
  const auto v = scalar<long long>(file, n, key, "a positive integer");
  if (v <= 0) fail(file, n, key, "expected a positive integer");
  return v;
}

std::vector<int> int_list(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsSequence()) fail(file, n, key, "expected a list of integers");
  std::vector<int> v;
  for (const auto& x : n) {
    int i = 0;
    if (!x.IsScalar() || !YAML::convert<int>::decode(x, i) || i <= 0)
      fail(file, x, key, "expected positive integers");
    v.push_back(i);
  }
  return v;
}

// Keys of a mapping must be among `allowed` (a typo would otherwise be silently ignored).
void only_keys(const std::string& file, const YAML::Node& map, const std::string& prefix,
               const std::vector<std::string>& allowed) {
  for (const auto& kv : map) {
    const auto key = scalar<std::string>(file, kv.first, prefix, "a key");
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(file, kv.first, prefix.empty() ? key : prefix + "." + key, "unknown key");
  }
}

}  // namespace

Plan load_plan(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(SourceLocation{path, 0, 0, ""}, "cannot open measurement plan");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(SourceLocation{path, e.mark.line + 1, e.mark.column + 1, ""},
                      "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) fail(path, root, "", "a plan is a mapping");
  only_keys(path, root, "",
            {"hopsim_measure_plan", "name", "model", "warmup", "repeats", "compute_partitions",
             "copy_partitions", "concurrent", "entries"});
  if (!root["hopsim_measure_plan"].IsDefined())
    fail(path, root, "hopsim_measure_plan", "expected 'hopsim_measure_plan: 1'");
  if (scalar<int>(path, root["hopsim_measure_plan"], "hopsim_measure_plan", "the integer 1") != 1)
    fail(path, root["hopsim_measure_plan"], "hopsim_measure_plan",
         "expected 'hopsim_measure_plan: 1' (the only plan format version)");
  Plan p;
  p.name =
      root["name"].IsDefined() ? scalar<std::string>(path, root["name"], "name", "a string") : path;
  if (root["warmup"].IsDefined()) {
    p.warmup = scalar<int>(path, root["warmup"], "warmup", "an integer >= 0");
    if (p.warmup < 0) fail(path, root["warmup"], "warmup", "expected an integer >= 0");
  }
  if (root["repeats"].IsDefined())
    p.repeats = static_cast<int>(positive(path, root["repeats"], "repeats"));
  // Repeats are tagged in the low 16 bits of the CUPTI external correlation id (docs/KERNELS.md).
  if (p.repeats > 0xFFFF) fail(path, root["repeats"], "repeats", "at most 65535 repeats");
  const auto compute_parts = root["compute_partitions"].IsDefined()
                                 ? int_list(path, root["compute_partitions"], "compute_partitions")
                                 : std::vector<int>{132};
  const auto copy_parts = root["copy_partitions"].IsDefined()
                              ? int_list(path, root["copy_partitions"], "copy_partitions")
                              : std::vector<int>{20};
  const YAML::Node entries = root["entries"];
  if (!entries.IsSequence()) fail(path, entries, "entries", "expected a list of kernel entries");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const YAML::Node e = entries[i];
    const std::string where = "entries[" + std::to_string(i) + "]";
    if (!e.IsMap() || !e["label"].IsDefined() || !e["class"].IsDefined())
      fail(path, e, where, "each entry needs 'label' and 'class'");
    PlanEntry base;
    base.label = scalar<std::string>(path, e["label"], where + ".label", "a string");
    base.kernel_class = scalar<std::string>(path, e["class"], where + ".class", "a string");
    const auto known = known_classes().find(base.kernel_class);
    if (known == known_classes().end())
      fail(path, e["class"], where + ".class", "unknown kernel class");
    base.partitions = base.kernel_class == "comm_copy" ? copy_parts : compute_parts;
    // Expand list-valued shape keys into the cartesian product.
    std::vector<PlanEntry> expanded{base};
    for (const auto& kv : e) {
      const auto key = scalar<std::string>(path, kv.first, where, "a key");
      if (key == "label" || key == "class") continue;
      if (key == "partitions") {
        for (auto& x : expanded) x.partitions = int_list(path, kv.second, where + ".partitions");
        continue;
      }
      if (std::find(known->second.begin(), known->second.end(), key) == known->second.end())
        fail(path, kv.first, where + "." + key, "not a shape key of class " + base.kernel_class);
      std::vector<long long> values;
      if (kv.second.IsSequence()) {
        for (const auto& x : kv.second) values.push_back(positive(path, x, where + "." + key));
        if (values.empty()) fail(path, kv.second, where + "." + key, "empty list of values");
      } else {
        values.push_back(positive(path, kv.second, where + "." + key));
      }
      std::vector<PlanEntry> next;
      for (const auto& x : expanded)
        for (long long v : values) {
          PlanEntry y = x;
          y.shape[key] = v;
          if (values.size() > 1) y.label += "_" + key + std::to_string(v);
          next.push_back(y);
        }
      expanded = next;
    }
    for (const auto& key : known->second)
      if (expanded.front().shape.count(key) == 0)
        fail(path, e, where + "." + key, "missing shape key");
    // Labels name runners and concurrent partners, so two entries may not share one.
    for (const auto& x : expanded)
      if (std::any_of(p.entries.begin(), p.entries.end(),
                      [&](const PlanEntry& y) { return y.label == x.label; }))
        fail(path, e["label"], where + ".label", "duplicate label '" + x.label + "'");
    p.entries.insert(p.entries.end(), expanded.begin(), expanded.end());
  }
  if (const YAML::Node c = root["concurrent"]; c.IsDefined()) {
    if (!c.IsMap()) fail(path, c, "concurrent", "expected a mapping");
    only_keys(path, c, "concurrent", {"copy_sms", "copy_bytes", "compute"});
    for (const char* key : {"copy_sms", "copy_bytes", "compute"})
      if (!c[key].IsDefined()) fail(path, c, std::string("concurrent.") + key, "missing key");
    p.concurrent_copy_sms = int_list(path, c["copy_sms"], "concurrent.copy_sms");
    p.concurrent_copy_bytes = positive(path, c["copy_bytes"], "concurrent.copy_bytes");
    if (!c["compute"].IsSequence())
      fail(path, c["compute"], "concurrent.compute", "expected a list of entry labels");
    for (const auto& x : c["compute"]) {
      const auto label = scalar<std::string>(path, x, "concurrent.compute", "an entry label");
      if (std::none_of(p.entries.begin(), p.entries.end(),
                       [&](const PlanEntry& y) { return y.label == label; }))
        fail(path, x, "concurrent.compute", "no entry labelled '" + label + "'");
      p.concurrent_compute.push_back(label);
    }
  }
  return p;
}

}  // namespace hopsim::profiler::calibrate
