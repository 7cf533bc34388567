#include "hopsim/profiler/classify/classifier.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim::profiler::classify {

namespace {

using config::KeySpec;
using config::MappingReader;
using config::ValueKind;

}  // namespace

// Rules files are read with the declared-key reader the scenarios use (core/config): the same
// located errors, duplicate-key checks and nearest-key suggestions.
KernelClassifier KernelClassifier::from_yaml(std::string_view yaml_text,
                                             const std::string& file_name) {
  const YAML::Node root = config::parse_yaml_text(std::string(yaml_text), file_name);
  if (!root.IsMap()) {
    throw ConfigError(config::location_of(root, file_name, ""), "rules file must be a mapping");
  }
  const MappingReader top(root, file_name, "",
                          {KeySpec{"version", ValueKind::kPositiveInt, false, {}, false, {}},
                           KeySpec{"rules", ValueKind::kSequence, true, {}, false, {"rule"}},
                           KeySpec{"communication", ValueKind::kSequence, false, {}, false, {}}});
  if (top.has("version") && top.get_int("version") != 1) {
    top.fail("version", "only version 1 is understood");
  }
  KernelClassifier c;
  if (top.has("communication")) {
    const YAML::Node comm = top.node("communication");
    for (std::size_t i = 0; i < comm.size(); ++i) {
      if (!comm[i].IsScalar() || comm[i].Scalar().empty()) {
        throw ConfigError(
            config::location_of(comm[i], file_name, "communication[" + std::to_string(i) + "]"),
            "expected a class name");
      }
      c.communication_.insert(comm[i].Scalar());
    }
  }
  const YAML::Node rules = top.node("rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string path = "rules[" + std::to_string(i) + "]";
    if (!rules[i].IsMap()) {
      throw ConfigError(config::location_of(rules[i], file_name, path), "a rule must be a mapping");
    }
    const MappingReader r(rules[i], file_name, path,
                          {KeySpec{"class", ValueKind::kString, true, {}, false, {"klass", "name"}},
                           KeySpec{"pattern", ValueKind::kString, true, {}, false, {"regex"}},
                           KeySpec{"case_sensitive", ValueKind::kBool, false, {}, false, {}}});
    Rule rule;
    rule.klass = r.get_string("class");
    rule.pattern = r.get_string("pattern");
    rule.case_sensitive = r.get_bool("case_sensitive", false);
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (!rule.case_sensitive) flags |= std::regex::icase;
      rule.re = std::regex(rule.pattern, flags);
    } catch (const std::regex_error& e) {
      r.fail("pattern", "invalid regex '" + rule.pattern + "': " + e.what());
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
