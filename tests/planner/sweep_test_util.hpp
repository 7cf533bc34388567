#pragma once
//! Helpers shared by the planner tests: scratch folders and table snapshots.

#include <filesystem>
#include <random>
#include <sstream>
#include <string>

#include "hopsim/planner/results_store.hpp"

namespace hopsim::planner::test {

inline const std::string kSweepDir = std::string(HOPSIM_TEST_DATA_DIR) + "/sweep/";

//! A fresh empty folder under the system temp folder, removed with everything in it when the
//! object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    std::random_device rd;
    path_ =
        std::filesystem::temp_directory_path() / ("hopsim-" + name + "-" + std::to_string(rd()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

inline ScratchDir scratch_dir(const std::string& name) {
  return ScratchDir(name);
}

//! The whole results table as CSV (every column, rows in index order): equal tables give equal
//! strings.
inline std::string table_of(const std::filesystem::path& db) {
  const ResultsStore s(db);
  std::ostringstream out;
  write_csv(out, s.rows());
  for (const auto& r : s.rows()) out << r.result_json << "\n";
  return out.str();
}

}  // namespace hopsim::planner::test
