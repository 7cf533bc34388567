#include "hopsim/profiler/compare/aligned_timeline.hpp"

#include <algorithm>
#include <climits>
#include <iterator>
#include <map>
#include <utility>

#include "hopsim/profiler/summary/summary.hpp"

namespace hopsim::profiler::compare {
namespace {

bool by_start(const Bar& x, const Bar& y) {
  return x.start != y.start ? x.start < y.start : x.end < y.end;
}

}  // namespace

Nanoseconds measured_origin(const trace::Trace& measured) {
  if (measured.activities.empty()) return Nanoseconds(0);
  std::int64_t t0 = INT64_MAX;
  for (const auto& a : measured.activities) t0 = std::min(t0, a.start.value());
  return Nanoseconds(t0);
}

MeasuredWindow measured_window(const trace::Trace& measured,
                               const classify::KernelClassifier& classifier) {
  MeasuredWindow w;
  if (measured.activities.empty()) return w;
  summary::SummaryOptions opt;
  const summary::TraceSummary s = summary::summarize(measured, classifier, opt);
  for (const auto& st : s.steps) {
    if (st.activities == 0) continue;
    w.start = st.gpu_start;
    w.end = st.gpu_start + st.gpu_span;
    w.what = st.name + " (first step with GPU work)";
    return w;
  }
  w.start = measured_origin(measured);
  w.end = w.start + s.gpu_span;
  w.what = "the whole trace";
  return w;
}

std::vector<TimelineRow> measured_rows(const trace::Trace& measured,
                                       const classify::KernelClassifier& classifier,
                                       const MeasuredWindow& window) {
  std::vector<TimelineRow> rows;
  const Nanoseconds t0 = window.start;
  // Classes repeat: classify each distinct kernel name once.
  std::map<std::string_view, BarKind> kind_of;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<Bar>> streams;
  for (const auto& a : measured.activities) {
    if (a.end <= window.start || a.start >= window.end) continue;
    BarKind kind = BarKind::kMemory;
    if (a.kind == trace::ActivityKind::kKernel) {
      auto it = kind_of.find(a.name);
      if (it == kind_of.end()) {
        const bool comm = classifier.is_communication(classifier.classify(a.kind, a.name));
        it = kind_of.emplace(a.name, comm ? BarKind::kCommunication : BarKind::kCompute).first;
      }
      kind = it->second;
    }
    streams[{a.device, a.stream}].push_back(
        {std::max(a.start, t0) - t0, std::min(a.end, window.end) - t0, kind, a.name});
  }
  for (auto& [key, bars] : streams) {
    std::stable_sort(bars.begin(), bars.end(), by_start);
    rows.push_back(
        {"measured: device " + std::to_string(key.first) + " stream " + std::to_string(key.second),
         true, std::move(bars)});
  }
  return rows;
}

std::vector<TimelineRow> predicted_rows(const sim::SimResult& predicted, int rank) {
  std::vector<TimelineRow> rows;
  std::vector<Bar> lanes[sim::kLaneCount];
  for (const auto& s : predicted.timeline) {
    if (s.rank != rank || s.op == nullptr) continue;
    const bool comm = s.lane == sim::Lane::kComm || s.cls != sim::WorkClass::kCompute;
    lanes[static_cast<int>(s.lane)].push_back(
        {s.start, s.end, comm ? BarKind::kCommunication : BarKind::kCompute, s.op->name});
  }
  const char* lane_name[sim::kLaneCount] = {"compute", "communication"};
  for (int l = 0; l < sim::kLaneCount; ++l) {
    if (lanes[l].empty()) continue;
    std::stable_sort(lanes[l].begin(), lanes[l].end(), by_start);
    rows.push_back({"predicted: rank " + std::to_string(rank) + " " + lane_name[l], false,
                    std::move(lanes[l])});
  }
  return rows;
}

std::vector<TimelineRow> aligned_rows(const trace::Trace& measured,
                                      const classify::KernelClassifier& classifier,
                                      const sim::SimResult& predicted, int rank) {
  auto rows = measured_rows(measured, classifier, measured_window(measured, classifier));
  auto more = predicted_rows(predicted, rank);
  rows.insert(rows.end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
  return rows;
}

}  // namespace hopsim::profiler::compare
