#pragma once
//! Loading of hopsim's input files: hardware profiles, models (hopsim YAML or Hugging Face
//! config.json), scenarios; plan validation. Only this module reads config files.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/core/hardware.hpp"
#include "hopsim/core/model.hpp"
#include "hopsim/core/scenario.hpp"

namespace hopsim {

//! Root of the shipped data (hwprofiles/, models/, scenarios/): $HOPSIM_DATA_DIR when set,
//! else the source tree this library was built from.
[[nodiscard]] std::filesystem::path data_dir();

//! Names of the shipped models (file stems under models/), sorted.
[[nodiscard]] std::vector<std::string> shipped_models();
//! Names of the shipped profiles of one kind: "gpus", "nodes" or "fabrics".
[[nodiscard]] std::vector<std::string> shipped_profiles(const std::string& kind);
//! Names of the shipped scenarios (file stems under scenarios/), sorted.
[[nodiscard]] std::vector<std::string> shipped_scenarios();

//! `spec` is a shipped name ("deepseek-v3"), a path to a hopsim model YAML, or a path to a
//! Hugging Face config.json. Throws ConfigError.
[[nodiscard]] ModelConfig load_model(const std::string& spec);
//! `spec` is a shipped name ("h800-sxm5") or a path to a profile YAML. Throws ConfigError.
[[nodiscard]] GpuProfile load_gpu_profile(const std::string& spec);
[[nodiscard]] NodeProfile load_node_profile(const std::string& spec);
[[nodiscard]] FabricProfile load_fabric_profile(const std::string& spec);

//! Reads a scenario file; relative paths inside it are resolved against its folder. Checks
//! the file's form (keys, types, ranges) but not the plan's feasibility: see validate_plan.
[[nodiscard]] Scenario load_scenario(const std::filesystem::path& path);
//! A shipped scenario name ("deepseek-v3-h800") or a path.
[[nodiscard]] Scenario load_scenario_spec(const std::string& spec);
//! A scenario given as text (standard input): `name` stands for the file in errors, and
//! relative paths inside it resolve against the working directory.
[[nodiscard]] Scenario load_scenario_text(const std::string& text, const std::string& name);

//! Every rule the plan breaks, one message each with the numbers (empty when feasible).
[[nodiscard]] std::vector<std::string> plan_errors(const Scenario& s);
//! The plan_errors entry for job interruptions that leave no time to train on `gpus` GPUs
//! (they depend on the GPU count, not the plan: a plan search checks them once).
[[nodiscard]] std::optional<std::string> interruptions_error(const Scenario& s, long long gpus);
//! Throws PlanError listing every entry of plan_errors(s), if any.
void validate_plan(const Scenario& s);
//! Things that are allowed but unrealistic (e.g. SM splits green contexts cannot make).
[[nodiscard]] std::vector<std::string> plan_warnings(const Scenario& s);

}  // namespace hopsim
