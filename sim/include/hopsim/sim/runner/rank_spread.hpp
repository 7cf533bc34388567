#pragma once
//! How unevenly a simulated step loads its pipeline ranks: where the bubble comes from. What
//! `hopsim run` prints under the bubble and the GUI's Summary shows; replica 0's ranks in full
//! mode.

#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::sim {

struct RankSpread {
  int busiest = -1;                 //!< the rank with the most compute (first of a tie)
  int least = -1;                   //!< the rank with the least compute (first of a tie)
  double busiest_fraction = 0;      //!< its compute busy time over the pipeline makespan
  double least_fraction = 0;        //!< the same for the least busy rank
  int longest_pair = -1;            //!< DualPipe: the rank with the longest median F&B pair
  int shortest_pair = -1;           //!< and the shortest; -1 for other schedules
  Nanoseconds longest_pair_time{};  //!< their median F&B pair times
  Nanoseconds shortest_pair_time{};
  [[nodiscard]] bool has_ranks() const { return busiest >= 0; }
  [[nodiscard]] bool has_pairs() const { return longest_pair >= 0; }
};

//! The spread of `r`'s pipeline ranks; empty (no ranks) for one rank or a stopped run.
[[nodiscard]] RankSpread rank_spread(const SimResult& r);

}  // namespace hopsim::sim
