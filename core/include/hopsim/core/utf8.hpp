#pragma once
//! UTF-8 validation and repair: one home for the trace importers (a window of bytes at a time),
//! the config readers (a whole file) and terminal escaping (a sequence at a time).

#include <cstddef>

namespace hopsim {

//! Offset of the first byte that does not start a well-formed UTF-8 sequence lying wholly in
//! `s[0, n)`, or `n` when all of it is well formed. Well-formed as in the Unicode standard,
//! table 3-7: no overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF. A
//! sequence cut off by the end of the range counts as invalid at its first byte.
[[nodiscard]] std::size_t first_invalid_utf8(const char* s, std::size_t n);

//! Length (1 to 4) of the well-formed UTF-8 sequence that starts `s[0, n)`, or 0 when none does
//! (n == 0, a stray continuation byte, an overlong form, a surrogate, a sequence cut short).
[[nodiscard]] std::size_t utf8_sequence_length(const char* s, std::size_t n);

//! Replaces, in place, every byte of `s[0, n)` that does not start a well-formed sequence by '?'
//! (same length, so offsets stay) and returns how many were replaced.
std::size_t replace_invalid_utf8(char* s, std::size_t n);

}  // namespace hopsim
