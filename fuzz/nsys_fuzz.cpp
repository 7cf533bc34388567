// libFuzzer target for the Nsight Systems importer. The input is SQL run on top of the synthetic
// fixture (tests/data/traces/nsys/synthetic_nsys.sql): mutated statements drop columns, store
// text where integers belong, replace tables by views, insert NULLs and extreme values. Any result
// must import or raise TraceError. Raw SQLite bytes would mostly fuzz SQLite itself.

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "hopsim/profiler/import/nsys.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string fixture =
      hopsim::fuzz::read_source_file("tests/data/traces/nsys/synthetic_nsys.sql");
  const auto path = hopsim::fuzz::scratch("nsys.sqlite");
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 0;
  sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", nullptr, nullptr, nullptr);
  sqlite3_exec(db, fixture.c_str(), nullptr, nullptr, nullptr);
  const std::string extra(reinterpret_cast<const char*>(data), size);
  if (!hopsim::fuzz::unsafe_sql(extra)) sqlite3_exec(db, extra.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  hopsim::profiler::trace::CollectingSink sink;
  try {
    (void)hopsim::profiler::import::import_nsys(path, sink);
    (void)sink.finish();
  } catch (const hopsim::profiler::trace::TraceError&) {
  }
  std::filesystem::remove(path);
  return 0;
}
