// libFuzzer target for the Kineto JSON importer: any bytes must import or raise TraceError.
// Build: cmake -DHOPSIM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; run: ./kineto_fuzz corpus/

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hopsim::profiler::trace::CollectingSink sink;
  try {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    (void)hopsim::profiler::import::import_kineto_memory(json, sink, "fuzz");
    const auto t = sink.finish();
    // Invariants of a successful import.
    for (const auto& a : t.activities) {
      if (a.end < a.start || a.start.value() < 0) __builtin_trap();
    }
  } catch (const hopsim::profiler::trace::TraceError&) {
  }
  return 0;
}
