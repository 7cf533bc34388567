#pragma once
//! The reference what-if study: a base scenario (e.g. DeepSeek-V3 on H800) against another
//! (the same on H100) under ablations, and why the GPUs differ. Shared by the CLI and the GUI.

#include <functional>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {

//! One variant: the change applied to both scenarios and both results.
struct WhatIfRow {
  std::string group;  //!< "schedule", "comm SMs", "EP", ...
  std::string label;  //!< "1F1B", "20 of 132", ...
  Scenario a, b;
  sim::SimResult ra, rb;
  //! Step time of a over b, minus 1: what a's hardware costs on this variant.
  [[nodiscard]] double gap() const;
};

struct WhatIfStudy {
  std::vector<WhatIfRow> rows;  //!< rows[0] is the scenarios as given
  std::size_t unmitigated = 0;  //!< 1F1B with no comm SMs
  //! Rows whose all-to-all or TP traffic stays inside a node (EP8, TP2): where NVLink shows.
  std::vector<std::size_t> nvlink_bound;
  //! Plain-language reasons computed from the results (bottleneck links, gaps).
  std::vector<std::string> reasons;
};

//! Runs every variant of both scenarios. `options` gives the run options of a scenario (mode,
//! calibration). Variants that are impossible for a scenario (e.g. EP16 on a model with fewer
//! experts) are skipped, not errors.
[[nodiscard]] WhatIfStudy run_whatif(
    const Scenario& base, const Scenario& other,
    const std::function<sim::RunOptions(const Scenario&)>& options);

}  // namespace hopsim::planner
