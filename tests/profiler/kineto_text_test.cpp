// Tests for the Kineto importer's text helpers: UTF-8 validation (profiler/src/import/utf8.cpp)
// against hand-made byte sequences and an independent decoder, and number text to exact integers
// (json_number.cpp) against values worked out with Python's decimal module.

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "json_number.hpp"
#include "utf8.hpp"

using hopsim::profiler::import::first_invalid_utf8;
using hopsim::profiler::import::parse_int64;
using hopsim::profiler::import::parse_us_to_ns;

namespace {

std::size_t invalid_at(const std::string& s) {
  return first_invalid_utf8(s.data(), s.size());
}

// The oracle decodes code points (lead byte's length, continuation bits, then the range checks)
// instead of checking byte ranges like the code under test. Returns the offset of the first
// sequence that is not well-formed UTF-8, or n.
std::size_t oracle_invalid_at(const unsigned char* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c >> 5) == 0x6) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};  // shortest form per length
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

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

TEST_CASE("UTF-8 validation against hand-made byte sequences", "[kineto]") {
  struct Case {
    std::string bytes;
    std::size_t invalid_at;  // bytes.size() when valid
  };
  // Unicode table 3-7; each line names what the bytes are.
  const std::vector<Case> cases = {
      {"", 0},
      {"abc", 3},
      {"\xC3\xA9", 2},              // U+00E9
      {"\xC2\x80", 2},              // U+0080, smallest two-byte form
      {"\xDF\xBF", 2},              // U+07FF
      {"\xC0\x80", 0},              // overlong NUL
      {"\xC1\xBF", 0},              // overlong U+007F
      {"\xE0\x9F\xBF", 0},          // overlong U+07FF
      {"\xE0\xA0\x80", 3},          // U+0800
      {"\xED\x9F\xBF", 3},          // U+D7FF, last before the surrogates
      {"\xED\xA0\x80", 0},          // U+D800, a surrogate
      {"\xED\xBF\xBF", 0},          // U+DFFF, a surrogate
      {"\xEE\x80\x80", 3},          // U+E000
      {"\xEF\xBF\xBF", 3},          // U+FFFF
      {"\xF0\x8F\xBF\xBF", 0},      // overlong U+FFFF
      {"\xF0\x90\x80\x80", 4},      // U+10000
      {"\xF4\x8F\xBF\xBF", 4},      // U+10FFFF, the last code point
      {"\xF4\x90\x80\x80", 0},      // U+110000
      {"\xF5\x80\x80\x80", 0},      // lead byte beyond U+10FFFF
      {"\xF8\x88\x80\x80\x80", 0},  // five-byte form
      {"\xFF", 0},
      {"\x80", 0},                    // lone continuation byte
      {"a\xE2\x82", 1},               // U+20AC cut off by the end
      {"ab\xE2\x82\xAC", 5},          // U+20AC
      {"\xE2\x28\xA1", 0},            // second byte not a continuation
      {"\xE2\x82\x28", 0},            // third byte not a continuation
      {"\xF0\x90\x80\x28", 0},        // fourth byte not a continuation
      {"12345678\x80", 8},            // after one eight-byte ASCII block
      {"1234567\x80", 7},             // inside the first block
      {"123456789012345\x80zz", 15},  // last byte of the second block
      {"1234567\xC3\xA9"
       "12345678",
       17},
  };
  for (const auto& c : cases) {
    CAPTURE(c.bytes);
    CHECK(invalid_at(c.bytes) == c.invalid_at);
  }
}

TEST_CASE("UTF-8 validation agrees with a decoder on every short sequence", "[kineto]") {
  // Every one- and two-byte sequence, every three-byte sequence with a three-byte lead, and
  // four-byte leads with edge continuation bytes, each after 0 to 9 ASCII bytes (so that they
  // fall at every place of the eight-byte fast path) and followed by an ASCII byte.
  const std::vector<unsigned> edges = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  std::vector<std::string> seqs;
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      seqs.push_back({static_cast<char>(a), static_cast<char>(b)});
    }
  }
  for (unsigned a = 0xE0; a <= 0xEF; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      for (const unsigned c : edges) {
        seqs.push_back({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
      }
    }
  }
  for (unsigned a = 0xF0; a <= 0xF7; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      for (const unsigned c : edges) {
        for (const unsigned d : {0x41U, 0x80U, 0xBFU, 0xC0U}) {
          seqs.push_back({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                          static_cast<char>(d)});
        }
      }
    }
  }
  std::size_t mismatches = 0;
  for (std::size_t prefix = 0; prefix < 10; ++prefix) {
    for (const auto& s : seqs) {
      const std::string buf = std::string(prefix, 'a') + s + "z";
      const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
      if (first_invalid_utf8(buf.data(), buf.size()) != oracle_invalid_at(p, buf.size())) {
        if (++mismatches <= 5) FAIL_CHECK("mismatch on prefix " << prefix << ", bytes " << s);
      }
    }
  }
  CHECK(mismatches == 0);
}

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
