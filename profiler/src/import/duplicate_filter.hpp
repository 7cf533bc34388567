#pragma once
//! A TraceSink in front of another that drops GPU activities and runtime calls identical to an
//! earlier one (a trace that lists an event twice), counting them as import problems.

#include <array>
#include <climits>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hopsim/profiler/import/import_problems.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace hopsim::profiler::import {

//! A set of 64-bit fingerprints: open addressing, linear probing, 16 bytes per entry at most.
class FingerprintSet {
 public:
  //! False when `fp` was already in the set.
  bool insert(std::uint64_t fp);
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  void grow();
  std::vector<std::uint64_t> slots_;  // 0 = empty (a fingerprint of 0 is stored as 1)
  std::size_t size_ = 0;
};

//! Fingerprints of events that each belong to a lane (a stream, a thread) and start at a time.
//! Events mostly arrive in start order per lane, so most are appended to the lane's ordered list
//! (sequential memory); only events at or before their lane's latest start are looked up (a
//! duplicate has the same start as its original) and, when new, kept in a FingerprintSet. A hash
//! set of every event instead cost ~10% of a whole import in cache misses.
class LaneFingerprints {
 public:
  //! False when an event with this lane, start and fingerprint was inserted before.
  bool insert(std::uint64_t lane, std::int64_t start, std::uint64_t fp);

 private:
  struct Lane {
    std::int64_t latest = INT64_MIN;
    std::vector<std::pair<std::int64_t, std::uint64_t>> in_order;  // (start, fingerprint)
  };
  std::unordered_map<std::uint64_t, Lane> lanes_;
  std::uint64_t last_lane_ = 0;
  Lane* last_ = nullptr;  // unordered_map values keep their address
  FingerprintSet late_;   // events that arrived out of start order
};

// Two kernels cannot share a stream, a start, an end, a name and a correlation id, and a runtime
// call is one call per correlation id: such a pair is the same event listed twice, and counting
// it twice would double its time in every figure. Annotations are not filtered: two zero-length
// CPU ops of one name in the same microsecond are real. A 64-bit fingerprint per event stands in
// for the event (a false match needs ~4 billion events of one lane and start for even odds).
class DuplicateFilter final : public trace::TraceSink {
 public:
  DuplicateFilter(trace::TraceSink& next, ProblemLog& log) : next_(next), log_(log) {}

  void add_activity(const trace::GpuActivity& a) override;
  void add_runtime(const trace::RuntimeCall& r) override;
  void add_annotation(const trace::Annotation& a) override { next_.add_annotation(a); }
  void add_flow(const trace::FlowEvent& f) override { next_.add_flow(f); }
  void add_device(const trace::DeviceInfo& d) override { next_.add_device(d); }
  void add_problem(const trace::ImportProblem& p) override { next_.add_problem(p); }
  void set_info(std::string_view key, std::string_view value) override {
    next_.set_info(key, value);
  }

  //! Activities of `kind` dropped so far, and runtime calls.
  [[nodiscard]] std::int64_t dropped(trace::ActivityKind kind) const {
    return dropped_[static_cast<std::size_t>(kind)];
  }
  [[nodiscard]] std::int64_t dropped_runtime_calls() const { return dropped_runtime_; }

 private:
  trace::TraceSink& next_;
  ProblemLog& log_;
  LaneFingerprints activities_;
  LaneFingerprints runtime_;
  std::array<std::int64_t, 3> dropped_{};
  std::int64_t dropped_runtime_ = 0;
};

}  // namespace hopsim::profiler::import
