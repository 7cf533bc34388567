// Tests for core/format: the one number formatter every text output uses. Expected strings are
// written by hand (the grouping convention of English-language reports), not produced by the code.
#include "hopsim/core/format.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using hopsim::fmt;
using hopsim::grouped;

TEST_CASE("grouped: thousands separators, rounding and sign", "[format]") {
  CHECK(grouped(0) == "0");
  CHECK(grouped(999) == "999");
  CHECK(grouped(1000) == "1,000");
  CHECK(grouped(180000) == "180,000");
  CHECK(grouped(148830.65) == "148,831");
  CHECK(grouped(1234567.4) == "1,234,567");
  CHECK(grouped(-1234567) == "-1,234,567");
  CHECK(grouped(999999999999999.0) == "999,999,999,999,999");
}

TEST_CASE("grouped: no negative zero, no overflow, no garbage on absurd input", "[format]") {
  // A value that rounds to zero from below used to print "-0" (and llround overflowed on 1e300).
  CHECK(grouped(-0.3) == "0");
  CHECK(grouped(-0.0) == "0");
  CHECK(grouped(1e300) == "1.000e+300");
  CHECK(grouped(-2.5e18) == "-2.500e+18");
  CHECK(grouped(std::numeric_limits<double>::infinity()) == "-");
  CHECK(grouped(std::nan("")) == "-");
}

TEST_CASE("fmt: printf formatting, any length", "[format]") {
  CHECK(fmt("%.1f", 16.46) == "16.5");
  CHECK(fmt("%.3g", 0.000123456) == "0.000123");
  // Longer than any fixed buffer: 1e300 has 301 integer digits.
  const std::string big = fmt("%.0f", 1e300);
  CHECK(big.size() == 301);
  CHECK(big.substr(0, 4) == "1000");
}
