#include "hopsim/core/plan.hpp"

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

}  // namespace hopsim
