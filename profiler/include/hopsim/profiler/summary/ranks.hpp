#pragma once
//! `hopsim trace ranks`: one trace per rank of a multi-GPU job, side by side: step time per rank,
//! stragglers, and the spread of communication time across ranks.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/profiler/classify/classifier.hpp"

namespace hopsim::profiler::summary {

struct RankFigures {
  std::string file;
  std::int64_t rank = -1;      //!< Kineto distributedInfo.rank, else the file's position
  std::int64_t steps = 0;      //!< ProfilerStep ranges with GPU work (0: the whole trace is one)
  double step_ms = 0;          //!< mean GPU span of a step (docs/TRACES.md)
  double comm_ms = 0;          //!< communication kernel time per step
  double exposed_comm_ms = 0;  //!< communication not overlapped by compute, per step
  bool straggler = false;
};

struct RankStudy {
  std::vector<RankFigures> ranks;  //!< by rank
  double median_step_ms = 0;
  double spread = 0;        //!< (slowest - fastest) / median step
  double threshold = 1.05;  //!< a straggler's step is at least this times the median
  double comm_min_ms = 0, comm_median_ms = 0, comm_max_ms = 0;
  std::vector<std::string> warnings;  //!< duplicate ranks, files without steps
};

//! One rank's trace: a file (Kineto JSON[.gz], Nsight SQLite, hopsim trace) and, for a trace
//! database holding several ranks (`hopsim import DIR`), which of its ranks.
struct RankSource {
  std::filesystem::path file;
  std::optional<std::int64_t> rank;
};

//! The rank traces named by `inputs`: a folder gives its trace files (import::trace_files_in),
//! a trace database of several ranks gives each of them, any other file itself.
[[nodiscard]] std::vector<RankSource> rank_sources(
    const std::vector<std::filesystem::path>& inputs);

//! Reads every source in memory and compares. Throws on a file that cannot be read
//! (ConfigError / import errors name it). `on_file(done, total)` is called after each source
//! is read (for a progress bar).
[[nodiscard]] RankStudy study_ranks(
    const std::vector<RankSource>& sources, const classify::KernelClassifier& classifier,
    double threshold = 1.05,
    const std::function<void(std::size_t done, std::size_t total)>& on_file = {});

void print_text(std::ostream& out, const RankStudy& s);
[[nodiscard]] std::string to_json(const RankStudy& s);

}  // namespace hopsim::profiler::summary
