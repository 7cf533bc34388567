#include "hopsim/profiler/attribute/attribution.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>

namespace hopsim::profiler::attribute {

namespace {

// Ordered so that the innermost open range is the largest: latest start, then shortest.
using OpenKey = std::tuple<std::int64_t, std::int64_t, std::size_t>;  // start, -end, index

OpenKey key_of(const trace::Annotation& a, std::size_t i) {
  return {a.start.value(), -a.end.value(), i};
}

std::vector<std::pair<std::int64_t, std::int64_t>> merged(
    std::vector<std::pair<std::int64_t, std::int64_t>> iv) {
  std::sort(iv.begin(), iv.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& x : iv) {
    if (!out.empty() && x.first <= out.back().second) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

}  // namespace

bool is_phase_annotation(const trace::Annotation& a) {
  if (a.source != trace::RangeSource::kUserAnnotation && a.source != trace::RangeSource::kNvtx) {
    return false;
  }
  return !a.name.starts_with("ProfilerStep#");
}

Attribution attribute(const trace::Trace& t) {
  Attribution out;
  out.annotation_of.assign(t.activities.size(), -1);
  out.match.assign(t.activities.size(), Match::kNoLaunch);

  // The launch of each activity (the first runtime call joined to it).
  std::vector<std::int64_t> launch(t.activities.size(), -1);
  for (const auto& l : t.links) {
    if (launch[l.activity_index] < 0)
      launch[l.activity_index] = static_cast<std::int64_t>(l.runtime_index);
  }
  // Per process: its phase ranges by start, and the activities to place, by launch time.
  std::map<std::int64_t, std::vector<std::size_t>> ranges_of;
  for (std::size_t i = 0; i < t.annotations.size(); ++i) {
    if (is_phase_annotation(t.annotations[i])) {
      ranges_of[t.annotations[i].pid].push_back(i);
      ++out.annotations;
    }
  }
  std::map<std::int64_t, std::vector<std::size_t>> queries_of;
  for (std::size_t i = 0; i < t.activities.size(); ++i) {
    if (launch[i] < 0) {
      ++out.no_launch;
      continue;
    }
    queries_of[t.runtime[static_cast<std::size_t>(launch[i])].pid].push_back(i);
  }

  for (auto& [pid, queries] : queries_of) {
    auto launch_time = [&](std::size_t act) {
      return t.runtime[static_cast<std::size_t>(launch[act])].start.value();
    };
    std::sort(queries.begin(), queries.end(), [&](std::size_t a, std::size_t b) {
      return launch_time(a) != launch_time(b) ? launch_time(a) < launch_time(b) : a < b;
    });
    std::vector<std::size_t> ranges = ranges_of[pid];
    std::sort(ranges.begin(), ranges.end(), [&](std::size_t a, std::size_t b) {
      return key_of(t.annotations[a], a) < key_of(t.annotations[b], b);
    });
    // Sweep: open the ranges that have started, close those that have ended; the innermost
    // open range of the launching thread wins, else the innermost open range of the process.
    std::set<OpenKey> open_in_process;
    std::unordered_map<std::int64_t, std::set<OpenKey>> open_in_thread;
    using Closing = std::pair<std::int64_t, std::size_t>;  // end, index
    std::priority_queue<Closing, std::vector<Closing>, std::greater<>> closing;
    std::size_t next = 0;
    for (std::size_t act : queries) {
      const trace::RuntimeCall& r = t.runtime[static_cast<std::size_t>(launch[act])];
      const std::int64_t at = r.start.value();
      while (next < ranges.size() && t.annotations[ranges[next]].start.value() <= at) {
        const std::size_t i = ranges[next++];
        const auto& a = t.annotations[i];
        open_in_process.insert(key_of(a, i));
        open_in_thread[a.tid].insert(key_of(a, i));
        closing.emplace(a.end.value(), i);
      }
      while (!closing.empty() && closing.top().first <= at) {
        const std::size_t i = closing.top().second;
        closing.pop();
        const auto& a = t.annotations[i];
        open_in_process.erase(key_of(a, i));
        open_in_thread[a.tid].erase(key_of(a, i));
      }
      const auto mine = open_in_thread.find(r.tid);
      if (mine != open_in_thread.end() && !mine->second.empty()) {
        out.annotation_of[act] = static_cast<std::int64_t>(std::get<2>(*mine->second.rbegin()));
        out.match[act] = Match::kSameThread;
        ++out.same_thread;
      } else if (!open_in_process.empty()) {
        out.annotation_of[act] = static_cast<std::int64_t>(std::get<2>(*open_in_process.rbegin()));
        out.match[act] = Match::kOtherThread;
        ++out.other_thread;
      } else {
        out.match[act] = Match::kNone;
        ++out.unattributed;
      }
    }
  }
  return out;
}

std::vector<AnnotationTime> annotation_times(const trace::Trace& t, const Attribution& a,
                                             const std::vector<bool>* only) {
  struct Acc {
    std::set<std::size_t> ranges;
    std::int64_t activities = 0;
    std::int64_t total = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> iv;
  };
  std::map<std::tuple<std::string_view, std::int64_t, std::int64_t>, Acc> acc;
  for (std::size_t i = 0; i < t.activities.size(); ++i) {
    if (a.annotation_of[i] < 0 || (only != nullptr && !(*only)[i])) continue;
    const auto& act = t.activities[i];
    const auto r = static_cast<std::size_t>(a.annotation_of[i]);
    Acc& x = acc[{t.annotations[r].name, act.device, act.stream}];
    x.ranges.insert(r);
    ++x.activities;
    x.total += act.end.value() - act.start.value();
    x.iv.emplace_back(act.start.value(), act.end.value());
  }
  std::vector<AnnotationTime> out;
  out.reserve(acc.size());
  for (auto& [k, x] : acc) {
    AnnotationTime at;
    at.name = std::string(std::get<0>(k));
    at.device = std::get<1>(k);
    at.stream = std::get<2>(k);
    at.repetitions = static_cast<std::int64_t>(x.ranges.size());
    at.activities = x.activities;
    at.total = Nanoseconds(x.total);
    std::int64_t busy = 0;
    for (const auto& [s, e] : merged(std::move(x.iv))) busy += e - s;
    at.busy = Nanoseconds(busy);
    out.push_back(std::move(at));
  }
  return out;
}

}  // namespace hopsim::profiler::attribute
