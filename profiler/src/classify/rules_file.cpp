#include "rules_file.hpp"

#include "hopsim/core/error.hpp"

namespace hopsim::profiler::classify {

using config::KeySpec;
using config::MappingReader;
using config::ValueKind;

// Read with the declared-key reader the scenarios use (core/config): the same located errors,
// duplicate-key checks and nearest-key suggestions.
MappingReader read_rules_top(std::string_view yaml_text, const std::string& file_name,
                             std::string_view what, const std::vector<KeySpec>& extra) {
  const YAML::Node root = config::parse_yaml_text(std::string(yaml_text), file_name);
  if (!root.IsMap()) {
    throw ConfigError(config::location_of(root, file_name, ""),
                      std::string(what) + " must be a mapping");
  }
  std::vector<KeySpec> keys = {KeySpec{"version", ValueKind::kPositiveInt, false, {}, false, {}},
                               KeySpec{"rules", ValueKind::kSequence, true, {}, false, {"rule"}}};
  keys.insert(keys.end(), extra.begin(), extra.end());
  MappingReader top(root, file_name, "", std::move(keys));
  if (top.has("version") && top.get_int("version") != 1) {
    top.fail("version", "only version 1 is understood");
  }
  return top;
}

void for_each_rule(const MappingReader& top, const KeySpec& label,
                   const std::function<void(const MappingReader& rule)>& add) {
  const YAML::Node rules = top.node("rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string path = "rules[" + std::to_string(i) + "]";
    if (!rules[i].IsMap()) {
      throw ConfigError(config::location_of(rules[i], top.file(), path),
                        "a rule must be a mapping");
    }
    add(MappingReader(rules[i], top.file(), path,
                      {label, KeySpec{"pattern", ValueKind::kString, true, {}, false, {"regex"}},
                       KeySpec{"case_sensitive", ValueKind::kBool, false, {}, false, {}}}));
  }
}

std::regex rule_pattern(const MappingReader& rule) {
  const std::string pattern = rule.get_string("pattern");
  try {
    auto flags = std::regex::ECMAScript | std::regex::optimize;
    if (!rule.get_bool("case_sensitive", false)) flags |= std::regex::icase;
    return std::regex(pattern, flags);
  } catch (const std::regex_error& e) {
    rule.fail("pattern", "invalid regex '" + pattern + "': " + e.what());
  }
}

}  // namespace hopsim::profiler::classify
