#pragma once
//! Scenario files with key-path overrides ("plan.pp=8", "hardware.gpu=h100-sxm5"): the base
//! document is edited as YAML and then read by the same code as any scenario file.

#include <filesystem>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"

namespace hopsim {

//! One edit: `key` is a dotted path into the scenario document; `value` is YAML text (a scalar
//! such as "16" or "dualpipe", or a flow collection such as "[rmsnorm]" or "{value: 900}").
//! A path that runs through a profile or model reference
//! ("hardware.gpu.nvlink_bidirectional_gb_per_s") inlines the referenced file first; a sourced
//! profile value keeps its `source` and gets a new `value`.
struct ScenarioOverride {
  std::string key;
  std::string value;
};

//! A scenario document kept as text, instantiated with overrides. Cheap to copy and safe to
//! use from several threads at once (each call parses its own copy).
class ScenarioTemplate {
 public:
  //! `spec`: a shipped scenario name or a path. Throws ConfigError when it cannot be read.
  ScenarioTemplate() = default;
  explicit ScenarioTemplate(const std::string& spec);
  ScenarioTemplate(std::filesystem::path path, std::string text);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] const std::string& text() const { return text_; }

  //! The edited document as canonical YAML text (comments dropped, keys in file order): the
  //! identity of a configuration. Throws ConfigError for a path that cannot be applied.
  [[nodiscard]] std::string edited_yaml(const std::vector<ScenarioOverride>& overrides) const;
  //! Every scalar of the edited document by dotted key path ("plan.pp" -> "16"); sourced values
  //! are listed under their key without ".value".
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> scalars(
      const std::vector<ScenarioOverride>& overrides) const;
  //! The scenario with the overrides applied, checked like a file (not plan-validated).
  [[nodiscard]] Scenario instantiate(const std::vector<ScenarioOverride>& overrides) const;

 private:
  std::filesystem::path path_;
  std::string text_;
};

}  // namespace hopsim
