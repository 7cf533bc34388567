#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "hopsim/core/format.hpp"

namespace hopsim::cli {

std::string duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  }
  return buf;
}

std::string progress_bar(std::size_t done, std::size_t total, double elapsed_s) {
  constexpr int kWidth = 30;
  const double f = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int fill = static_cast<int>(f * kWidth);
  const double eta =
      done == 0 ? -1 : elapsed_s / static_cast<double>(done) * static_cast<double>(total - done);
  return "\r[" + std::string(static_cast<std::size_t>(fill), '#') +
         std::string(static_cast<std::size_t>(kWidth - fill), '.') + "] " + std::to_string(done) +
         "/" + std::to_string(total) + fmt(" %.0f%%", 100 * f) + "  elapsed " +
         duration(elapsed_s) + "  ETA " + duration(eta) + "   ";
}

bool wants_progress_bar(const std::string& option, bool json) {
  return option == "bar" || (option == "auto" && !json && ::isatty(STDERR_FILENO));
}

void ProgressLine::operator()(std::size_t done, std::size_t total) const {
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
  *out_ << progress_bar(done, total, elapsed.count()) << (done == total ? "\n" : "") << std::flush;
}

}  // namespace hopsim::cli
