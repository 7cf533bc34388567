// Tests for profiler/src/summary/ranks.cpp: three "ranks" (the V100 capture twice and the A100
// capture) against the figures the independent script computed for those files.

#include "hopsim/profiler/summary/ranks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "trace_test_util.hpp"

namespace sm = hopsim::profiler::summary;
namespace t = hopsim::profiler::test;

TEST_CASE("trace ranks: step per rank, stragglers and communication spread", "[summary]") {
  const auto expected =
      nlohmann::json::parse(t::read_text(t::data_dir() / "expected_summary.json"));
  auto mean_span_ms = [&](const std::string& name) {
    double sum = 0;
    for (const auto& s : expected.at(name).at("steps")) sum += s.at("gpu_span_ns").get<double>();
    return sum / static_cast<double>(expected.at(name).at("steps").size()) / 1e6;
  };
  auto comm_ms = [&](const std::string& name) {
    double sum = 0;
    for (const auto& s : expected.at(name).at("steps")) sum += s.at("nccl_ns").get<double>();
    return sum / static_cast<double>(expected.at(name).at("steps").size()) / 1e6;
  };
  t::TempDir dir;
  for (const char* f : {"r0.json.gz", "r1.json.gz"}) {
    std::filesystem::copy_file(t::data_dir() / "kineto" / "v100-1rank-training.json.gz", dir / f);
  }
  std::filesystem::copy_file(t::data_dir() / "kineto" / "a100-2rank-nccl.json.gz",
                             dir / "r2.json.gz");
  const auto files = sm::rank_files(dir.path());
  REQUIRE(files.size() == 3);
  const auto st = sm::study_ranks(files, hopsim::profiler::classify::KernelClassifier::shipped());
  REQUIRE(st.ranks.size() == 3);
  const double v100 = mean_span_ms("v100-1rank-training");
  const double a100 = mean_span_ms("a100-2rank-nccl");
  CHECK(st.ranks[0].step_ms == Approx(v100));
  CHECK(st.ranks[2].step_ms == Approx(a100));
  CHECK(st.median_step_ms == Approx(v100));
  CHECK(st.spread == Approx((a100 - v100) / v100));
  CHECK_FALSE(st.ranks[0].straggler);
  CHECK_FALSE(st.ranks[1].straggler);
  CHECK(st.ranks[2].straggler);  // 2.25x the median
  CHECK(st.ranks[2].comm_ms == Approx(comm_ms("a100-2rank-nccl")));
  CHECK(st.comm_min_ms == 0);
  CHECK(st.comm_max_ms == Approx(comm_ms("a100-2rank-nccl")));
  // All three say rank 0 (distributedInfo): said, not hidden.
  CHECK(st.warnings.size() == 2);
}
