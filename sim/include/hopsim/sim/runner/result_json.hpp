#pragma once
//! SimResult as JSON: the machine-readable form shared by the CLI, sweeps and reports.

#include <nlohmann/json.hpp>

#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::sim {

//! Published anchor: 180K H800 GPU-hours per trillion tokens (DeepSeek-V3 report, arXiv
//! 2412.19437, §1 p.5 and §4.4 p.26). A validation target, never a fitting target.
inline constexpr double kPublishedH800GpuHoursPerTrillion = 180e3;

[[nodiscard]] nlohmann::ordered_json to_json(const SimResult& r);

}  // namespace hopsim::sim
