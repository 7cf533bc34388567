#include "hopsim/profiler/attribute/component_map.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "../classify/rules_file.hpp"
#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim::profiler::attribute {

namespace {
using config::KeySpec;
using config::MappingReader;
using config::ValueKind;
}  // namespace

const std::vector<std::string>& component_names() {
  static const std::vector<std::string> names = {
      "attention_f", "attention_b", "attention_w", "mlp_f",     "mlp_b",
      "mlp_w",       "dispatch_f",  "dispatch_b",  "combine_f", "combine_b"};
  return names;
}

// A rules file as the classifier's (classify/rules_file.hpp), each rule naming a component.
ComponentMap ComponentMap::from_yaml(std::string_view yaml_text, const std::string& file_name) {
  const MappingReader top = classify::read_rules_top(yaml_text, file_name, "component map");
  ComponentMap m;
  classify::for_each_rule(
      top, KeySpec{"component", ValueKind::kString, true, {}, false, {"class", "name"}},
      [&](const MappingReader& r) {
        Rule rule;
        rule.component = r.get_string("component");
        const auto& names = component_names();
        if (std::find(names.begin(), names.end(), rule.component) == names.end()) {
          const std::string near = config::nearest(rule.component, names);
          r.fail("component", "unknown component '" + rule.component + "'" +
                                  (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                                  "; expected one of attention_f/b/w, mlp_f/b/w, dispatch_f/b, "
                                  "combine_f/b");
        }
        rule.re = classify::rule_pattern(r);
        m.rules_.push_back(std::move(rule));
      });
  return m;
}

ComponentMap ComponentMap::from_file(const std::filesystem::path& file) {
  return from_yaml(config::read_config_file(file, "component map"), file.string());
}

ComponentMap ComponentMap::shipped() {
  return from_file(data_dir() / "profiler" / "data" / "annotation_components.yaml");
}

ComponentMap ComponentMap::followed_by(const ComponentMap& later) const {
  ComponentMap m = *this;
  m.rules_.insert(m.rules_.end(), later.rules_.begin(), later.rules_.end());
  return m;
}

std::optional<std::string> ComponentMap::component_of(std::string_view annotation) const {
  for (const Rule& r : rules_) {
    if (std::regex_search(annotation.begin(), annotation.end(), r.re)) return r.component;
  }
  return std::nullopt;
}

}  // namespace hopsim::profiler::attribute
