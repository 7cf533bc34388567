#pragma once
//! One-at-a-time sensitivity of a scenario's cost per trillion tokens to its main inputs (price,
//! communication SMs, node limit, micro-batches, compute rate, HBM and NIC bandwidth), for the
//! report's tornado chart.

#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {

//! One input moved down and up with everything else held.
struct Sensitivity {
  std::string input;       //!< "communication SMs"
  std::string low_label;   //!< "12" (the value tried below the scenario's)
  std::string high_label;  //!< "28"
  double low = 0;          //!< USD per 10^12 tokens with the low value; NaN when not runnable
  double high = 0;
  std::string note;  //!< why a side is missing ("PP16 needs at least 32 micro-batches")
};

struct SensitivityStudy {
  double base = 0;                //!< USD per 10^12 tokens of the scenario as given
  std::vector<Sensitivity> rows;  //!< largest swing first
};

//! Runs the scenario and, per input, the two variations (2 x 7 more runs, symmetry mode unless
//! `options` says otherwise). Variations the plan cannot run keep NaN and a note.
[[nodiscard]] SensitivityStudy sensitivity(const Scenario& scenario,
                                           const sim::RunOptions& options = {});

}  // namespace hopsim::planner
