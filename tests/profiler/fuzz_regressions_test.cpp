// Every input the fuzzers (fuzz/*.cpp) ever crashed on, kept in
// tests/data/traces/fuzz_regressions/: each must now import or fail with a TraceError.

#include <catch2/catch.hpp>

#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/import/nsys.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "trace_test_util.hpp"

namespace t = hopsim::profiler::test;

TEST_CASE("fuzzer-found inputs no longer crash", "[fuzz]") {
  const auto dir = t::data_dir() / "fuzz_regressions";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name == "README.md") continue;
    CAPTURE(name);
    ++n;
    hopsim::profiler::trace::CollectingSink sink;
    try {
      if (name.starts_with("nsys-")) {
        (void)hopsim::profiler::import::import_nsys(entry.path(), sink);
      } else {
        (void)hopsim::profiler::import::import_kineto_memory(t::read_text(entry.path()), sink);
      }
      (void)sink.finish();
    } catch (const hopsim::profiler::trace::TraceError&) {
      // A clear error is the right outcome for most of these inputs.
    }
  }
  CHECK(n >= 1);
}
