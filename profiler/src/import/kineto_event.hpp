#pragma once
//! One Chrome-trace event as the Kineto parser read it: the fields the importer models, still
//! unvalidated (times as number text), handed from the parser to the event builder.

#include <cstddef>
#include <cstdint>
#include <string>

#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::import {

// Times stay text so that the builder converts them exactly (json_number.hpp) and can quote
// them in its errors. One instance is reused for every event: reset() keeps string capacity.
struct KinetoEvent {
  std::string ph, cat, name, ts, dur;
  bool has_ph = false, has_cat = false, has_name = false, has_ts = false, has_dur = false;
  bool has_pid = false, has_tid = false, has_id = false;
  std::int64_t pid = -1, tid = -1, id = 0;  // string pids/tids (labels) read as -1
  std::int64_t device = -1, stream = -1, correlation = -1, bytes = -1;  // from "args"
  bool has_device = false, has_stream = false;
  trace::Dim3 grid, block;
  bool bad_dims = false;        //!< grid or block was not three positive integers (now unknown)
  std::uint32_t seen_keys = 0;  //!< one bit per modelled field, to notice a field named twice
  bool duplicate_key = false;
  std::size_t offset = 0;  //!< input byte just past the event's opening brace

  void reset(std::size_t at) {
    ph.clear();
    cat.clear();
    name.clear();
    ts.clear();
    dur.clear();
    has_ph = has_cat = has_name = has_ts = has_dur = has_pid = has_tid = has_id = false;
    pid = tid = -1;
    id = 0;
    device = stream = correlation = bytes = -1;
    has_device = has_stream = false;
    grid = block = {};
    bad_dims = duplicate_key = false;
    seen_keys = 0;
    offset = at;
  }
};

}  // namespace hopsim::profiler::import
