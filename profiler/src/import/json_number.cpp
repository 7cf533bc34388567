#include "json_number.hpp"

#include <cstdint>

namespace hopsim::profiler::import {

// 128-bit intermediates make overflow checks exact; __extension__ keeps -Wpedantic quiet.
__extension__ using Int128 = __int128;

// Numbers are parsed from their text so that "1712195495505583.123" (µs) becomes exactly
// 1712195495505583123 ns; a double holds only ~16 significant digits.

bool parse_us_to_ns(std::string_view text, std::int64_t& out) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  bool neg = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  Int128 mant = 0;
  int digits = 0;       // significant digits accumulated in mant
  int frac_digits = 0;  // of which after the decimal point
  int dropped_int = 0;  // integer digits beyond what mant can hold (only zeros allowed later)
  bool any = false;
  bool dropped_nonzero_frac = false;
  auto push = [&](char c, bool frac) {
    any = true;
    if (mant == 0 && c == '0' && !frac) return;  // leading zeros
    if (digits < 36) {
      mant = mant * 10 + (c - '0');
      ++digits;
      if (frac) ++frac_digits;
    } else if (frac) {
      if (c != '0') dropped_nonzero_frac = true;  // below the 36th digit: far below 1 ns
    } else {
      ++dropped_int;
    }
  };
  while (i < n && text[i] >= '0' && text[i] <= '9') push(text[i++], false);
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      if (mant == 0 && text[i] == '0') {
        any = true;
        ++frac_digits;  // leading fractional zeros still shift the scale
        ++i;
        continue;
      }
      push(text[i++], true);
    }
  }
  if (!any) return false;
  int exp = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < n && (text[i] == '-' || text[i] == '+')) eneg = text[i++] == '-';
    if (i >= n) return false;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      if (exp < 100000) exp = exp * 10 + (text[i] - '0');
      ++i;
    }
    if (eneg) exp = -exp;
  }
  if (i != n) return false;
  (void)dropped_nonzero_frac;
  // value_ns = mant * 10^(exp + 3 + dropped_int - frac_digits)
  const long scale = static_cast<long>(exp) + 3 + dropped_int - frac_digits;
  constexpr Int128 kMax = static_cast<Int128>(INT64_MAX);
  Int128 v = mant;
  if (mant == 0) {
    v = 0;
  } else if (scale >= 0) {
    for (long k = 0; k < scale; ++k) {
      v *= 10;
      if (v > kMax) return false;
    }
  } else {
    if (scale < -38) {
      v = 0;
    } else {
      Int128 div = 1;
      for (long k = 0; k < -scale; ++k) div *= 10;
      const Int128 q = v / div;
      const Int128 r = v % div;
      v = q + (2 * r >= div ? 1 : 0);  // half away from zero (mant is non-negative here)
    }
  }
  if (v > kMax) return false;
  out = static_cast<std::int64_t>(neg ? -v : v);
  return true;
}

bool parse_int64(std::string_view text, std::int64_t& out) {
  std::size_t i = 0;
  bool neg = false;
  if (i < text.size() && text[i] == '-') {
    neg = true;
    ++i;
  }
  if (i >= text.size()) return false;
  Int128 v = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
    if (v > static_cast<Int128>(INT64_MAX) + 1) return false;
  }
  if (neg) v = -v;
  if (v > INT64_MAX || v < INT64_MIN) return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

}  // namespace hopsim::profiler::import
