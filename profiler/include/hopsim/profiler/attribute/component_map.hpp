#pragma once
//! Annotation names mapped to hopsim's step components (attention_f ... combine_b): ordered regex
//! rules (profiler/data/annotation_components.yaml, or the user's) for per-component compare.

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace hopsim::profiler::attribute {

//! The components a rule may name: what `hopsim run --json` reports per layer.
[[nodiscard]] const std::vector<std::string>& component_names();

class ComponentMap {
 public:
  //! Parses `version: 1`, `rules: [{component, pattern, case_sensitive?}]`. Throws ConfigError
  //! (file, line, column, key path) on an unknown component (naming the nearest), a bad regex,
  //! a missing or unknown key.
  static ComponentMap from_yaml(std::string_view yaml_text, const std::string& file_name);
  static ComponentMap from_file(const std::filesystem::path& file);
  //! The shipped map: data_dir()/profiler/data/annotation_components.yaml (DeepSeek-style names).
  static ComponentMap shipped();

  //! This map's rules, then `later`'s.
  [[nodiscard]] ComponentMap followed_by(const ComponentMap& later) const;

  //! The component of an annotation name: the first rule whose pattern is found in it.
  [[nodiscard]] std::optional<std::string> component_of(std::string_view annotation) const;

 private:
  struct Rule {
    std::string component;
    std::regex re;
  };
  std::vector<Rule> rules_;
};

}  // namespace hopsim::profiler::attribute
