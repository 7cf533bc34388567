#pragma once
//! Every measurement a plan makes, in run order, with the id its trace rows carry: the dry-run
//! listing and the GPU loop of hopsim-measure walk this one list, so they cannot disagree.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/profiler/calibrate/measure_plan.hpp"

namespace hopsim::measure {

using profiler::calibrate::Plan;
using profiler::calibrate::PlanEntry;

enum class Role { kAlone, kComputeConcurrent, kCopyConcurrent };

//! The trace's spelling of a role (the `measurements.role` column).
[[nodiscard]] std::string_view role_name(Role r);

struct PlannedMeasurement {
  long long id = 0;  //!< 1, 2, ... in run order
  PlanEntry entry;   //!< for kCopyConcurrent: concurrent_copy_entry(plan)
  Role role = Role::kAlone;
  //! kAlone: the partition size asked for. A concurrent pair: the SMs asked for its copy side
  //! (the compute side gets the rest of the GPU; the listing shows it as all-<copy SMs>).
  int sms = 0;
  long long concurrent_with = 0;  //!< the other half of a pair; 0 for kAlone
};

struct Schedule {
  std::string plan_name;
  int warmup = 0;
  int repeats = 0;
  std::vector<PlannedMeasurement> runs;
};

//! Alone runs first (entries in plan order, each over its partitions), then, only when `only`
//! is empty, one pair per (concurrent.copy_sms, concurrent.compute) in that order: the compute
//! half, then the copy half. `only` keeps the entries of one kernel class; throws
//! hopsim::ConfigError naming `--only` when the plan has none of that class.
[[nodiscard]] Schedule make_schedule(const Plan& plan, const std::string& only = {});

//! The copy that runs beside compute entries: a comm_copy of `concurrent.copy_bytes`.
[[nodiscard]] PlanEntry concurrent_copy_entry(const Plan& plan);

//! The --dry-run listing: one line per measurement (id, role, SMs, label, class, shape, work)
//! and a closing count; what `hopsim measure --dry-run` prints.
[[nodiscard]] std::string describe_schedule(const Schedule& s);

//! CUPTI external correlation tag of one recorded repeat: the measurement id in the high bits,
//! the repeat in the low 16 (plans allow at most 65535 repeats).
[[nodiscard]] std::uint64_t tag(long long id, int repeat);
struct Tag {
  long long id = 0;
  int repeat = 0;
};
[[nodiscard]] Tag untag(std::uint64_t tag);

}  // namespace hopsim::measure
