#pragma once
//! Progress lines for long commands (sweep, plan): one home for the bar, the elapsed time and
//! the ETA, so every command shows them alike.

#include <cstddef>
#include <string>

namespace hopsim::cli {

//! "1m05s", "2h03m"; "?" when unknown (negative or not finite).
[[nodiscard]] std::string duration(double seconds);

//! "\r[#####.....] 12/40 30%  elapsed 0m04s  ETA 0m09s   " for redrawing one terminal line;
//! the ETA assumes the remaining items take as long as the done ones on average.
[[nodiscard]] std::string progress_bar(std::size_t done, std::size_t total, double elapsed_s);

}  // namespace hopsim::cli
