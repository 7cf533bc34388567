#pragma once
//! The canonical form of a resolved scenario (every field of hardware, model, plan and cost,
//! without names, paths or comments): what the scenario hash in a result's provenance covers.

#include <nlohmann/json.hpp>
#include <string>

#include "hopsim/core/scenario.hpp"

namespace hopsim::planner {

[[nodiscard]] nlohmann::ordered_json canonical_json(const Scenario& s);
//! short_hash of canonical_json(s).dump().
[[nodiscard]] std::string scenario_hash(const Scenario& s);

}  // namespace hopsim::planner
