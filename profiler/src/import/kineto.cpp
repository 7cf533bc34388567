#include "hopsim/profiler/import/kineto.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::import {

using trace::TraceError;

// 128-bit intermediates make overflow checks exact; __extension__ keeps -Wpedantic quiet.
__extension__ using Int128 = __int128;

// ---------------------------------------------------------------------------------------------
// Numbers: parsed from their text so that "1712195495505583.123" (µs) becomes exactly
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

namespace {

// ---------------------------------------------------------------------------------------------
// Input: a RapidJSON stream over a window of the input that is parsed in situ, so strings and
// numbers are handed to the handler as pointers into the window instead of being copied
// character by character onto the reader's stack (the main cost of the parse before).
//
// In-situ parsing needs every token to lie inside the window, because RapidJSON keeps raw
// pointers to a token while it reads it. The window therefore ends only where no token can be
// open: after the last newline (JSON strings cannot hold a raw newline, and numbers and literals
// end at one), or, for input without newlines, after the last comma outside a string. The bytes
// after that point move to the front of the buffer when the reader reaches the end of the window,
// which happens between tokens, so no pointer RapidJSON holds is invalidated. Memory stays at
// one buffer, which grows only if a single comma-free stretch is longer than it.

class WindowStream {
 public:
  using Ch = char;
  //! `fill(buf, cap)` returns bytes read, 0 at end, -1 on error (message via the caller).
  using Fill = std::function<long(char*, std::size_t)>;

  WindowStream(Fill fill, std::size_t window)
      : fill_(std::move(fill)), buf_(std::max<std::size_t>(window, 64)) {
    cur_ = end_ = data_end_ = base_ = buf_.data();
  }

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
  [[nodiscard]] std::size_t Tell() const {
    return consumed_ + static_cast<std::size_t>(cur_ - base_);
  }
  //! Where the reader stands: just past a number when RawNumber is called.
  [[nodiscard]] const char* position() const { return cur_; }

  //! Byte offset of the first invalid UTF-8 byte; only meaningful when bad_utf8().
  [[nodiscard]] bool bad_utf8() const { return bad_utf8_; }
  [[nodiscard]] std::size_t bad_utf8_at() const { return bad_utf8_at_; }

  // Fast paths for the two loops that see most bytes; RapidJSON calls them through the
  // specialisations after this class.
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
  [[gnu::noinline]] bool advance() {
    if (eof_) return false;
    consumed_ += static_cast<std::size_t>(end_ - base_);
    const auto tail = static_cast<std::size_t>(data_end_ - end_);
    if (tail > 0) std::memmove(buf_.data(), end_, tail);
    std::size_t have = tail;
    std::size_t scanned = 0;  // bytes known to hold no newline
    for (;;) {
      if (have == buf_.size()) {
        // A full buffer without a newline: fall back to the last comma outside a string.
        if (const std::size_t cut = last_comma_outside_string(buf_.data(), have); cut > 0) {
          set_window(have, cut);
          return true;
        }
        buf_.resize(buf_.size() * 2);
      }
      const long got = fill_(buf_.data() + have, buf_.size() - have);
      if (got <= 0) {
        eof_ = true;
        // On a read error the window stays empty; the caller reports the stream's message.
        set_window(have, got < 0 ? 0 : have);
        return cur_ != end_;
      }
      have += static_cast<std::size_t>(got);
      const void* nl = memrchr(buf_.data() + scanned, '\n', have - scanned);
      if (nl != nullptr) {
        set_window(have, static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data()) + 1);
        return true;
      }
      scanned = have;
    }
  }

  // UTF-8 is validated here, a window at a time, rather than by RapidJSON character by
  // character: the window is cut before the first invalid byte, and run() reports that offset
  // when the parse stops there.
  void set_window(std::size_t have, std::size_t cut) {
    base_ = cur_ = buf_.data();
    end_ = base_ + cut;
    data_end_ = base_ + have;
    const std::size_t bad = first_invalid_utf8(base_, cut);
    if (bad < cut) {
      bad_utf8_ = true;
      bad_utf8_at_ = consumed_ + bad;
      end_ = base_ + bad;
      eof_ = true;
    }
  }

