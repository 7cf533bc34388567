#pragma once
//! Number formatting for every text output (tables, reports, SVG): one home so that all outputs
//! print the same number the same way, and none of them overflows on an absurd input.

#include <string>

namespace hopsim {

//! printf-style formatting of one double ("%.1f", "%.3g"); the format must take one double.
[[nodiscard]] std::string fmt(const char* format, double v);

//! Thousands-grouped integer ("180,000"). Non-finite values print as "-"; magnitudes beyond
//! 10^15 (where grouping stops being readable and integers stop being exact) in scientific
//! notation; -0 prints as "0".
[[nodiscard]] std::string grouped(double v);

}  // namespace hopsim
