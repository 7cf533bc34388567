#pragma once
//! Number formatting and text escaping for every text output (tables, reports, SVG): one home so
//! that all outputs print the same way, none overflows on an absurd input, and none lets a name
//! from an input file inject markup or terminal control sequences.

#include <string>
#include <string_view>

namespace hopsim {

//! printf-style formatting of one double ("%.1f", "%.3g"); the format must take one double.
[[nodiscard]] std::string fmt(const char* format, double v);

//! Thousands-grouped integer ("180,000"). Non-finite values print as "-"; magnitudes beyond
//! 10^15 (where grouping stops being readable and integers stop being exact) in scientific
//! notation; -0 prints as "0".
[[nodiscard]] std::string grouped(double v);

//! Text safe to print on a terminal: control characters (C0, DEL, the C1 range U+0080..U+009F,
//! which some terminals obey as escape sequences) and bytes that are not valid UTF-8 become
//! "\xNN"; other UTF-8 is kept. Names in inputs (scenarios, kernels, traces) pass through this.
[[nodiscard]] std::string printable(std::string_view s);

//! Text safe inside a Markdown paragraph or table cell: renders as the same characters, never as
//! markup. `&`, `<`, `>` become entities (no raw HTML); `\`, `|`, `` ` ``, `[`, `]` are
//! backslash-escaped (no cell breaks, code spans or links); newlines and tabs become spaces;
//! other control characters as in printable().
[[nodiscard]] std::string markdown_escape(std::string_view s);

//! Text for HTML or SVG content and attribute values: & < > " escaped.
[[nodiscard]] std::string html_escape(std::string_view s);

}  // namespace hopsim
