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

TEST_CASE("printable: control characters never reach the terminal raw", "[format][escape]") {
  using hopsim::printable;
  CHECK(printable("deepseek-v3-h800") == "deepseek-v3-h800");
  // An ANSI "clear screen" and a bell in a scenario name print as visible escapes.
  CHECK(printable("a\x1b[2Jb\x07") == "a\\x1B[2Jb\\x07");
  CHECK(printable("tab\there\nnew") == "tab\\x09here\\x0Anew");
  CHECK(printable(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(printable("del\x7f") == "del\\x7F");
  // UTF-8 text is kept; U+009B (CSI, which some terminals obey) and invalid bytes are not.
  CHECK(printable("report \xC2\xA7"
                  "1 \xE2\x80\x94 ok") ==
        "report \xC2\xA7"
        "1 \xE2\x80\x94 ok");
  CHECK(printable("x\xC2\x9B"
                  "2J") == "x\\xC2\\x9B2J");
  CHECK(printable("bad\xff\xfe") == "bad\\xFF\\xFE");
  CHECK(printable("cut\xE2\x80") == "cut\\xE2\\x80");            // truncated sequence
  CHECK(printable("overlong\xC0\xAF") == "overlong\\xC0\\xAF");  // overlong '/'
}

TEST_CASE("markdown_escape: names render as text, never as markup", "[format][escape]") {
  using hopsim::markdown_escape;
  CHECK(markdown_escape("tiny-moe-16gpu (H800 SXM5)") == "tiny-moe-16gpu (H800 SXM5)");
  // Each character that would end a table cell, open a tag, an entity, a code span or a link.
  CHECK(markdown_escape("a|b<script>alert(1)</script>") ==
        "a\\|b&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(markdown_escape("x & y") == "x &amp; y");
  CHECK(markdown_escape("&lt;") == "&amp;lt;");  // an entity typed by the user stays literal
  CHECK(markdown_escape("`code`") == "\\`code\\`");
  CHECK(markdown_escape("[click](javascript:x)") == "\\[click\\](javascript:x)");
  CHECK(markdown_escape("back\\slash") == "back\\\\slash");
  // A newline would end the table row; other controls as printable() shows them.
  CHECK(markdown_escape("two\nlines\r\tend") == "two lines  end");
  CHECK(markdown_escape("esc\x1b") == "esc\\x1B");
  // Ordinary punctuation of reasons and labels is left alone.
  CHECK(markdown_escape("EP = 3 must divide DP*TP = 16*1 (the model's n_routed_experts)") ==
        "EP = 3 must divide DP*TP = 16*1 (the model's n_routed_experts)");
}
