#pragma once
//! UTF-8 validation for the Kineto importer, a window of bytes at a time: RapidJSON's own
//! per-character check would also turn off its fast string path.

#include <cstddef>

namespace hopsim::profiler::import {

//! Offset of the first byte that does not start a well-formed UTF-8 sequence lying wholly in
//! `s[0, n)`, or `n` when all of it is well formed. Well-formed as in the Unicode standard,
//! table 3-7: no overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF. A
//! sequence cut off by the end of the range counts as invalid at its first byte.
[[nodiscard]] std::size_t first_invalid_utf8(const char* s, std::size_t n);

//! Replaces, in place, every byte of `s[0, n)` that does not start a well-formed sequence by '?'
//! (same length, so offsets stay) and returns how many were replaced.
std::size_t replace_invalid_utf8(char* s, std::size_t n);

}  // namespace hopsim::profiler::import
