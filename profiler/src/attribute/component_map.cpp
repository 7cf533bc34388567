#include "hopsim/profiler/attribute/component_map.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

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

// Read with the declared-key reader the scenarios and the classifier rules use (core/config).
ComponentMap ComponentMap::from_yaml(std::string_view yaml_text, const std::string& file_name) {
  const YAML::Node root = config::parse_yaml_text(std::string(yaml_text), file_name);
  if (!root.IsMap()) {
    throw ConfigError(config::location_of(root, file_name, ""), "component map must be a mapping");
  }
  const MappingReader top(root, file_name, "",
                          {KeySpec{"version", ValueKind::kPositiveInt, false, {}, false, {}},
                           KeySpec{"rules", ValueKind::kSequence, true, {}, false, {"rule"}}});
  if (top.has("version") && top.get_int("version") != 1) {
    top.fail("version", "only version 1 is understood");
  }
  ComponentMap m;
  const YAML::Node rules = top.node("rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string path = "rules[" + std::to_string(i) + "]";
    if (!rules[i].IsMap()) {
      throw ConfigError(config::location_of(rules[i], file_name, path), "a rule must be a mapping");
    }
    const MappingReader r(
        rules[i], file_name, path,
        {KeySpec{"component", ValueKind::kString, true, {}, false, {"class", "name"}},
         KeySpec{"pattern", ValueKind::kString, true, {}, false, {"regex"}},
         KeySpec{"case_sensitive", ValueKind::kBool, false, {}, false, {}}});
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
    const std::string pattern = r.get_string("pattern");
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (!r.get_bool("case_sensitive", false)) flags |= std::regex::icase;
      rule.re = std::regex(pattern, flags);
    } catch (const std::regex_error& e) {
      r.fail("pattern", "invalid regex '" + pattern + "': " + e.what());
    }
    m.rules_.push_back(std::move(rule));
  }
  return m;
}

ComponentMap ComponentMap::from_file(const std::filesystem::path& file) {
  std::ifstream f(file);
  if (!f) throw ConfigError({file.string(), 0, 0, ""}, "cannot open component map");
  std::stringstream ss;
  ss << f.rdbuf();
  return from_yaml(ss.str(), file.string());
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
