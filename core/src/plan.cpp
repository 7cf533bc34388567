#include "hopsim/core/plan.hpp"

#include <algorithm>

#include "hopsim/core/enum_names.hpp"

namespace hopsim {

namespace {

constexpr EnumNames<ScheduleKind::kDualPipeV> kScheduleNames{
    {"1f1b", "interleaved-1f1b", "zb-h1", "dualpipe", "dualpipev"}};
constexpr EnumNames<StateDtype::kFp8> kDtypeNames{{"fp32", "bf16", "fp8"}};

}  // namespace

int pipeline_stages(const ParallelPlan& plan) {
  switch (plan.schedule) {
    case ScheduleKind::kDualPipeV:
      return 2 * plan.pp;
    case ScheduleKind::kInterleaved1F1B:
      return plan.pp * std::max(1, plan.virtual_stages);
    default:
      return plan.pp;
  }
}

void use_schedule(ParallelPlan& p, ScheduleKind k) {
  const int before = pipeline_stages(p);
  p.schedule = k;
  if (k != ScheduleKind::kInterleaved1F1B) {
    p.virtual_stages = 1;
    p.fb_overlap = false;
  }
  if (pipeline_stages(p) != before) p.layers_per_stage.clear();
}

const char* to_string(ScheduleKind k) {
  return kScheduleNames.name(k, "?");
}

const char* to_string(Precision p) {
  return p == Precision::kFp8 ? "fp8" : "bf16";
}

const char* to_string(StateDtype d) {
  return kDtypeNames.name(d, "?");
}

std::span<const std::string_view> schedule_names() {
  return kScheduleNames.all();
}
std::span<const std::string_view> state_dtype_names() {
  return kDtypeNames.all();
}

std::optional<ScheduleKind> schedule_from_name(std::string_view name) {
  return kScheduleNames.value(name);
}

std::optional<StateDtype> state_dtype_from_name(std::string_view name) {
  return kDtypeNames.value(name);
}

int bytes_of(StateDtype d) {
  switch (d) {
    case StateDtype::kFp32:
      return 4;
    case StateDtype::kBf16:
      return 2;
    case StateDtype::kFp8:
      return 1;
  }
  return 4;
}

}  // namespace hopsim
