#pragma once
//! Helpers shared by the trace-import tests: temporary folders and building the synthetic nsys
//! fixture from its SQL.

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace hopsim::profiler::test {

inline std::filesystem::path data_dir() {
  return std::filesystem::path(HOPSIM_TEST_DATA_DIR) / "traces";
}

//! A fresh folder under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("hopsim-trace-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f << bytes;
}

//! Runs SQL text into a new SQLite file at `out`.
inline void sql_to_db(const std::string& sql, const std::filesystem::path& out) {
  sqlite3* db = nullptr;
  if (sqlite3_open(out.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open");
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("sql: " + msg);
}

inline std::filesystem::path make_synthetic_nsys(const TempDir& dir,
                                                 const std::string& extra_sql = "") {
  const auto out = dir / "synthetic_nsys.sqlite";
  std::filesystem::remove(out);
  sql_to_db(read_text(data_dir() / "nsys" / "synthetic_nsys.sql") + extra_sql, out);
  return out;
}

}  // namespace hopsim::profiler::test
