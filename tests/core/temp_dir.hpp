#pragma once
//! A scratch folder for the core tests that write files.

#include <filesystem>
#include <string>
#include <system_error>

#include "../common/temp_path.hpp"

namespace hopsim::test {

//! A fresh, empty folder, removed with everything in it at the end of the test (a test that took
//! the owner's write permission away gets it back first, so that removal works).
class TempDir {
 public:
  explicit TempDir(const std::string& name) : path_(unique_temp_path(name)) {
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

}  // namespace hopsim::test
