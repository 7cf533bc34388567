#pragma once
//! The keys of a scenario file, declared once: the loader reads each mapping with them and an
//! editor (the GUI's scenario panel) builds its fields from them: kind, range, choices, meaning.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/config/yaml_reader.hpp"
#include "hopsim/core/scenario.hpp"

namespace hopsim::config {

//! The declared keys of one mapping of a scenario file: "" (the document), "hardware",
//! "hardware.gpu" (a GPU profile, in its own file or written inline), "plan", "plan.optimizer",
//! "plan.variation" or "cost". Throws std::out_of_range for any other name.
[[nodiscard]] const std::vector<KeySpec>& scenario_keys(std::string_view mapping);

//! The declaration of a dotted key ("plan.pp", "cost.pue"), or nullptr when none is declared.
[[nodiscard]] const KeySpec* find_scenario_key(std::string_view dotted);

//! The value a loaded scenario has for a setting, as YAML text an override accepts ("16",
//! "dualpipe", "[rmsnorm, swiglu]", "2.5"), defaults and inherited values included (a price the
//! GPU profile gave; "hardware.gpu.sms" the profile's figure). nullopt for keys that are not a
//! single setting (a profile, a mapping).
[[nodiscard]] std::optional<std::string> scenario_value(const Scenario& s, std::string_view dotted);

}  // namespace hopsim::config
