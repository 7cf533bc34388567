#pragma once
//! A scenario: hardware + model + plan + cost inputs. The unit every command runs on.

#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/core/hardware.hpp"
#include "hopsim/core/model.hpp"
#include "hopsim/core/plan.hpp"

namespace hopsim {

//! Job interruptions over a training run (hardware faults, maintenance, restarts). A synchronous
//! job stops whole at each one and loses `minutes_lost` of the cluster's time: detection, restart,
//! reload and the work redone since the last checkpoint.
struct Interruptions {
  double gpu_hours_between = 0;  //!< GPU-hours run per interruption (the job's MTBI x its GPUs)
  double minutes_lost = 0;       //!< wall-clock minutes the whole job loses per interruption
};

//! Inputs that turn time into money and energy.
struct CostInputs {
  double price_per_gpu_hour = 2.0;  //!< USD; DeepSeek-V3 report Table 1 assumes $2
  //! Where the price came from: "scenario", "GPU profile" (the scenario's cost gives none and the
  //! GPU profile cites one) or "default" (neither: the DeepSeek-V3 report's $2 H800 figure).
  std::string price_from = "default";
  double pue = 1.0;                  //!< datacentre power usage effectiveness
  double training_tokens = 14.8e12;  //!< DeepSeek-V3 report §4.2
  //! Absent: every hour of the run trains (an effective training time of 1).
  std::optional<Interruptions> interruptions;
};

//! The share of a run's wall-clock time that trains, on `gpus` GPUs: 1 - (interruptions per hour)
//! x (hours lost per interruption). At or below 0 the run never finishes (plan_errors says so).
[[nodiscard]] inline double effective_training_time(const CostInputs& c, long long gpus) {
  if (!c.interruptions) return 1.0;
  // Hours lost first: nothing lost is E = 1 however often the job stops (a rate that overflows
  // to infinity times zero minutes would be NaN).
  const double hours_lost = c.interruptions->minutes_lost / 60.0;
  return 1.0 - static_cast<double>(gpus) * hours_lost / c.interruptions->gpu_hours_between;
}

struct Scenario {
  std::string name;
  std::string source_path;  //!< file it was loaded from ("" if built in code)
  ClusterProfile cluster;
  ModelConfig model;
  ParallelPlan plan;
  CostInputs cost;
  //! Where each key was read (key_path "plan.ep" etc.), so plan errors can point into the file.
  std::vector<SourceLocation> key_locations;
};

}  // namespace hopsim
