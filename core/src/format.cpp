#include "hopsim/core/format.hpp"

#include <cmath>
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

}  // namespace hopsim
