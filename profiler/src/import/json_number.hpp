#pragma once
//! JSON number text to exact integers for the Kineto importer: microsecond times to nanoseconds
//! and integer fields to int64, without a detour through double.

#include <cstdint>
#include <string_view>

namespace hopsim::profiler::import {

//! Microseconds as JSON number text ("12.345", "1e3", "-4") to integer nanoseconds, exactly:
//! digits are scaled in decimal, and digits below 1 ns are rounded half away from zero.
//! Returns false on syntax error or when the result does not fit in int64.
[[nodiscard]] bool parse_us_to_ns(std::string_view text, std::int64_t& out);

//! A JSON integer as text to int64; false on fractions, exponents or overflow.
[[nodiscard]] bool parse_int64(std::string_view text, std::int64_t& out);

}  // namespace hopsim::profiler::import
