#pragma once
//! A TraceSink in front of another that drops GPU activities and runtime calls identical to an
//! earlier one (a trace that lists an event twice), counting them as import problems.

#include <array>
#include <cstdint>
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

// Two kernels cannot share a stream, a start, an end, a name and a correlation id, and a runtime
// call is one call per correlation id: such a pair is the same event listed twice, and counting
// it twice would double its time in every figure. Annotations are not filtered: two zero-length
// CPU ops of one name in the same microsecond are real. A 64-bit fingerprint per event stands in
// for the event (a false match needs ~4 billion events for even odds).
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
  FingerprintSet seen_;
  std::array<std::int64_t, 3> dropped_{};
  std::int64_t dropped_runtime_ = 0;
};

}  // namespace hopsim::profiler::import
