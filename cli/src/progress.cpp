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

std::string progress_bar(std::size_t done, std::size_t total, double elapsed_s,
                         std::string_view unit) {
  constexpr int kWidth = 30;
  const double f = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int fill = static_cast<int>(f * kWidth);
  const double eta =
      done == 0 ? -1 : elapsed_s / static_cast<double>(done) * static_cast<double>(total - done);
  std::string counts;
  if (unit == "bytes") {
    counts = fmt("%.1f", static_cast<double>(done) / 1e6) + "/" +
             fmt("%.1f MB", static_cast<double>(total) / 1e6);
  } else {
    counts = std::to_string(done) + "/" + std::to_string(total);
    if (!unit.empty()) counts += " " + std::string(unit);
  }
  return "\r[" + std::string(static_cast<std::size_t>(fill), '#') +
         std::string(static_cast<std::size_t>(kWidth - fill), '.') + "] " + counts +
         fmt(" %.0f%%", 100 * f) + "  elapsed " + duration(elapsed_s) + "  ETA " + duration(eta) +
         "   ";
}

void add_progress_option(CLI::App* cmd, std::string& value, const std::string& what) {
  value = "auto";
  cmd->add_option("--progress", value,
                  "Progress bar with ETA on standard error" + (what.empty() ? "" : " " + what) +
                      ": auto (when it is a terminal and without --json), bar or none")
      ->check(CLI::IsMember({"auto", "bar", "none"}))
      ->capture_default_str();
}

bool wants_progress_bar(const std::string& option, bool json) {
  return option == "bar" || (option == "auto" && !json && ::isatty(STDERR_FILENO));
}

ProgressLine::ProgressLine(std::ostream& out, std::string unit, double quiet_s)
    : state_(std::make_shared<State>(
          State{&out, std::move(unit), quiet_s, std::chrono::steady_clock::now()})) {}

void ProgressLine::operator()(std::size_t done, std::size_t total) const {
  State& s = *state_;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - s.started;
  const bool last = done >= total;
  // Quiet time: no bar yet, and none at all for work that finishes inside it.
  if (!s.open && (elapsed.count() < s.quiet_s || (last && s.quiet_s > 0))) return;
  *s.out << progress_bar(done, total, elapsed.count(), s.unit) << (last ? "\n" : "") << std::flush;
  s.open = !last;
}

void ProgressLine::operator()(std::uint64_t done, std::uint64_t total,
                              std::string_view unit) const {
  state_->unit = unit;
  (*this)(static_cast<std::size_t>(done), static_cast<std::size_t>(total));
}

void ProgressLine::end() const {
  if (state_->open) *state_->out << "\n" << std::flush;
  state_->open = false;
}

}  // namespace hopsim::cli