  // Well-formed UTF-8 as in the Unicode standard, table 3-7 (no overlong forms, no surrogates,
  // nothing above U+10FFFF), with an eight-bytes-at-a-time path for ASCII.
  static std::size_t first_invalid_utf8(const char* s, std::size_t n) {
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
        return i;
      }
      if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
      for (std::size_t k = 2; k < len; ++k) {
        if ((p[i + k] & 0xC0) != 0x80) return i;
      }
      i += len;
    }
    return n;
  }

  // The window starts outside any string (it starts where the previous one ended), so one
  // forward pass knows the string state everywhere. Returns the length up to and including the
  // last comma outside a string, or 0.
  static std::size_t last_comma_outside_string(const char* p, std::size_t n) {
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
      } else if (c == ',') {
        cut = i + 1;
      }
    }
    return cut;
  }

  Fill fill_;
  std::vector<char> buf_;
  char* base_ = nullptr;      // start of the window, at byte consumed_ of the input
  char* cur_ = nullptr;       // read position
  char* end_ = nullptr;       // end of the window
  char* data_end_ = nullptr;  // end of the bytes read so far (the tail after end_ waits)
  char* dst_ = nullptr;       // in-situ write position
  std::size_t consumed_ = 0;
  bool eof_ = false;
  bool bad_utf8_ = false;
  std::size_t bad_utf8_at_ = 0;
};

}  // namespace
}  // namespace hopsim::profiler::import

// RapidJSON reads whitespace and strings through these two templates; the generic versions take
// one Peek/Take/Put per byte. Explicit specialisations for WindowStream (the pattern RapidJSON
// itself uses for its in-memory streams) replace them with the stream's own loops.
namespace rapidjson {
template <>
inline void SkipWhitespace(hopsim::profiler::import::WindowStream& is) {
  is.skip_whitespace();
}
template <>
template <>
inline void GenericReader<UTF8<>, UTF8<>, CrtAllocator>::ScanCopyUnescapedString(
    hopsim::profiler::import::WindowStream& is, hopsim::profiler::import::WindowStream&) {
  is.copy_plain_run();
}
}  // namespace rapidjson

namespace hopsim::profiler::import {
namespace {

// ---------------------------------------------------------------------------------------------
// The handler: a state machine over the SAX callbacks that fills one event, emits it at the
// event's closing brace and forgets it.

enum class TopKey {
  kNone,
  kTraceEvents,
  kDeviceProperties,
  kDisplayTimeUnit,
  kBaseTime,
  kDistributedInfo,
  kSchemaVersion,
  kOther
};
enum class EvKey { kNone, kPh, kCat, kName, kPid, kTid, kTs, kDur, kId, kArgs, kOther };
enum class ArgKey { kNone, kDevice, kStream, kCorrelation, kBytes, kGrid, kBlock, kOther };
enum class DevKey { kNone, kId, kName, kSms, kMem, kMajor, kMinor, kClock, kOther };

struct Event {
  std::string ph, cat, name, ts, dur;
  bool has_ph = false, has_cat = false, has_name = false, has_ts = false, has_dur = false;
  bool has_pid = false, has_tid = false, has_id = false;
  std::int64_t pid = -1, tid = -1, id = 0;
  std::int64_t device = -1, stream = -1, correlation = -1, bytes = -1;
  bool has_device = false, has_stream = false;
  trace::Dim3 grid, block;
  std::size_t offset = 0;
  void reset(std::size_t at) {
    ph.clear();
    cat.clear();
    name.clear();
    ts.clear();
    dur.clear();
    has_ph = has_cat = has_name = has_ts = has_dur = has_pid = has_tid = has_id = false;
    pid = tid = -1;
    id = 0;
    device = stream = correlation = bytes = -1;
    has_device = has_stream = false;
    grid = block = {};
    offset = at;
  }
};

class Handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Handler> {
 public:
  Handler(trace::TraceSink& sink, KinetoStats& stats, const WindowStream& in, int max_depth)
      : sink_(sink), stats_(stats), in_(in), max_depth_(max_depth) {}

  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::size_t error_offset() const { return error_offset_; }
  [[nodiscard]] bool saw_events() const { return saw_events_; }

