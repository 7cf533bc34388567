#include "hopsim/core/format.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

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

// Length of the valid UTF-8 sequence at s[i] that is not a control character, or 0.
std::size_t printable_utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[i + k]); };
  const std::uint8_t c = b(0);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3Fu);
  }
  // Overlong forms, surrogates, beyond U+10FFFF and the C1 controls are not passed through.
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  if (cp >= 0x80 && cp <= 0x9F) return 0;
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
