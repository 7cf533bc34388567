#include "hopsim/measure/schedule.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "hopsim/core/enum_names.hpp"
#include "hopsim/core/error.hpp"

namespace hopsim::measure {

namespace cal = profiler::calibrate;

constexpr EnumNames<Role::kCopyConcurrent> kRoleNames{
    {"alone", "compute_concurrent", "copy_concurrent"}};

std::string_view role_name(Role r) {
  return kRoleNames.name(r, "?");
}

PlanEntry concurrent_copy_entry(const Plan& plan) {
  return PlanEntry{"concurrent_copy", "comm_copy", {{"bytes", plan.concurrent_copy_bytes}}, {}};
}

Schedule make_schedule(const Plan& plan, const std::string& only) {
  Schedule s{plan.name, plan.warmup, plan.repeats, {}};
  long long next_id = 1;
  for (const auto& e : plan.entries) {
    if (!only.empty() && e.kernel_class != only) continue;
    for (int sms : e.partitions) s.runs.push_back({next_id++, e, Role::kAlone, sms, 0});
  }
  if (!only.empty()) {
    if (s.runs.empty())
      throw ConfigError(SourceLocation{"", 0, 0, "--only"},
                        "plan '" + plan.name + "' has no entry of class '" + only + "'");
    // A class alone is a partial run; the pairs need their compute entries, so they are skipped.
    return s;
  }
  const PlanEntry copy = concurrent_copy_entry(plan);
  for (int copy_sms : plan.concurrent_copy_sms)
    for (const auto& label : plan.concurrent_compute) {
      const auto it = std::find_if(plan.entries.begin(), plan.entries.end(),
                                   [&](const PlanEntry& e) { return e.label == label; });
      // load_plan rejects unknown labels; a Plan built by hand may still carry one.
      if (it == plan.entries.end())
        throw ConfigError(SourceLocation{"", 0, 0, "concurrent.compute"},
                          "plan '" + plan.name + "' has no entry labelled '" + label + "'");
      const long long compute_id = next_id++;
      const long long copy_id = next_id++;
      s.runs.push_back({compute_id, *it, Role::kComputeConcurrent, copy_sms, copy_id});
      s.runs.push_back({copy_id, copy, Role::kCopyConcurrent, copy_sms, compute_id});
    }
  return s;
}

std::string describe_schedule(const Schedule& s) {
  std::ostringstream o;
  std::size_t label_width = 5;
  for (const auto& r : s.runs) label_width = std::max(label_width, r.entry.label.size());
  o << "plan " << s.plan_name << ": each measurement is " << s.warmup << " warmup + " << s.repeats
    << " timed launches\n";
  o << std::setw(4) << "id"
    << "  " << std::left << std::setw(20) << "role" << std::setw(10) << "sms"
    << std::setw(static_cast<int>(label_width) + 2) << "label" << std::setw(19) << "class"
    << "shape, work per launch\n"
    << std::right;
  std::size_t alone = 0;
  std::size_t pairs = 0;
  for (const auto& r : s.runs) {
    std::string sms = std::to_string(r.sms);
    if (r.role == Role::kComputeConcurrent) sms = "all-" + sms;  // the GPU less the copy side
    if (r.role == Role::kAlone) ++alone;
    if (r.role == Role::kComputeConcurrent) ++pairs;
    o << std::setw(4) << r.id << "  " << std::left << std::setw(20) << role_name(r.role)
      << std::setw(10) << sms << std::setw(static_cast<int>(label_width) + 2) << r.entry.label
      << std::setw(19) << r.entry.kernel_class << std::right;
    for (const auto& [k, v] : r.entry.shape) o << k << "=" << v << " ";
    const auto w = cal::work_of(r.entry);
    o << "work=" << std::setprecision(6) << (w.flops_basis ? w.flops : w.bytes)
      << (w.flops_basis ? " flops\n" : " bytes\n");
  }
  o << s.runs.size() << " measurements: " << alone << " alone, " << pairs
    << " concurrent pairs (compute beside a copy), x " << s.repeats << " repeats\n";
  return o.str();
}

std::uint64_t tag(long long id, int repeat) {
  return (static_cast<std::uint64_t>(id) << 16) | (static_cast<std::uint64_t>(repeat) & 0xFFFF);
}

Tag untag(std::uint64_t t) {
  return Tag{static_cast<long long>(t >> 16), static_cast<int>(t & 0xFFFF)};
}

}  // namespace hopsim::measure
