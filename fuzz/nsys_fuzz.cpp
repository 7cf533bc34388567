// libFuzzer target for the Nsight Systems importer. The input is SQL run on top of the synthetic
// fixture (tests/data/traces/nsys/synthetic_nsys.sql): mutated statements drop columns, store
// text where integers belong, insert NULLs and extreme values. Any result must import or raise
// TraceError. Raw SQLite bytes would mostly fuzz SQLite itself, which is not the point here.

#include <sqlite3.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hopsim/profiler/import/nsys.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace {

const std::string& fixture_sql() {
  static const std::string sql = [] {
    std::ifstream f(std::string(HOPSIM_SOURCE_DIR) + "/tests/data/traces/nsys/synthetic_nsys.sql");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }();
  return sql;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // /dev/shm when present: thousands of small databases per second should not touch a disk.
  const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                        ? "/dev/shm"
                                        : std::filesystem::temp_directory_path();
  const auto path = dir / ("hopsim-nsys-fuzz-" + std::to_string(getpid()) + ".sqlite");
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 0;
  sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", nullptr, nullptr, nullptr);
  sqlite3_exec(db, fixture_sql().c_str(), nullptr, nullptr, nullptr);
  const std::string extra(reinterpret_cast<const char*>(data), size);
  // Keep the fuzzer's SQL from attaching files or running for ever.
  if (extra.find("ATTACH") == std::string::npos && extra.find("attach") == std::string::npos &&
      extra.find("RECURSIVE") == std::string::npos &&
      extra.find("recursive") == std::string::npos) {
    sqlite3_exec(db, extra.c_str(), nullptr, nullptr, nullptr);
  }
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
