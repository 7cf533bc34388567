#pragma once
//! Progress lines for long commands (sweep, plan): one home for the bar, the elapsed time and
//! the ETA, so every command shows them alike.

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace hopsim::cli {

//! "1m05s", "2h03m"; "?" when unknown (negative or not finite).
[[nodiscard]] std::string duration(double seconds);

//! "\r[#####.....] 12/40 30%  elapsed 0m04s  ETA 0m09s   " for redrawing one terminal line;
//! the ETA assumes the remaining items take as long as the done ones on average.
[[nodiscard]] std::string progress_bar(std::size_t done, std::size_t total, double elapsed_s);

//! Whether a `--progress auto|bar|none` option draws a bar: bar always, none never, auto when
//! standard error is a terminal and the command's output is not JSON.
[[nodiscard]] bool wants_progress_bar(const std::string& option, bool json = false);

//! A bar on `out` with its own clock from construction: call it with (done, total) as work
//! completes; the last call ends the line.
class ProgressLine {
 public:
  explicit ProgressLine(std::ostream& out)
      : out_(&out), started_(std::chrono::steady_clock::now()) {}
  void operator()(std::size_t done, std::size_t total) const;

 private:
  std::ostream* out_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace hopsim::cli
