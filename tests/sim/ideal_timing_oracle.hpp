#pragma once
//! Test oracle: idealised timing of a schedule (zero communication latency, fixed op durations,
//! each rank runs its list in order), kept apart from sim's pipeline executor so that bubbles can
//! be held against the published formulas (DeepSeek-V3 report §3.2.1 Table 2, p.13;
//! deepseek-ai/DualPipe README @3da1bbea) and the executor against a second implementation.

#include <vector>

#include "hopsim/core/units.hpp"
#include "hopsim/sim/schedule/schedule.hpp"

namespace hopsim::sim {

//! Duration of each op kind. Bi is derived as B - W (backward for the input only).
struct OpDurations {
  Nanoseconds f{1};
  Nanoseconds b{2};   //!< full backward
  Nanoseconds w{1};   //!< weight-gradient part of the backward
  Nanoseconds fb{3};  //!< an overlapped F&B pair
  [[nodiscard]] Nanoseconds bi() const { return b - w; }
};

struct IdealTiming {
  Nanoseconds makespan{0};
  std::vector<Nanoseconds> busy;                 //!< per rank: sum of its op durations
  Nanoseconds bubble{0};                         //!< makespan - max(busy) (derived)
  std::vector<std::vector<Nanoseconds>> start;   //!< start[rank][index]
  std::vector<std::vector<Nanoseconds>> finish;  //!< finish[rank][index]
};

//! Runs the schedule on the event engine: an op starts at max(rank free, all its dependencies
//! finished).
//! Throws PlanError if the schedule deadlocks (some rank waits on an op that can never run).
[[nodiscard]] IdealTiming simulate_ideal(const Schedule& s, const OpDurations& d);

}  // namespace hopsim::sim