  // Scalars -----------------------------------------------------------------------------------
  bool Null() { return scalar(Kind::kNull, {}); }
  bool Bool(bool b) { return scalar(Kind::kBool, b ? "true" : "false"); }
  bool RawNumber(const char*, rapidjson::SizeType len, bool) {
    // In-situ RawNumber pointers differ between RapidJSON releases (1.1.0 passes the end of the
    // number); the number's text is the `len` bytes just before the reader's position.
    return scalar(Kind::kNumber, {in_.position() - len, len});
  }
  bool String(const char* s, rapidjson::SizeType len, bool) {
    return scalar(Kind::kString, {s, len});
  }

  // Containers --------------------------------------------------------------------------------
  bool StartObject() {
    if (!enter()) return false;
    // depth_ is now the new object's depth; its parent is at depth_ - 1.
    const int parent = depth_ - 1;
    if (parent == 0) {
      top_is_object_ = true;
    } else if (parent == events_depth_) {
      ev_.reset(in_.Tell());
      in_event_ = true;
    } else if (in_event_ && parent == events_depth_ + 1 && ev_key_ == EvKey::kArgs) {
      in_args_ = true;
    } else if (parent == devices_depth_) {
      dev_ = {};
      in_device_ = true;
    } else if (parent == 1 && top_is_object_ && top_key_ == TopKey::kDistributedInfo) {
      in_dist_ = true;
    }
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    const std::string_view k(s, len);
    if (depth_ == 1 && top_is_object_) {
      top_key_ = k == "traceEvents"           ? TopKey::kTraceEvents
                 : k == "deviceProperties"    ? TopKey::kDeviceProperties
                 : k == "displayTimeUnit"     ? TopKey::kDisplayTimeUnit
                 : k == "baseTimeNanoseconds" ? TopKey::kBaseTime
                 : k == "distributedInfo"     ? TopKey::kDistributedInfo
                 : k == "schemaVersion"       ? TopKey::kSchemaVersion
                                              : TopKey::kOther;
    } else if (in_event_ && depth_ == events_depth_ + 1) {
      ev_key_ = k == "ph"     ? EvKey::kPh
                : k == "cat"  ? EvKey::kCat
                : k == "name" ? EvKey::kName
                : k == "pid"  ? EvKey::kPid
                : k == "tid"  ? EvKey::kTid
                : k == "ts"   ? EvKey::kTs
                : k == "dur"  ? EvKey::kDur
                : k == "id"   ? EvKey::kId
                : k == "args" ? EvKey::kArgs
                              : EvKey::kOther;
    } else if (in_args_ && depth_ == events_depth_ + 2) {
      arg_key_ = k == "device"        ? ArgKey::kDevice
                 : k == "stream"      ? ArgKey::kStream
                 : k == "correlation" ? ArgKey::kCorrelation
                 : k == "bytes"       ? ArgKey::kBytes
                 : k == "grid"        ? ArgKey::kGrid
                 : k == "block"       ? ArgKey::kBlock
                                      : ArgKey::kOther;
    } else if (in_device_ && depth_ == devices_depth_ + 1) {
      dev_key_ = k == "id"               ? DevKey::kId
                 : k == "name"           ? DevKey::kName
                 : k == "numSms"         ? DevKey::kSms
                 : k == "totalGlobalMem" ? DevKey::kMem
                 : k == "computeMajor"   ? DevKey::kMajor
                 : k == "computeMinor"   ? DevKey::kMinor
                 : k == "clockRate"      ? DevKey::kClock
                                         : DevKey::kOther;
    } else if (in_dist_ && depth_ == 2) {
      dist_key_.assign(k);
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (in_event_ && depth_ == events_depth_ + 1) {
      in_event_ = false;
      ev_key_ = EvKey::kNone;
      if (!emit_event()) return false;
    } else if (in_args_ && depth_ == events_depth_ + 2) {
      in_args_ = false;
      arg_key_ = ArgKey::kNone;
    } else if (in_device_ && depth_ == devices_depth_ + 1) {
      in_device_ = false;
      sink_.add_device(dev_);
      ++stats_.devices;
    } else if (in_dist_ && depth_ == 2) {
      in_dist_ = false;
    }
    --depth_;
    return true;
  }
  bool StartArray() {
    if (!enter()) return false;
    const int parent = depth_ - 1;
    if (parent == events_depth_) return fail(in_.Tell(), "traceEvents must hold objects");
    if (parent == 1 && top_is_object_ && top_key_ == TopKey::kTraceEvents && events_depth_ == -2) {
      return fail(in_.Tell(), "more than one 'traceEvents' array");
    }
    if (parent == 0) {
      // The Chrome trace "JSON Array Format": the whole file is the event array.
      events_depth_ = depth_;
      saw_events_ = true;
    } else if (parent == 1 && top_is_object_ && top_key_ == TopKey::kTraceEvents &&
               events_depth_ < 0) {
      events_depth_ = depth_;
      saw_events_ = true;
    } else if (parent == 1 && top_is_object_ && top_key_ == TopKey::kDeviceProperties &&
               devices_depth_ < 0) {
      devices_depth_ = depth_;
    } else if (in_args_ && parent == events_depth_ + 2 &&
               (arg_key_ == ArgKey::kGrid || arg_key_ == ArgKey::kBlock)) {
      dim_ = arg_key_ == ArgKey::kGrid ? &ev_.grid : &ev_.block;
      dim_index_ = 0;
    }
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    if (depth_ == events_depth_) events_depth_ = -2;  // one traceEvents array only
    if (depth_ == devices_depth_) devices_depth_ = -2;
    if (dim_ != nullptr && depth_ == events_depth_ + 3) dim_ = nullptr;
    --depth_;
    return true;
  }

 private:
  enum class Kind { kNull, kBool, kNumber, kString };

  bool enter() {
    if (++depth_ > max_depth_) {
      return fail(in_.Tell(), "JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    return true;
  }

  bool fail(std::size_t offset, std::string msg) {
    error_offset_ = offset;
    error_ = std::move(msg);
    return false;
  }
  bool fail_event(const std::string& msg) {
    return fail(ev_.offset, "event #" + std::to_string(stats_.events) + " ('" +
                                (ev_.name.size() > 80 ? ev_.name.substr(0, 80) + "..." : ev_.name) +
                                "'): " + msg);
  }

  bool want_int(Kind kind, std::string_view text, std::int64_t& out, const char* what) {
    if (kind != Kind::kNumber || !parse_int64(text, out)) {
      return fail(in_.Tell(), std::string("'") + what + "' must be an integer");
    }
    return true;
  }

  bool scalar(Kind kind, std::string_view text) {
    const int d = depth_;
    if (d == 0) return fail(in_.Tell(), "a trace must be a JSON object or array, not a scalar");
    if (d == 1 && top_is_object_) return top_value(kind, text);
    if (d == events_depth_) return fail(in_.Tell(), "traceEvents must hold objects");
    if (in_event_ && d == events_depth_ + 1) return event_value(kind, text);
    if (in_args_ && d == events_depth_ + 2) return arg_value(kind, text);
    if (dim_ != nullptr && d == events_depth_ + 3) {
      std::int64_t v = 0;
      if (!want_int(kind, text, v, "grid/block")) return false;
      if (dim_index_ == 0) dim_->x = v;
      if (dim_index_ == 1) dim_->y = v;
      if (dim_index_ == 2) dim_->z = v;
      ++dim_index_;
      return true;
    }
    if (in_device_ && d == devices_depth_ + 1) return device_value(kind, text);
    if (in_dist_ && d == 2) {
      if (dist_key_ == "rank" || dist_key_ == "world_size" || dist_key_ == "backend") {
        sink_.set_info(dist_key_, text);
      }
    }
    return true;
  }

  bool top_value(Kind kind, std::string_view text) {
    switch (top_key_) {
      case TopKey::kDisplayTimeUnit:
        if (kind != Kind::kString) return fail(in_.Tell(), "'displayTimeUnit' must be a string");
        sink_.set_info("display_time_unit", text);
        break;
      case TopKey::kBaseTime: {
        std::int64_t v = 0;
        if (!want_int(kind, text, v, "baseTimeNanoseconds")) return false;
        sink_.set_info("base_time_ns", text);
        break;
      }
      case TopKey::kSchemaVersion:
        sink_.set_info("kineto_schema_version", text);
        break;
      case TopKey::kTraceEvents:
        return fail(in_.Tell(), "'traceEvents' must be an array");
      default:
        break;
    }
    return true;
  }

  bool event_value(Kind kind, std::string_view text) {
    switch (ev_key_) {
      case EvKey::kPh:
        if (kind != Kind::kString) return fail(in_.Tell(), "'ph' must be a string");
        ev_.ph.assign(text);
        ev_.has_ph = true;
        break;
      case EvKey::kCat:
        if (kind != Kind::kString) return fail(in_.Tell(), "'cat' must be a string");
        ev_.cat.assign(text);
        ev_.has_cat = true;
        break;
      case EvKey::kName:
        if (kind != Kind::kString) return fail(in_.Tell(), "'name' must be a string");
        ev_.name.assign(text);
        ev_.has_name = true;
        break;
      case EvKey::kPid:
      case EvKey::kTid: {
        // Chrome traces allow string pids/tids (labels); they carry no device or stream.
        std::int64_t v = -1;
        if (kind == Kind::kNumber) {
          if (!want_int(kind, text, v, ev_key_ == EvKey::kPid ? "pid" : "tid")) return false;
        } else if (kind != Kind::kString) {
          return fail(in_.Tell(), "'pid'/'tid' must be a number or a string");
        }
        if (ev_key_ == EvKey::kPid) {
          ev_.pid = v;
          ev_.has_pid = true;
        } else {
          ev_.tid = v;
          ev_.has_tid = true;
        }
        break;
      }
      case EvKey::kTs:
      case EvKey::kDur:
        if (kind != Kind::kNumber) {
          return fail(in_.Tell(),
                      ev_key_ == EvKey::kTs ? "'ts' must be a number" : "'dur' must be a number");
        }
        (ev_key_ == EvKey::kTs ? ev_.ts : ev_.dur).assign(text);
        (ev_key_ == EvKey::kTs ? ev_.has_ts : ev_.has_dur) = true;
        break;
      case EvKey::kId:
        if (kind == Kind::kNumber && parse_int64(text, ev_.id)) ev_.has_id = true;
        break;
      case EvKey::kArgs:
        return fail(in_.Tell(), "'args' must be an object");
      default:
        break;
    }
    return true;
  }

  bool arg_value(Kind kind, std::string_view text) {
    switch (arg_key_) {
      case ArgKey::kDevice:
        ev_.has_device = true;
        return want_int(kind, text, ev_.device, "args.device");
      case ArgKey::kStream:
        ev_.has_stream = true;
        return want_int(kind, text, ev_.stream, "args.stream");
      case ArgKey::kCorrelation:
        return want_int(kind, text, ev_.correlation, "args.correlation");
      case ArgKey::kBytes:
        return want_int(kind, text, ev_.bytes, "args.bytes");
      case ArgKey::kGrid:
      case ArgKey::kBlock:
        return fail(in_.Tell(), "args.grid/args.block must be arrays");
      default:
        return true;
    }
  }

  bool device_value(Kind kind, std::string_view text) {
    switch (dev_key_) {
      case DevKey::kName:
        if (kind != Kind::kString)
          return fail(in_.Tell(), "deviceProperties.name must be a string");
        dev_.name.assign(text);
        return true;
      case DevKey::kId:
        return want_int(kind, text, dev_.id, "deviceProperties.id");
      case DevKey::kSms:
        return want_int(kind, text, dev_.sm_count, "deviceProperties.numSms");
      case DevKey::kMem:
        return want_int(kind, text, dev_.total_memory_bytes, "deviceProperties.totalGlobalMem");
      case DevKey::kMajor:
        return want_int(kind, text, dev_.compute_major, "deviceProperties.computeMajor");
      case DevKey::kMinor:
        return want_int(kind, text, dev_.compute_minor, "deviceProperties.computeMinor");
      case DevKey::kClock:
        return want_int(kind, text, dev_.clock_khz, "deviceProperties.clockRate");
      default:
        return true;
    }
  }

  void skip(const std::string& reason) { ++stats_.skipped[reason]; }

  bool interval(Nanoseconds& start, Nanoseconds& end) {
    if (!ev_.has_ts) return fail_event("missing 'ts'");
    if (!ev_.has_dur) return fail_event("missing 'dur'");
    std::int64_t ts = 0;
    std::int64_t dur = 0;
    if (!parse_us_to_ns(ev_.ts, ts)) return fail_event("'ts' " + ev_.ts + " is out of range");
    if (!parse_us_to_ns(ev_.dur, dur)) return fail_event("'dur' " + ev_.dur + " is out of range");
    if (ts < 0) return fail_event("negative 'ts' " + ev_.ts);
    if (dur < 0) return fail_event("negative 'dur' " + ev_.dur);
    if (ts > INT64_MAX - dur) return fail_event("'ts' + 'dur' overflows 64-bit nanoseconds");
    start = Nanoseconds(ts);
    end = Nanoseconds(ts + dur);
    return true;
  }

  bool emit_event() {
    ++stats_.events;
    if (!ev_.has_ph) return fail_event("missing 'ph'");
    const std::string& ph = ev_.ph;
    if (ph == "X") return emit_complete();
    if (ph == "s" || ph == "f" || ph == "t") {
      if (!ev_.has_ts) return fail_event("missing 'ts'");
      if (!ev_.has_id) {
        skip("flow without integer id");
        return true;
      }
      std::int64_t ts = 0;
      if (!parse_us_to_ns(ev_.ts, ts) || ts < 0)
        return fail_event("'ts' " + ev_.ts + " is out of range");
      trace::FlowEvent f;
      f.id = ev_.id;
      f.phase = ph[0];
      f.category = ev_.cat;
      f.pid = ev_.pid;
      f.tid = ev_.tid;
      f.ts = Nanoseconds(ts);
      sink_.add_flow(f);
      ++stats_.flows;
      return true;
    }
    if (ph == "M") {
      ++stats_.metadata;
      return true;
    }
    skip("ph=" + (ph.size() > 8 ? ph.substr(0, 8) : ph));
    return true;
  }

  bool emit_complete() {
    if (!ev_.has_cat) {
      skip("X without cat");
      return true;
    }
    if (!ev_.has_name) return fail_event("missing 'name'");
    const std::string& c = ev_.cat;
    const bool kernel = c == "kernel" || c == "Kernel";
    const bool memcpy = c == "gpu_memcpy" || c == "Memcpy";
    const bool memset = c == "gpu_memset" || c == "Memset";
    if (kernel || memcpy || memset) {
      trace::GpuActivity a;
      a.kind = kernel ? trace::ActivityKind::kKernel
                      : (memcpy ? trace::ActivityKind::kMemcpy : trace::ActivityKind::kMemset);
      if (!interval(a.start, a.end)) return false;
      a.device = ev_.has_device ? ev_.device : ev_.pid;
      a.stream = ev_.has_stream ? ev_.stream : ev_.tid;
      a.name = ev_.name;
      a.correlation = ev_.correlation;
      a.grid = ev_.grid;
      a.block = ev_.block;
      a.bytes = ev_.bytes;
      sink_.add_activity(a);
      ++(kernel ? stats_.kernels : (memcpy ? stats_.memcpys : stats_.memsets));
      return true;
    }
    const bool runtime = c == "cuda_runtime" || c == "Runtime";
    const bool driver = c == "cuda_driver" || c == "Driver";
    if (runtime || driver) {
      trace::RuntimeCall r;
      if (!interval(r.start, r.end)) return false;
      r.name = ev_.name;
      r.driver = driver;
      r.pid = ev_.pid;
      r.tid = ev_.tid;
      r.correlation = ev_.correlation;
      sink_.add_runtime(r);
      ++stats_.runtime_calls;
      return true;
    }
    trace::RangeSource src{};
    if (c == "user_annotation") {
      src = trace::RangeSource::kUserAnnotation;
    } else if (c == "gpu_user_annotation") {
      src = trace::RangeSource::kGpuUserAnnotation;
    } else if (c == "cpu_op" || c == "Operator") {
      src = trace::RangeSource::kCpuOp;
    } else {
      skip("cat=" + (c.size() > 40 ? c.substr(0, 40) : c));
      return true;
    }
    trace::Annotation a;
    if (!interval(a.start, a.end)) return false;
    a.name = ev_.name;
    a.source = src;
    a.pid = ev_.pid;
    a.tid = ev_.tid;
    sink_.add_annotation(a);
    ++stats_.annotations;
    return true;
  }

  trace::TraceSink& sink_;
  KinetoStats& stats_;
  const WindowStream& in_;
  int max_depth_;
  int depth_ = 0;
  bool top_is_object_ = false;
  TopKey top_key_ = TopKey::kNone;
  int events_depth_ = -1;
  int devices_depth_ = -1;
  bool saw_events_ = false;
  bool in_event_ = false;
  bool in_args_ = false;
  bool in_device_ = false;
  bool in_dist_ = false;
  EvKey ev_key_ = EvKey::kNone;
  ArgKey arg_key_ = ArgKey::kNone;
  DevKey dev_key_ = DevKey::kNone;
  std::string dist_key_;
  Event ev_;
  trace::DeviceInfo dev_;
  trace::Dim3* dim_ = nullptr;
  int dim_index_ = 0;
  std::string error_;
  std::size_t error_offset_ = 0;
};

KinetoStats run(WindowStream& in, trace::TraceSink& sink, const std::string& name,
                const KinetoOptions& opt, const std::function<std::string()>& stream_error) {
  KinetoStats stats;
  Handler h(sink, stats, in, opt.max_depth);
  rapidjson::Reader reader;
  // The recursive parser is safe here: the handler refuses nesting beyond max_depth at the
  // opening bracket, which stops the recursion there.
  // No kParseValidateEncodingFlag: the stream validates UTF-8 (and RapidJSON's fast string
  // path runs only without it).
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;
  const rapidjson::ParseResult ok = reader.Parse<kFlags>(in, h);
  const std::string stream_msg = stream_error ? stream_error() : std::string();
  if (!stream_msg.empty()) {
    throw TraceError(name, "byte " + std::to_string(in.Tell()) + " (uncompressed)", stream_msg);
  }
  if (!ok && !h.error().empty()) {
    throw TraceError(name, "byte " + std::to_string(h.error_offset()), h.error());
  }
  if (in.bad_utf8() && (ok || in.Tell() >= in.bad_utf8_at())) {
    throw TraceError(name, "byte " + std::to_string(in.bad_utf8_at()),
                     "invalid JSON: invalid UTF-8 encoding");
  }
  if (!ok) {
    throw TraceError(name, "byte " + std::to_string(ok.Offset()),
                     std::string("invalid JSON: ") + rapidjson::GetParseError_En(ok.Code()));
  }
  if (!h.saw_events()) throw TraceError(name, "", "no 'traceEvents' array: not a Kineto trace");
  stats.bytes = static_cast<std::int64_t>(in.Tell());
  sink.set_info("source_format", "kineto_json");
  return stats;
}

}  // namespace

KinetoStats import_kineto_file(const std::filesystem::path& file, trace::TraceSink& sink,
                               const KinetoOptions& opt) {
  const std::string name = file.string();
  gzFile gz = gzopen(name.c_str(), "rb");
  if (gz == nullptr) throw TraceError(name, "", "cannot open file");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(gz, gzclose);
  gzbuffer(gz, 1 << 17);
  std::string gz_error;
  WindowStream in(
      [gz, &gz_error](char* buf, std::size_t cap) -> long {
        const int got = gzread(gz, buf, static_cast<unsigned>(cap));
        if (got < 0) {
          int code = 0;
          const char* msg = gzerror(gz, &code);
          gz_error = std::string("gzip stream is damaged: ") + (msg ? msg : "unknown zlib error");
          return -1;
        }
        if (got == 0) {
          int code = 0;
          const char* msg = gzerror(gz, &code);
          if (code != Z_OK && code != Z_STREAM_END) {
            gz_error = std::string("gzip stream is damaged: ") + (msg ? msg : "unknown zlib error");
            return -1;
          }
        }
        return got;
      },
      opt.chunk_bytes);
  KinetoStats s = run(in, sink, name, opt, [&gz_error] { return gz_error; });
  sink.set_info("source_file", file.filename().string());
  sink.set_info("source_compressed", gzdirect(gz) ? "no" : "gzip");
  return s;
}

KinetoStats import_kineto_memory(std::string_view json, trace::TraceSink& sink,
                                 std::string_view name, const KinetoOptions& opt) {
  // In-situ parsing writes to its buffer, so the input is copied window by window.
  std::size_t at = 0;
  WindowStream in(
      [json, &at](char* buf, std::size_t cap) -> long {
        const std::size_t n = std::min(cap, json.size() - at);
        std::memcpy(buf, json.data() + at, n);
        at += n;
        return static_cast<long>(n);
      },
      opt.chunk_bytes);
  return run(in, sink, std::string(name), opt, {});
}

}  // namespace hopsim::profiler::import
