#pragma once
//! A temporary path no other test process uses: the normal and the sanitizer suites run at the
//! same time in CI, so fixed names under /tmp would collide.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace hopsim::test {

//! temp_directory_path() / "hopsim-<name>-<pid>-<n>"; nothing is created.
inline std::filesystem::path unique_temp_path(const std::string& name) {
  static std::atomic<int> counter{0};
  return std::filesystem::temp_directory_path() /
         ("hopsim-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name);
}

}  // namespace hopsim::test
