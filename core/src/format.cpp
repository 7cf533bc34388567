#include "hopsim/core/format.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "hopsim/core/utf8.hpp"

namespace hopsim {

std::string fmt(const char* format, double v) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, format, v);
  if (n < 0) return "?";
  if (static_cast<std::size_t>(n) < sizeof buf) return buf;
  // Longer than the buffer (e.g. "%.0f" of 1e300): format again at full length.
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, v);
  out.pop_back();
  return out;
}

std::string grouped(double v) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 1e15) return fmt("%.3e", v);
  const double r = std::round(v);
  // Integers below 10^15 are exact in a double and fit the buffer; no llround (it overflows).
  std::string digits = fmt("%.0f", std::fabs(r));
  std::string out = r < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

namespace {

void append_hex(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x";
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xF]);
}

// Length of the valid UTF-8 sequence at s[i] that is not a control character, or 0. The C1
// controls (U+0080..U+009F, encoded C2 80..C2 9F) are not passed through either.
std::size_t printable_utf8_length(std::string_view s, std::size_t i) {
  const std::size_t n = utf8_sequence_length(s.data() + i, s.size() - i);
  if (n < 2) return 0;
  if (static_cast<unsigned char>(s[i]) == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
    return 0;
  }
  return n;
}

// Calls plain(c) for printable ASCII, control(c) for ASCII controls, and copies valid UTF-8;
// anything else is written as \xNN.
template <class Plain, class Control>
std::string escape(std::string_view s, Plain plain, Control control) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) {
        control(out, c);
      } else {
        plain(out, static_cast<char>(c));
      }
      ++i;
    } else if (const std::size_t n = printable_utf8_length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      append_hex(out, c);
      ++i;
    }
  }
  return out;
}

// The entity for an HTML-special character, or nullptr: Markdown (which renders inline HTML)
// and HTML share these.
const char* html_entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    default:
      return nullptr;
  }
}

}  // namespace

std::string printable(std::string_view s) {
  return escape(
      s, [](std::string& out, char c) { out.push_back(c); },
      [](std::string& out, unsigned char c) { append_hex(out, c); });
}

std::string markdown_escape(std::string_view s) {
  return escape(
      s,
      [](std::string& out, char c) {
        if (c != '"' && html_entity(c) != nullptr) {
          out += html_entity(c);
          return;
        }
        switch (c) {
          case '\\':
          case '|':
          case '`':
          case '[':
          case ']':
            out.push_back('\\');
            out.push_back(c);
            break;
          default:
            out.push_back(c);
        }
      },
      [](std::string& out, unsigned char c) {
        if (c == '\n' || c == '\r' || c == '\t') {
          out.push_back(' ');
        } else {
          append_hex(out, c);
        }
      });
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (const char* e = html_entity(c)) {
      out += e;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace hopsim
