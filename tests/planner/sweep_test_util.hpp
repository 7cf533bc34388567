#pragma once
//! Helpers shared by the planner tests: scratch folders and table snapshots.

#include <filesystem>
#include <sstream>
#include <string>

#include "../common/temp_dir.hpp"
#include "hopsim/planner/results_store.hpp"

namespace hopsim::test {

inline const std::string kSweepDir = std::string(HOPSIM_TEST_DATA_DIR) + "/sweep/";

//! A fresh empty folder, removed with everything in it when the object goes away.
inline TempDir scratch_dir(const std::string& name) {
  return TempDir(name);
}

//! The whole results table as CSV (every column, rows in index order): equal tables give equal
//! strings.
inline std::string table_of(const std::filesystem::path& db) {
  const planner::ResultsStore s(db);
  std::ostringstream out;
  planner::write_csv(out, s.rows());
  for (const auto& r : s.rows()) out << r.result_json << "\n";
  return out.str();
}

}  // namespace hopsim::test
