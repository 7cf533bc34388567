#pragma once
//! The tokenizer stage of the Kineto importer: a bounded window over the input byte stream that
//! ends only where no JSON token can be open, read by RapidJSON in situ (its Stream concept).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

namespace hopsim::profiler::import {

// In-situ parsing hands strings and numbers to the handler as pointers into the window instead
// of copying them character by character onto the reader's stack (the main cost of the parse
// before), but RapidJSON keeps raw pointers to a token while it reads it, so every token must lie
// inside the window. The window therefore ends only where no token can be open: after the last
// newline (JSON strings cannot hold a raw newline, and numbers and literals end at one), or, for
// input without newlines, after the last comma outside a string. The bytes after that point move
// to the front of the buffer when the reader reaches the end of the window, which happens between
// tokens, so no pointer RapidJSON holds is invalidated. Without a newline, the window ends after
// the last byte outside a string that no token can continue: whitespace or one of , : [ ] { }.
// Memory stays at one buffer, which grows only for a single string or number longer than it, and
// never beyond `max_window` (a longer token is refused: too_long()).
//
// UTF-8 is validated a window at a time (utf8.hpp): each byte that does not start a well-formed
// sequence is replaced by '?' in place (same length, so no offset moves) and counted, so every
// name handed on is valid UTF-8. Outside a string a '?' is a JSON syntax error, as the byte was.

class WindowStream {
 public:
  using Ch = char;
  //! `fill(buf, cap)` writes up to `cap` bytes to `buf` and returns how many; 0 at the end, -1
  //! on a read error (the caller keeps the message).
  using Fill = std::function<long(char*, std::size_t)>;

  //! `window` is the initial buffer size (at least 64 bytes); it may grow to `max_window`.
  WindowStream(Fill fill, std::size_t window, std::size_t max_window = std::size_t{1} << 26);

  // Peek and Take run once or twice per input byte: they must inline, and advance() must not.
  [[gnu::always_inline]] Ch Peek() {
    if (cur_ == end_ && !advance()) [[unlikely]]
      return '\0';
    return *cur_;
  }
  [[gnu::always_inline]] Ch Take() {
    if (cur_ == end_ && !advance()) [[unlikely]]
      return '\0';
    return *cur_++;
  }
  //! Byte offset of the read position in the whole input.
  [[nodiscard]] std::size_t Tell() const {
    return consumed_ + static_cast<std::size_t>(cur_ - base_);
  }
  //! Where the reader stands: just past a number when RapidJSON calls RawNumber.
  [[nodiscard]] const char* position() const { return cur_; }

  //! Bytes the source has delivered so far (where a read error happened).
  [[nodiscard]] std::size_t bytes_read() const { return bytes_read_; }
  //! Whether the input stopped at a token longer than the largest window.
  [[nodiscard]] bool too_long() const { return too_long_; }
  //! The largest the buffer may grow, and what it holds now.
  [[nodiscard]] std::size_t max_window() const { return max_window_; }
  [[nodiscard]] std::size_t capacity() const { return buf_.size(); }

  //! Invalid UTF-8 bytes replaced by '?' so far, and the input offset of the first.
  [[nodiscard]] std::int64_t invalid_utf8_replaced() const { return invalid_utf8_; }
  [[nodiscard]] std::size_t first_invalid_utf8_at() const { return first_invalid_utf8_at_; }

  // Fast paths for the two loops that see most bytes; RapidJSON calls them through the
  // specialisations in kineto_parser.cpp.
  void skip_whitespace() {
    for (;;) {
      char* p = cur_;
      char* const e = end_;
      while (p != e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) ++p;
      cur_ = p;
      if (p != e || !advance()) return;
    }
  }
  //! Copies the plain run of a string (up to a quote, backslash or control character) in one
  //! loop. Tokens never cross the window end, so the run ends inside the window.
  void copy_plain_run() {
    const char* p = cur_;
    const char* const e = end_;
    while (p != e) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"' || c == '\\' || c < 0x20) break;
      ++p;
    }
    const auto n = static_cast<std::size_t>(p - cur_);
    if (dst_ != cur_) std::memmove(dst_, cur_, n);
    dst_ += n;
    cur_ += n;
  }

  // In-situ write side: decoded strings are written over their own source text.
  Ch* PutBegin() { return dst_ = cur_; }
  [[gnu::always_inline]] void Put(Ch c) { *dst_++ = c; }
  void Flush() {}
  std::size_t PutEnd(Ch* begin) { return static_cast<std::size_t>(dst_ - begin); }

 private:
  //! Moves the unread tail to the front, reads until a cut point exists and starts the next
  //! window; false at the end of the input (or after an error or invalid UTF-8).
  [[gnu::noinline]] bool advance();
  void set_window(std::size_t have, std::size_t cut);

  Fill fill_;
  std::vector<char> buf_;
  char* base_ = nullptr;      // start of the window, at byte consumed_ of the input
  char* cur_ = nullptr;       // read position
  char* end_ = nullptr;       // end of the window
  char* data_end_ = nullptr;  // end of the bytes read so far (the tail after end_ waits)
  char* dst_ = nullptr;       // in-situ write position
  std::size_t consumed_ = 0;
  std::size_t max_window_;
  std::size_t bytes_read_ = 0;
  bool eof_ = false;
  bool too_long_ = false;
  std::int64_t invalid_utf8_ = 0;
  std::size_t first_invalid_utf8_at_ = 0;
};

//! Length of `p[0, n)` up to and including its last byte outside a JSON string after which no token
//! can be open (whitespace or one of , : [ ] { }), or 0 when there is none. `p` must start outside
//! a string (a window starts where the previous one ended), so one forward pass knows the string
//! state everywhere; a backslash in a string escapes the next byte.
[[nodiscard]] std::size_t last_cut_outside_string(const char* p, std::size_t n);

}  // namespace hopsim::profiler::import
