// libFuzzer target for results databases (`results show/export/merge`, sweep resume). The input
// is SQL run on a small real results database: mutated statements drop or retype columns, store
// text in metric columns, delete meta rows, add views. Any result must read (and merge) or raise
// ConfigError.

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>

#include "fuzz_util.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/planner/results_store.hpp"

namespace {

void make_fixture(const std::filesystem::path& path) {
  namespace pl = hopsim::planner;
  pl::ResultsStore s(path);
  s.claim({{"sweep_hash", "fuzz"}, {"hopsim_version", "0"}, {"calibration_hash", "none"}});
  for (int i = 0; i < 3; ++i) {
    pl::StoredResult r = pl::empty_result();
    r.key = "k" + std::to_string(i);
    r.index = i;
    r.config = R"({"plan.pp":")" + std::to_string(1 << i) + R"("})";
    r.status = i == 2 ? "infeasible" : "ok";
    r.reason = i == 2 ? "needs 90 GiB" : "";
    r.hopsim_version = "0";
    r.calibration_hash = "none";
    if (i < 2) r.step_time_ms = 10.0 + i;
    (void)s.insert(r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pl = hopsim::planner;
  const auto in = hopsim::fuzz::scratch("results.db");
  const auto out = hopsim::fuzz::scratch("merged.db");
  for (const auto& p : {in, out}) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  }
  make_fixture(in);
  const std::string extra(reinterpret_cast<const char*>(data), size);
  if (!hopsim::fuzz::unsafe_sql(extra)) {
    sqlite3* db = nullptr;
    if (sqlite3_open(in.c_str(), &db) == SQLITE_OK) {
      sqlite3_exec(db, extra.c_str(), nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);
  }
  try {
    const pl::ResultsStore s(in, pl::ResultsStore::Access::kReadOnly);
    (void)s.meta();
    (void)s.count();
    (void)s.done_keys();
    std::ostringstream csv;
    pl::write_csv(csv, s.rows());
    pl::ResultsStore merged(out);
    (void)merged.merge_from(s);
  } catch (const hopsim::ConfigError&) {
  }
  return 0;
}
