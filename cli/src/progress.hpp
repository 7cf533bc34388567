#pragma once
//! Progress lines for long commands (sweep, plan): one home for the bar, the elapsed time and
//! the ETA, so every command shows them alike.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace hopsim::cli {

//! "1m05s", "2h03m"; "?" when unknown (negative or not finite).
[[nodiscard]] std::string duration(double seconds);

//! "\r[#####.....] 12/40 30%  elapsed 0m04s  ETA 0m09s   " for redrawing one terminal line;
//! the ETA assumes the remaining items take as long as the done ones on average. With `unit`
//! "bytes" the counts read "120.0/300.0 MB"; any other unit follows the counts ("12/40 rows").
[[nodiscard]] std::string progress_bar(std::size_t done, std::size_t total, double elapsed_s,
                                       std::string_view unit = "");

//! Adds `--progress auto|bar|none` to `cmd`, stored in `value` (default "auto"); `what` says
//! what the bar counts ("over the EP groups").
void add_progress_option(CLI::App* cmd, std::string& value, const std::string& what = "");

//! Whether a `--progress auto|bar|none` option draws a bar: bar always, none never, auto when
//! standard error is a terminal and the command's output is not JSON.
[[nodiscard]] bool wants_progress_bar(const std::string& option, bool json = false);

//! A bar on `out` with its own clock from construction: call it with (done, total) as work
//! completes; the last call ends the line. Copies share one line (it is handed to callbacks by
//! value). With `quiet_s` > 0 nothing is drawn until that much time has passed, so work that ends
//! sooner leaves no bar at all (imports are mostly sub-second; a flash of a bar says nothing).
class ProgressLine {
 public:
  explicit ProgressLine(std::ostream& out, std::string unit = "", double quiet_s = 0);
  void operator()(std::size_t done, std::size_t total) const;
  //! The same, with the unit of this call (an import knows it only once it has read the file).
  void operator()(std::uint64_t done, std::uint64_t total, std::string_view unit) const;
  //! Ends a drawn, unfinished line (before an error message is printed under it).
  void end() const;

 private:
  struct State {
    std::ostream* out;
    std::string unit;
    double quiet_s;
    std::chrono::steady_clock::time_point started;
    bool open = false;  // a bar is drawn and its line not yet ended
  };
  std::shared_ptr<State> state_;
};

}  // namespace hopsim::cli
