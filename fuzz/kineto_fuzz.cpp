// libFuzzer target for the Kineto JSON importer: any bytes must import or raise TraceError, and a
// successful import must hold the trace model's invariants.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duplicate_filter.hpp"
#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace imp = hopsim::profiler::import;
  hopsim::profiler::trace::CollectingSink sink;
  imp::ProblemLog duplicates;
  imp::DuplicateFilter filter(sink, duplicates);
  try {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    imp::KinetoOptions opt;
    opt.chunk_bytes = 4096;  // small windows: the cut logic runs on every input
    opt.max_window_bytes = 1 << 16;
    const imp::ImportStats stats = imp::import_kineto_memory(json, filter, "fuzz", opt);
    const auto t = sink.finish();
    for (const auto& a : t.activities) {
      if (a.end < a.start || a.start.value() < 0) __builtin_trap();
    }
    if (stats.activities() - duplicates.count(imp::Problem::kDuplicateActivity) !=
        static_cast<std::int64_t>(t.activities.size())) {
      __builtin_trap();
    }
  } catch (const hopsim::profiler::trace::TraceError&) {
  }
  return 0;
}
