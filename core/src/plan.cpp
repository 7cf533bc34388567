#include "hopsim/core/plan.hpp"

#include <array>

namespace hopsim {

const char* to_string(ScheduleKind k) {
  switch (k) {
    case ScheduleKind::k1F1B:
      return "1f1b";
    case ScheduleKind::kInterleaved1F1B:
      return "interleaved-1f1b";
    case ScheduleKind::kZbH1:
      return "zb-h1";
    case ScheduleKind::kDualPipe:
      return "dualpipe";
    case ScheduleKind::kDualPipeV:
      return "dualpipev";
  }
  return "?";
}

const char* to_string(Precision p) {
  return p == Precision::kFp8 ? "fp8" : "bf16";
}

const char* to_string(StateDtype d) {
  switch (d) {
    case StateDtype::kFp32:
      return "fp32";
    case StateDtype::kBf16:
      return "bf16";
    case StateDtype::kFp8:
      return "fp8";
  }
  return "?";
}

namespace {

constexpr std::array<ScheduleKind, 5> kSchedules = {
    ScheduleKind::k1F1B, ScheduleKind::kInterleaved1F1B, ScheduleKind::kZbH1,
    ScheduleKind::kDualPipe, ScheduleKind::kDualPipeV};
constexpr std::array<StateDtype, 3> kDtypes = {StateDtype::kFp32, StateDtype::kBf16,
                                               StateDtype::kFp8};
constexpr std::array<std::string_view, 5> kScheduleNames = {"1f1b", "interleaved-1f1b", "zb-h1",
                                                            "dualpipe", "dualpipev"};
constexpr std::array<std::string_view, 3> kDtypeNames = {"fp32", "bf16", "fp8"};

}  // namespace

std::span<const std::string_view> schedule_names() {
  return kScheduleNames;
}
std::span<const std::string_view> state_dtype_names() {
  return kDtypeNames;
}

std::optional<ScheduleKind> schedule_from_name(std::string_view name) {
  for (ScheduleKind k : kSchedules) {
    if (name == to_string(k)) return k;
  }
  return std::nullopt;
}

std::optional<StateDtype> state_dtype_from_name(std::string_view name) {
  for (StateDtype d : kDtypes) {
    if (name == to_string(d)) return d;
  }
  return std::nullopt;
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
