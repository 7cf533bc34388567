// Tests for the Kineto importer's number text to exact integers
// (profiler/src/import/json_number.cpp) against values worked out with Python's decimal module.

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "json_number.hpp"

using hopsim::profiler::import::parse_int64;
using hopsim::profiler::import::parse_us_to_ns;

namespace {

std::int64_t ns(const std::string& text) {
  std::int64_t v = 0;
  REQUIRE(parse_us_to_ns(text, v));
  return v;
}

bool ns_fails(const std::string& text) {
  std::int64_t v = 0;
  return !parse_us_to_ns(text, v);
}

}  // namespace

TEST_CASE("microsecond number text: edge cases", "[kineto]") {
  // Expected values: decimal.Decimal(text) * 1000 rounded half away from zero.
  CHECK(ns("+5") == 5000);
  CHECK(ns("-0") == 0);
  CHECK(ns("-0.0005") == -1);  // -0.5 ns: away from zero
  CHECK(ns("0.0015") == 2);
  CHECK(ns("5.") == 5000);
  CHECK(ns(".5") == 500);
  CHECK(ns("007.25") == 7250);
  CHECK(ns("1E+2") == 100000);
  CHECK(ns("1e-3") == 1);
  CHECK(ns("1e-4") == 0);
  CHECK(ns("5e-4") == 1);
  CHECK(ns("4.99e-4") == 0);
  CHECK(ns("0." + std::string(40, '0') + "1") == 0);
  CHECK(ns("1e-39") == 0);
  CHECK(ns("0e99999999") == 0);
  CHECK(ns("9223372036854775.8074999") == INT64_MAX);
  CHECK(ns("922337203685477.5807e1") == INT64_MAX);
  CHECK(ns("92233720368547758070e-4") == INT64_MAX);
  CHECK(ns("-9223372036854775.807") == -INT64_MAX);
  // More than the 36 digits the mantissa keeps: the dropped integer digits still scale it.
  CHECK(ns("12345678901234567890123456789012345678e-25") == 1234567890123457);
  CHECK(ns("1.0000000000000000000000000000000000005") == 1000);
  CHECK(ns_fails("123456789012345678901234567890123456789"));  // 1.2e41 ns
  CHECK(ns_fails("9223372036854775.8075"));                    // rounds to INT64_MAX + 1
  CHECK(ns_fails("1e100000000"));
  for (const std::string bad : {"", "-", "+", ".", "e5", ".e5", "1e", "1e+", "1.5ex", "--1",
                                "1.2.3", " 1", "1 ", "0x10", "1,5", "inf", "NaN"}) {
    CAPTURE(bad);
    CHECK(ns_fails(bad));
  }
}

TEST_CASE("microsecond number text: random values with up to nine decimals", "[kineto]") {
  // The oracle is integer arithmetic on the digits the test wrote: a.f us with d decimals is
  // a * 1000 + f * 1000 / 10^d ns, rounded half up (all values are non-negative).
  std::mt19937_64 rng(20261124);
  std::uniform_int_distribution<std::int64_t> whole(0, 9'000'000'000'000'000LL / 1000);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t a = whole(rng);
    const int d = static_cast<int>(rng() % 10);  // 0 to 9 decimals
    std::int64_t pow10 = 1;
    for (int k = 0; k < d; ++k) pow10 *= 10;
    const std::int64_t f =
        d == 0 ? 0 : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(pow10));
    std::string text = std::to_string(a);
    if (d > 0) {
      const std::string fs = std::to_string(f);
      text += "." + std::string(static_cast<std::size_t>(d) - fs.size(), '0') + fs;
    }
    // f * 1000 / 10^d, rounded half up, without overflow (f < 10^9).
    const std::int64_t num = f * 1000;
    const std::int64_t frac_ns = num / pow10 + (2 * (num % pow10) >= pow10 ? 1 : 0);
    CAPTURE(text);
    CHECK(ns(text) == a * 1000 + frac_ns);
    // The same value written with an exponent: digits without the point, times 10^-d.
    std::string digits = text;
    if (d > 0) digits.erase(digits.find('.'), 1);
    CHECK(ns(digits + "e-" + std::to_string(d)) == a * 1000 + frac_ns);
  }
}

TEST_CASE("integer text: edge cases", "[kineto]") {
  std::int64_t v = 0;
  CHECK(parse_int64("0", v));
  CHECK(v == 0);
  CHECK(parse_int64("-0", v));
  CHECK(v == 0);
  CHECK(parse_int64("007", v));
  CHECK(v == 7);
  CHECK(parse_int64("00000000000000000000000000000042", v));  // leading zeros do not overflow
  CHECK(v == 42);
  CHECK(parse_int64("9223372036854775807", v));
  CHECK(v == INT64_MAX);
  CHECK(parse_int64("-9223372036854775808", v));
  CHECK(v == INT64_MIN);
  v = 123;
  for (const std::string bad :
       {"", "-", "+1", "9223372036854775808", "-9223372036854775809", "99999999999999999999999",
        "1.0", "1e3", " 1", "1 ", "0x1", "--1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_int64(bad, v));
  }
  CHECK(v == 123);  // a failed parse leaves the output alone
}
