#pragma once
//! Shared by the fuzz targets: a scratch file per process for inputs the readers take by path,
//! in /dev/shm where it exists (thousands of small files a second should not touch a disk).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace hopsim::fuzz {

inline std::filesystem::path scratch(std::string_view name) {
  const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                        ? std::filesystem::path("/dev/shm")
                                        : std::filesystem::temp_directory_path();
  return dir / ("hopsim-fuzz-" + std::to_string(getpid()) + "-" + std::string(name));
}

inline void write_file(const std::filesystem::path& p, const std::uint8_t* data, std::size_t n) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
}

inline std::string read_source_file(const std::string& relative) {
  std::ifstream f(std::string(HOPSIM_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

//! SQL the harness must not run while building a fixture: files attached from elsewhere, and
//! recursion that would never end (the readers' own bounds are tested separately).
inline bool unsafe_sql(std::string_view sql) {
  std::string lower(sql);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower.find("attach") != std::string::npos ||
         lower.find("recursive") != std::string::npos ||
         lower.find("load_extension") != std::string::npos;
}

}  // namespace hopsim::fuzz
