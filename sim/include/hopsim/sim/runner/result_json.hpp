#pragma once
//! SimResult as JSON: the machine-readable form shared by the CLI, sweeps and reports.

#include <nlohmann/json.hpp>

#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::sim {

[[nodiscard]] nlohmann::ordered_json to_json(const SimResult& r);

}  // namespace hopsim::sim
