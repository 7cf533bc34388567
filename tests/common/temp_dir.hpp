#pragma once
//! A scratch folder for the tests that write files (core, profiler), and a file's bytes read
//! and written whole.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "temp_path.hpp"

namespace hopsim::test {

//! A fresh, empty folder, removed with everything in it at the end of the test (a test that took
//! the owner's write permission away gets it back first, so that removal works).
class TempDir {
 public:
  explicit TempDir(const std::string& name = "test") : path_(unique_temp_path(name)) {
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] std::filesystem::path operator/(const std::string& n) const { return path_ / n; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

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

}  // namespace hopsim::test
