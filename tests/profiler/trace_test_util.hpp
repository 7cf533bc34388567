#pragma once
//! Helpers shared by the trace-import tests: the scratch folder and whole-file reads and writes of
//! tests/common/temp_dir.hpp, the host range and the launch call of hand-made traces, and building
//! the synthetic nsys fixture from its SQL.

#include <filesystem>
#include <string>
#include <string_view>

#include "../common/raw_sql.hpp"
#include "../common/temp_dir.hpp"
#include "hopsim/profiler/trace/trace_model.hpp"

namespace hopsim::profiler::test {

inline std::filesystem::path data_dir() {
  return std::filesystem::path(HOPSIM_TEST_DATA_DIR) / "traces";
}

using hopsim::test::read_text;
using hopsim::test::run_sql;
using hopsim::test::TempDir;
using hopsim::test::write_bytes;

//! A host range (a user annotation) of thread `tid` of process 1.
inline trace::Annotation host_range(std::string_view name, std::int64_t tid, Nanoseconds start,
                                    Nanoseconds end) {
  trace::Annotation a;
  a.name = name;
  a.pid = 1;
  a.tid = tid;
  a.start = start;
  a.end = end;
  return a;
}

//! A cudaLaunchKernel call of thread `tid` of process 1.
inline trace::RuntimeCall launch_call(std::int64_t tid, Nanoseconds start, Nanoseconds end,
                                      std::int64_t correlation) {
  trace::RuntimeCall r;
  r.name = "cudaLaunchKernel";
  r.pid = 1;
  r.tid = tid;
  r.start = start;
  r.end = end;
  r.correlation = correlation;
  return r;
}

inline std::filesystem::path make_synthetic_nsys(const TempDir& dir,
                                                 const std::string& extra_sql = "") {
  const auto out = dir / "synthetic_nsys.sqlite";
  std::filesystem::remove(out);
  run_sql(out, read_text(data_dir() / "nsys" / "synthetic_nsys.sql") + extra_sql);
  return out;
}

}  // namespace hopsim::profiler::test
