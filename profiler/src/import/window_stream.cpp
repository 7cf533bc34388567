#include "window_stream.hpp"

#include <algorithm>
#include <utility>

#include "hopsim/core/utf8.hpp"

namespace hopsim::profiler::import {

WindowStream::WindowStream(Fill fill, std::size_t window, std::size_t max_window)
    : fill_(std::move(fill)),
      buf_(std::max<std::size_t>(window, 64)),
      max_window_(std::max(max_window, buf_.size())) {
  cur_ = end_ = data_end_ = base_ = buf_.data();
}

bool WindowStream::advance() {
  if (eof_) return false;
  consumed_ += static_cast<std::size_t>(end_ - base_);
  const auto tail = static_cast<std::size_t>(data_end_ - end_);
  if (tail > 0) std::memmove(buf_.data(), end_, tail);
  std::size_t have = tail;
  std::size_t scanned = 0;  // bytes known to hold no newline
  for (;;) {
    if (have == buf_.size()) {
      // A full buffer without a newline: fall back to the last safe cut outside a string.
      if (const std::size_t cut = last_cut_outside_string(buf_.data(), have); cut > 0) {
        set_window(have, cut);
        return true;
      }
      if (buf_.size() >= max_window_) {
        // One string or number fills the largest window: stop (the caller reports it).
        too_long_ = true;
        eof_ = true;
        set_window(have, 0);
        return false;
      }
      buf_.resize(std::min(buf_.size() * 2, max_window_));
    }
    const long got = fill_(buf_.data() + have, buf_.size() - have);
    if (got <= 0) {
      eof_ = true;
      // On a read error the window stays empty; the caller reports the stream's message.
      set_window(have, got < 0 ? 0 : have);
      return cur_ != end_;
    }
    have += static_cast<std::size_t>(got);
    bytes_read_ += static_cast<std::size_t>(got);
    const void* nl = memrchr(buf_.data() + scanned, '\n', have - scanned);
    if (nl != nullptr) {
      set_window(have, static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data()) + 1);
      return cur_ != end_;
    }
    scanned = have;
  }
}

void WindowStream::set_window(std::size_t have, std::size_t cut) {
  base_ = cur_ = buf_.data();
  end_ = base_ + cut;
  data_end_ = base_ + have;
  if (const std::size_t bad = first_invalid_utf8(base_, cut); bad < cut) {
    if (invalid_utf8_ == 0) first_invalid_utf8_at_ = consumed_ + bad;
    invalid_utf8_ += static_cast<std::int64_t>(replace_invalid_utf8(base_ + bad, cut - bad));
  }
}

std::size_t last_cut_outside_string(const char* p, std::size_t n) {
  std::size_t cut = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' || c == ' ' ||
               c == '\n' || c == '\t' || c == '\r') {
      cut = i + 1;
    }
  }
  return cut;
}

}  // namespace hopsim::profiler::import
