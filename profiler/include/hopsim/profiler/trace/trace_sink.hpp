#pragma once
//! The interface importers write to (TraceSink), and an in-memory implementation that builds a
//! Trace (used by tests, the fuzzers and the reader).

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::trace {

//! Receives events one at a time. String views in the arguments are valid only during the call.
class TraceSink {
 public:
  TraceSink() = default;
  TraceSink(const TraceSink&) = delete;
  TraceSink& operator=(const TraceSink&) = delete;
  virtual ~TraceSink() = default;

  virtual void add_activity(const GpuActivity& a) = 0;
  virtual void add_runtime(const RuntimeCall& r) = 0;
  virtual void add_annotation(const Annotation& a) = 0;
  virtual void add_flow(const FlowEvent& f) = 0;
  virtual void add_device(const DeviceInfo& d) = 0;
  //! A problem the import continued past (one call per problem name, after the events).
  virtual void add_problem(const ImportProblem& p) = 0;
  //! Provenance entry; a later value for the same key replaces the earlier one.
  virtual void set_info(std::string_view key, std::string_view value) = 0;
};

//! Builds a Trace in memory. Strings are interned, so repeated kernel names are stored once.
//! finish() derives the launch->activity links from correlation ids.
class CollectingSink final : public TraceSink {
 public:
  void add_activity(const GpuActivity& a) override;
  void add_runtime(const RuntimeCall& r) override;
  void add_annotation(const Annotation& a) override;
  void add_flow(const FlowEvent& f) override;
  void add_device(const DeviceInfo& d) override;
  void add_problem(const ImportProblem& p) override;
  void set_info(std::string_view key, std::string_view value) override;

  //! Links launches to activities and hands over the trace; the sink is empty afterwards.
  [[nodiscard]] Trace finish();

 private:
  std::string_view intern(std::string_view s);
  //! Appends a copy of `e` whose name (`field`) points into this sink's strings: the caller's
  //! view is valid only during the call.
  template <class T>
  void keep_with_name(std::vector<T>& out, const T& e, std::string_view T::*field) {
    T c = e;
    c.*field = intern(e.*field);
    out.push_back(c);
  }
  Trace trace_;
  std::unordered_map<std::string_view, std::string_view> interned_;
};

//! Fills trace.links: each runtime call joined to every activity with the same correlation id
//! (>= 0). Kineto and CUPTI both use the correlation id to tie a launch to its kernel.
void link_by_correlation(Trace& trace);

}  // namespace hopsim::profiler::trace
