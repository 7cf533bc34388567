#pragma once
//! A sweep: a base scenario, axes over any scenario key (as a grid or an explicit list), and
//! constraints that drop combinations. Expanding it gives the numbered configurations to run.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "hopsim/core/config/overrides.hpp"
#include "hopsim/planner/expression.hpp"

namespace hopsim::planner {

//! One axis of a grid: a dotted scenario key and its values (YAML text, e.g. "16", "dualpipe").
struct Axis {
  std::string key;
  std::vector<std::string> values;
};

struct SweepSpec {
  std::string name;
  std::filesystem::path spec_path;  //!< "" when parsed from text
  std::string base;                 //!< as written in the spec
  ScenarioTemplate base_scenario;
  //! Cartesian product; the first axis varies slowest.
  std::vector<Axis> grid;
  //! Explicit configurations; with a grid too, each entry is crossed with the grid.
  std::vector<std::vector<ScenarioOverride>> list;
  std::vector<Expression> constraints;
  //! Where each constraint is written (same order), for errors found while expanding.
  std::vector<SourceLocation> constraint_locations;
  std::string mode = "symmetry";  //!< runner mode: "symmetry" or "full"
};

//! One configuration to run.
struct SweepConfig {
  std::size_t index = 0;  //!< position among the configurations that pass the constraints
  std::vector<ScenarioOverride> overrides;
  std::string key;  //!< configuration hash: SHA-256 of the mode and the edited scenario document
};

struct Expansion {
  std::vector<SweepConfig> configs;
  std::size_t candidates = 0;  //!< combinations before the constraints
  std::size_t excluded = 0;    //!< combinations a constraint rejected
};

//! Reads a sweep spec file. `base` is a shipped scenario name or a path relative to the spec.
//! Throws ConfigError (unknown keys, empty axes, bad constraints).
[[nodiscard]] SweepSpec load_sweep_spec(const std::filesystem::path& path);
[[nodiscard]] SweepSpec parse_sweep_spec(const std::string& text,
                                         const std::filesystem::path& path);

//! Most configurations one sweep may expand to; a larger grid is an error at 'grid'.
inline constexpr std::size_t kMaxSweepConfigurations = 10'000'000;

//! All configurations in order. Throws ConfigError, located at the constraint in the spec, when
//! a constraint uses an unknown name, compares a string with a number or divides by zero.
[[nodiscard]] Expansion expand(const SweepSpec& spec);

//! Identity of the sweep (base document, axes, list, constraints, mode): shard databases of one
//! sweep share it, and `results merge` refuses databases that differ.
[[nodiscard]] std::string sweep_hash(const SweepSpec& spec);

//! JSON object text of a configuration's overrides ({"plan.pp": "16", ...}), for the store.
[[nodiscard]] std::string overrides_json(const std::vector<ScenarioOverride>& overrides);

}  // namespace hopsim::planner
