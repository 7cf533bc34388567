#include "hopsim/profiler/classify/classifier.hpp"

#include <yaml-cpp/yaml.h>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/core/error.hpp"
#include "rules_file.hpp"

namespace hopsim::profiler::classify {

namespace {

using config::KeySpec;
using config::MappingReader;
using config::ValueKind;

}  // namespace

KernelClassifier KernelClassifier::from_yaml(std::string_view yaml_text,
                                             const std::string& file_name) {
  const MappingReader top =
      read_rules_top(yaml_text, file_name, "rules file",
                     {KeySpec{"communication", ValueKind::kSequence, false, {}, false, {}}});
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
  for_each_rule(top, KeySpec{"class", ValueKind::kString, true, {}, false, {"klass", "name"}},
                [&](const MappingReader& r) {
                  Rule rule;
                  rule.klass = r.get_string("class");
                  rule.pattern = r.get_string("pattern");
                  rule.case_sensitive = r.get_bool("case_sensitive", false);
                  rule.re = rule_pattern(r);
                  c.rules_.push_back(std::move(rule));
                });
  return c;
}

KernelClassifier KernelClassifier::from_file(const std::filesystem::path& file) {
  return from_yaml(config::read_config_file(file, "rules file"), file.string());
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
