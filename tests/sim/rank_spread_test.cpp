// sim::rank_spread: the busiest and least busy pipeline rank and the F&B pair spread, on a
// result built by hand (the oracle is the arithmetic below, not the function), and on a run.

#include "hopsim/sim/runner/rank_spread.hpp"

#include <catch2/catch.hpp>

#include "hopsim/core/config/loader.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {

SimResult three_ranks(std::vector<std::int64_t> busy_ms, std::vector<std::int64_t> pair_ms) {
  SimResult r;
  r.pipeline_time = Nanoseconds(10'000'000);  // 10 ms
  for (std::int64_t b : busy_ms) {
    RankStats s;
    s.compute_busy = Nanoseconds(b * 1'000'000);
    r.execution.ranks.push_back(s);
  }
  for (std::int64_t p : pair_ms) r.pair_time_per_rank.push_back(Nanoseconds(p * 1'000'000));
  return r;
}

}  // namespace

TEST_CASE("rank spread: busiest and least busy rank, longest and shortest pair, by hand",
          "[sim][runner]") {
  // Ranks busy 5, 9, 9 ms of a 10 ms pipeline: rank 1 is the first of the two busiest (0.9),
  // rank 0 the least (0.5). Pairs 3, 4, 4 ms: rank 1 the first longest, rank 0 the shortest.
  const RankSpread s = rank_spread(three_ranks({5, 9, 9}, {3, 4, 4}));
  REQUIRE(s.has_ranks());
  CHECK(s.busiest == 1);
  CHECK(s.busiest_fraction == Approx(0.9));
  CHECK(s.least == 0);
  CHECK(s.least_fraction == Approx(0.5));
  REQUIRE(s.has_pairs());
  CHECK(s.longest_pair == 1);
  CHECK(s.longest_pair_time == Nanoseconds(4'000'000));
  CHECK(s.shortest_pair == 0);
  CHECK(s.shortest_pair_time == Nanoseconds(3'000'000));

  // Other schedules run no pairs (0 per rank): ranks only.
  CHECK_FALSE(rank_spread(three_ranks({5, 9, 9}, {0, 0, 0})).has_pairs());
  CHECK_FALSE(rank_spread(three_ranks({5, 9, 9}, {})).has_pairs());
  // One rank has no spread; a stopped run has no makespan to divide by.
  CHECK_FALSE(rank_spread(three_ranks({5}, {3})).has_ranks());
  SimResult stopped = three_ranks({5, 9, 9}, {3, 4, 4});
  stopped.stopped = true;
  CHECK_FALSE(rank_spread(stopped).has_ranks());
}

TEST_CASE("rank spread: DeepSeek-V3's end ranks hold the heavy stages", "[sim][runner]") {
  // DualPipe rank 0 holds stage 0 (embedding and the first layers) and stage PP-1 (the MTP
  // module and the output head): with layers placed by whole units its F&B pair is the longest,
  // and its mirror rank PP-1 runs the same pair (DualPipe's symmetry).
  const Scenario sc = load_scenario_spec("deepseek-v3-h800");
  const SimResult r = run_scenario(sc);
  const RankSpread s = rank_spread(r);
  REQUIRE(s.has_pairs());
  CHECK(s.longest_pair == 0);
  CHECK(r.pair_time_per_rank.back() == s.longest_pair_time);
  CHECK(s.longest_pair_time > s.shortest_pair_time);
  CHECK(s.busiest == 0);
  CHECK(s.busiest_fraction <= 1.0);
  CHECK(s.least_fraction < s.busiest_fraction);
}
