#pragma once
//! A scenario: hardware + model + plan + cost inputs. The unit every command runs on.

#include <string>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/core/hardware.hpp"
#include "hopsim/core/model.hpp"
#include "hopsim/core/plan.hpp"

namespace hopsim {

//! Inputs that turn time into money and energy.
struct CostInputs {
  double price_per_gpu_hour = 2.0;  //!< USD; DeepSeek-V3 report Table 1 assumes $2
  //! Where the price came from: "scenario", "GPU profile" (the scenario's cost gives none and the
  //! GPU profile cites one) or "default" (neither: the DeepSeek-V3 report's $2 H800 figure).
  std::string price_from = "default";
  double pue = 1.0;                  //!< datacentre power usage effectiveness
  double training_tokens = 14.8e12;  //!< DeepSeek-V3 report §4.2
};

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
