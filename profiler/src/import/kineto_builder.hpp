#pragma once
//! The event-builder stage of the Kineto importer: validates each parsed event, maps it by
//! `ph` and `cat` onto the trace model, writes it to a TraceSink and counts it in ImportStats.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "hopsim/profiler/import/import_stats.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"
#include "kineto_event.hpp"

namespace hopsim::profiler::import {

class KinetoEventBuilder {
 public:
  explicit KinetoEventBuilder(trace::TraceSink& sink) : sink_(sink) {
    stats_.format = TraceFormat::kKinetoJson;
  }

  //! Writes `ev` to the sink, or counts it in stats().skipped when it is valid but not modelled.
  //! Returns "" then; otherwise why the import must stop ("event #N ('name'): missing 'dur'").
  [[nodiscard]] std::string add_event(const KinetoEvent& ev);
  void add_device(const trace::DeviceInfo& d);
  //! A provenance entry read from the trace (display_time_unit, base_time_ns, rank, ...).
  void set_info(std::string_view key, std::string_view value) { sink_.set_info(key, value); }

  //! Counts so far; input_bytes is left to the caller, which knows where the input ended.
  [[nodiscard]] const ImportStats& stats() const { return stats_; }
  //! Where the parser records problems it met below the event level (invalid UTF-8).
  ProblemLog& problems() { return stats_.problems; }

 private:
  std::string add_complete(const KinetoEvent& ev);
  //! ts and ts + dur in nanoseconds, or the reason they are unusable ("" on success).
  std::string interval(const KinetoEvent& ev, Nanoseconds& start, Nanoseconds& end) const;
  std::string event_error(const KinetoEvent& ev, const std::string& msg) const;
  void skip(const std::string& reason) { ++stats_.skipped[reason]; }

  trace::TraceSink& sink_;
  ImportStats stats_;
  std::set<std::int64_t> device_ids_;
};

}  // namespace hopsim::profiler::import
