// Tests for UTF-8 validation and repair (core/src/utf8.cpp) against hand-made byte sequences and
// an independent decoder.

#include "hopsim/core/utf8.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using hopsim::first_invalid_utf8;
using hopsim::replace_invalid_utf8;

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

}  // namespace

TEST_CASE("UTF-8 validation against hand-made byte sequences", "[core][utf8]") {
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

TEST_CASE("UTF-8 validation agrees with a decoder on every short sequence", "[core][utf8]") {
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

TEST_CASE("UTF-8 repair replaces each byte that starts no well-formed sequence by '?'",
          "[core][utf8]") {
  std::string s = "ok \xC3\xA9 \xFF\xFE \xE2\x82 \xED\xA0\x80 end";
  const std::size_t n = replace_invalid_utf8(s.data(), s.size());
  CHECK(s == "ok \xC3\xA9 ?? ?? ??? end");  // a cut-short sequence and a surrogate, byte by byte
  CHECK(n == 7);
  CHECK(first_invalid_utf8(s.data(), s.size()) == s.size());
}
