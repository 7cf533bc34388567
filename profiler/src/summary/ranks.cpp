#include "hopsim/profiler/summary/ranks.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "hopsim/core/format.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/summary/summary.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"

namespace hopsim::profiler::summary {

std::vector<RankSource> rank_sources(const std::vector<std::filesystem::path>& inputs) {
  std::vector<RankSource> out;
  // A job database gives each of its ranks, whether named or found in a folder.
  auto add = [&out](const std::filesystem::path& f) {
    if (import::detect_format(f) == import::TraceFormat::kHopsimTrace) {
      const auto held = trace::list_traces(f);
      if (held.size() > 1) {
        for (const auto& e : held) out.push_back({f, e.rank});
        return;
      }
    }
    out.push_back({f, std::nullopt});
  };
  for (const auto& f : import::trace_files(inputs)) add(f);
  return out;
}

RankStudy study_ranks(const std::vector<RankSource>& sources,
                      const classify::KernelClassifier& classifier, double threshold,
                      const std::function<void(std::size_t, std::size_t)>& on_file) {
  RankStudy st;
  st.threshold = threshold;
  std::map<std::int64_t, int> seen;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const trace::Trace t = import::read_trace(sources[i].file, sources[i].rank);
    const TraceSummary s = summarize(t, classifier);
    RankFigures r;
    // The file the trace came from: the same name whether read from a folder or a database.
    const auto src = t.provenance.find("source_file");
    r.file = src != t.provenance.end() ? src->second : sources[i].file.filename().string();
    r.rank = sources[i].rank.value_or(
        trace::claimed_rank(t.provenance).value_or(static_cast<std::int64_t>(i)));
    if (seen[r.rank]++ > 0) {
      st.warnings.push_back(r.file + " says rank " + std::to_string(r.rank) +
                            " like another file; ranks are listed by file");
    }
    std::int64_t stepped = 0;
    for (const auto& x : s.steps) stepped += x.activities > 0 ? 1 : 0;
    r.steps = stepped;
    const double per = static_cast<double>(std::max<std::int64_t>(1, stepped));
    if (stepped > 0) {
      r.step_ms = s.step_gpu_span.mean_ns / 1e6;
      double comm = 0;
      for (const auto& x : s.steps) comm += static_cast<double>(x.comm_time.value());
      r.comm_ms = comm / per / 1e6;
    } else {
      st.warnings.push_back(r.file +
                            " has no ProfilerStep ranges with GPU work: its whole span "
                            "is taken as one step");
      r.step_ms = static_cast<double>(s.gpu_span.value()) / 1e6;
      r.comm_ms = static_cast<double>(s.overlap.comm.value()) / 1e6;
    }
    r.exposed_comm_ms = static_cast<double>(s.overlap.exposed.value()) / per / 1e6;
    st.ranks.push_back(std::move(r));
    if (on_file) on_file(i + 1, sources.size());
  }
  if (st.ranks.empty()) return st;
  std::vector<double> steps, comm;
  for (const auto& r : st.ranks) {
    steps.push_back(r.step_ms);
    comm.push_back(r.comm_ms);
  }
  st.median_step_ms = percentile(steps, 0.5);
  const auto [lo, hi] = std::minmax_element(steps.begin(), steps.end());
  st.spread = st.median_step_ms > 0 ? (*hi - *lo) / st.median_step_ms : 0;
  for (auto& r : st.ranks) r.straggler = r.step_ms >= threshold * st.median_step_ms;
  st.comm_min_ms = *std::min_element(comm.begin(), comm.end());
  st.comm_median_ms = percentile(comm, 0.5);
  st.comm_max_ms = *std::max_element(comm.begin(), comm.end());
  std::stable_sort(st.ranks.begin(), st.ranks.end(),
                   [](const RankFigures& a, const RankFigures& b) { return a.rank < b.rank; });
  return st;
}

void print_text(std::ostream& out, const RankStudy& s) {
  for (const auto& w : s.warnings) out << "warning: " << printable(w) << "\n";
  out << "rank  steps      step ms      comm ms   exposed ms  file\n";
  for (const auto& r : s.ranks) {
    out << std::setw(4) << r.rank << std::setw(7) << r.steps << fmt("%13.3f", r.step_ms)
        << fmt("%13.3f", r.comm_ms) << fmt("%13.3f", r.exposed_comm_ms) << "  " << printable(r.file)
        << (r.straggler ? "  <- straggler" : "") << "\n";
  }
  out << "median step " << fmt("%.3f", s.median_step_ms) << " ms; spread (slowest - fastest) / "
      << "median " << fmt("%.1f%%", 100 * s.spread)
      << "; stragglers: step >= " << fmt("%.2f", s.threshold) << " x median\n"
      << "communication per step: min " << fmt("%.3f", s.comm_min_ms) << " ms, median "
      << fmt("%.3f", s.comm_median_ms) << " ms, max " << fmt("%.3f", s.comm_max_ms) << " ms\n";
}

std::string to_json(const RankStudy& s) {
  nlohmann::ordered_json j;
  j["ranks"] = nlohmann::ordered_json::array();
  for (const auto& r : s.ranks) {
    j["ranks"].push_back(
        {{"rank", r.rank},
         {"file", r.file},
         {"steps", r.steps},
         {"step_ns", static_cast<std::int64_t>(std::llround(r.step_ms * 1e6))},
         {"comm_ns", static_cast<std::int64_t>(std::llround(r.comm_ms * 1e6))},
         {"exposed_comm_ns", static_cast<std::int64_t>(std::llround(r.exposed_comm_ms * 1e6))},
         {"straggler", r.straggler}});
  }
  j["median_step_ns"] = static_cast<std::int64_t>(std::llround(s.median_step_ms * 1e6));
  j["spread"] = s.spread;
  j["straggler_threshold"] = s.threshold;
  j["comm_ns"] = {{"min", static_cast<std::int64_t>(std::llround(s.comm_min_ms * 1e6))},
                  {"median", static_cast<std::int64_t>(std::llround(s.comm_median_ms * 1e6))},
                  {"max", static_cast<std::int64_t>(std::llround(s.comm_max_ms * 1e6))}};
  j["warnings"] = s.warnings;
  return j.dump(2);
}

}  // namespace hopsim::profiler::summary
