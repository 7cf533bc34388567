#include "hopsim/profiler/classify/classifier.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim::profiler::classify {

namespace {

SourceLocation at(const std::string& file, const YAML::Node& n, std::string key) {
  const auto m = n.Mark();
  return {file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0, std::move(key)};
}

}  // namespace

KernelClassifier KernelClassifier::from_yaml(std::string_view yaml_text,
                                             const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw ConfigError({file_name, e.mark.line + 1, e.mark.column + 1, ""}, e.msg);
  }
  if (!root.IsMap()) throw ConfigError({file_name, 1, 1, ""}, "rules file must be a mapping");
  KernelClassifier c;
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    if (key != "version" && key != "rules" && key != "communication") {
      throw ConfigError(at(file_name, kv.first, key), "unknown key",
                        key.starts_with("rule") ? "rules" : "");
    }
  }
  if (root["version"] && root["version"].as<std::string>() != "1") {
    throw ConfigError(at(file_name, root["version"], "version"), "only version 1 is understood");
  }
  if (const auto comm = root["communication"]) {
    if (!comm.IsSequence()) {
      throw ConfigError(at(file_name, comm, "communication"), "must be a list of class names");
    }
    for (const auto& n : comm) c.communication_.insert(n.as<std::string>());
  }
  const auto rules = root["rules"];
  if (!rules || !rules.IsSequence()) {
    throw ConfigError(at(file_name, rules ? rules : root, "rules"), "'rules' must be a list");
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto r = rules[i];
    const std::string path = "rules[" + std::to_string(i) + "]";
    if (!r.IsMap()) throw ConfigError(at(file_name, r, path), "a rule must be a mapping");
    for (const auto& kv : r) {
      const auto k = kv.first.as<std::string>();
      if (k != "class" && k != "pattern" && k != "case_sensitive") {
        throw ConfigError(at(file_name, kv.first, path + "." + k), "unknown key",
                          k == "klass" || k == "name" ? "class" : (k == "regex" ? "pattern" : ""));
      }
    }
    if (!r["class"] || !r["pattern"]) {
      throw ConfigError(at(file_name, r, path), "a rule needs 'class' and 'pattern'");
    }
    Rule rule;
    rule.klass = r["class"].as<std::string>();
    rule.pattern = r["pattern"].as<std::string>();
    rule.case_sensitive = r["case_sensitive"] && r["case_sensitive"].as<bool>();
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (!rule.case_sensitive) flags |= std::regex::icase;
      rule.re = std::regex(rule.pattern, flags);
    } catch (const std::regex_error& e) {
      throw ConfigError(at(file_name, r["pattern"], path + ".pattern"),
                        "invalid regex '" + rule.pattern + "': " + e.what());
    }
    c.rules_.push_back(std::move(rule));
  }
  return c;
}

KernelClassifier KernelClassifier::from_file(const std::filesystem::path& file) {
  std::ifstream f(file);
  if (!f) throw ConfigError({file.string(), 0, 0, ""}, "cannot open rules file");
  std::stringstream ss;
  ss << f.rdbuf();
  return from_yaml(ss.str(), file.string());
}

KernelClassifier KernelClassifier::shipped() {
  return from_file(data_dir() / "profiler" / "data" / "kernel_classes.yaml");
}

KernelClassifier KernelClassifier::with_rules_first(const KernelClassifier& extra) const {
  KernelClassifier c = extra;
  c.rules_.insert(c.rules_.end(), rules_.begin(), rules_.end());
  c.communication_.insert(communication_.begin(), communication_.end());
  return c;
}

std::string KernelClassifier::classify(trace::ActivityKind kind, std::string_view name) const {
  if (kind == trace::ActivityKind::kMemcpy) return std::string(kMemcpyClass);
  if (kind == trace::ActivityKind::kMemset) return std::string(kMemsetClass);
  // Only the head of the name is searched: it holds the kernel's own name, while template
  // arguments can run to many kilobytes, and libstdc++'s backtracking regex recurses per
  // character (a stack risk on hostile input).
  const std::string_view head = name.substr(0, kMaxNameChars);
  for (const auto& r : rules_) {
    if (std::regex_search(head.begin(), head.end(), r.re)) return r.klass;
  }
  return std::string(kOtherClass);
}

bool KernelClassifier::is_communication(std::string_view klass) const {
  return communication_.contains(klass);
}

}  // namespace hopsim::profiler::classify
