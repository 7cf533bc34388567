#pragma once
//! Faults a test can cause without root or a special file system: a "full disk" for files this
//! process writes (RLIMIT_FSIZE), and a listing of a folder to prove that nothing was left.

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <string>

namespace hopsim::test {

//! While alive, this process cannot grow any file beyond `bytes`: write() fails with EFBIG, as a
//! full disk fails with ENOSPC (root included, unlike permissions). SIGXFSZ, which would kill
//! the process, is ignored meanwhile. Only the soft limit is lowered, so it can be raised again.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

//! File names in `dir` (hidden ones included: temporary files are hidden).
inline std::set<std::string> list_dir(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

}  // namespace hopsim::test
