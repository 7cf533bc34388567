// Tests for core/plan: the one spelling of each schedule and dtype, and dtype sizes.
// Expected values are the names documented in docs/CONFIG.md and the IEEE/OCP storage sizes
// (FP32 4 bytes, BF16 2, FP8 E4M3/E5M2 1), written by hand.
#include "hopsim/core/plan.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace hopsim;

TEST_CASE("schedule names: every name parses to the kind that prints it", "[plan]") {
  const std::vector<std::string> expected = {"1f1b", "interleaved-1f1b", "zb-h1", "dualpipe",
                                             "dualpipev"};
  REQUIRE(schedule_names().size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(schedule_names()[i] == expected[i]);
    const auto kind = schedule_from_name(expected[i]);
    REQUIRE(kind.has_value());
    CHECK(std::string(to_string(*kind)) == expected[i]);
  }
  CHECK(schedule_from_name("DualPipe") == std::nullopt);  // spellings are exact
  CHECK(schedule_from_name("zbh1") == std::nullopt);
  CHECK(schedule_from_name("") == std::nullopt);
}

TEST_CASE("state dtypes: names and bytes per element", "[plan]") {
  CHECK(state_dtype_from_name("fp32") == StateDtype::kFp32);
  CHECK(state_dtype_from_name("bf16") == StateDtype::kBf16);
  CHECK(state_dtype_from_name("fp8") == StateDtype::kFp8);
  CHECK(state_dtype_from_name("fp16") == std::nullopt);
  CHECK(bytes_of(StateDtype::kFp32) == 4);
  CHECK(bytes_of(StateDtype::kBf16) == 2);
  CHECK(bytes_of(StateDtype::kFp8) == 1);
  for (std::string_view n : state_dtype_names()) {
    CHECK(std::string(to_string(*state_dtype_from_name(n))) == n);
  }
}

TEST_CASE("enum names: a value outside its enum prints the fallback", "[plan]") {
  // A cast integer (e.g. a corrupt setting) must not index past a name table.
  CHECK(std::string(to_string(static_cast<ScheduleKind>(5))) == "?");
  CHECK(std::string(to_string(static_cast<ScheduleKind>(-1))) == "?");
  CHECK(std::string(to_string(static_cast<StateDtype>(3))) == "?");
  CHECK(std::string(to_string(ScheduleKind::kDualPipeV)) == "dualpipev");  // the last one named
}
