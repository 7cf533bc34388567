#include "hopsim/sim/runner/rank_spread.hpp"

#include <algorithm>

namespace hopsim::sim {

RankSpread rank_spread(const SimResult& r) {
  RankSpread s;
  const auto& ranks = r.execution.ranks;
  if (ranks.size() < 2 || r.stopped || r.pipeline_time.value() <= 0) return s;
  const auto by_busy = [](const RankStats& a, const RankStats& b) {
    return a.compute_busy < b.compute_busy;
  };
  // max_element and min_element both keep the first of equals: DualPipe's ranks r and PP-1-r
  // mirror each other, and the lower one is named.
  const auto most = std::max_element(ranks.begin(), ranks.end(), by_busy);
  const auto least = std::min_element(ranks.begin(), ranks.end(), by_busy);
  const double makespan = to_seconds(r.pipeline_time);
  s.busiest = static_cast<int>(most - ranks.begin());
  s.least = static_cast<int>(least - ranks.begin());
  s.busiest_fraction = to_seconds(most->compute_busy) / makespan;
  s.least_fraction = to_seconds(least->compute_busy) / makespan;
  const auto& pairs = r.pair_time_per_rank;
  if (pairs.size() != ranks.size() ||
      std::any_of(pairs.begin(), pairs.end(), [](Nanoseconds t) { return t.value() <= 0; })) {
    return s;
  }
  const auto longest = std::max_element(pairs.begin(), pairs.end());
  const auto shortest = std::min_element(pairs.begin(), pairs.end());
  s.longest_pair = static_cast<int>(longest - pairs.begin());
  s.shortest_pair = static_cast<int>(shortest - pairs.begin());
  s.longest_pair_time = *longest;
  s.shortest_pair_time = *shortest;
  return s;
}

}  // namespace hopsim::sim
