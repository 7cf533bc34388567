#include "hopsim/core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace hopsim {

// Byte ranges of table 3-7 rather than decoding to a code point: the second byte's range alone
// excludes overlong forms, surrogates and values above U+10FFFF.
std::size_t utf8_sequence_length(const char* s, std::size_t n) {
  if (n == 0) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c == 0xE0) {
    len = 3;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    len = 3;
  } else if (c == 0xED) {
    len = 3;
    hi = 0x9F;
  } else if (c == 0xF0) {
    len = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    len = 4;
  } else if (c == 0xF4) {
    len = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (len > n || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Runs of ASCII, most of a trace, go eight bytes at a time.
std::size_t first_invalid_utf8(const char* s, std::size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(s + i, n - i);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

std::size_t replace_invalid_utf8(char* s, std::size_t n) {
  std::size_t replaced = 0;
  for (std::size_t at = first_invalid_utf8(s, n); at < n;
       at += 1 + first_invalid_utf8(s + at + 1, n - at - 1)) {
    s[at] = '?';
    ++replaced;
  }
  return replaced;
}

}  // namespace hopsim
