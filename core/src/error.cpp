#include "hopsim/core/error.hpp"

#include <sstream>

namespace hopsim {
namespace {

std::string format_message(const SourceLocation& w, const std::string& message,
                           const std::string& suggestion) {
  // A stream rather than string concatenation: GCC 12's -Wrestrict misfires on the latter at -O3.
  std::ostringstream out;
  if (!w.file.empty()) {
    out << w.file;
    if (w.line > 0) out << ':' << w.line << ':' << w.column;
    out << ": ";
  }
  if (!w.key_path.empty()) out << w.key_path << ": ";
  out << message;
  if (!suggestion.empty()) out << " (did you mean '" << suggestion << "'?)";
  return out.str();
}

}  // namespace

ConfigError::ConfigError(SourceLocation where, std::string message, std::string suggestion)
    : std::runtime_error(format_message(where, message, suggestion)),
      where_(std::move(where)),
      message_(std::move(message)),
      suggestion_(std::move(suggestion)) {}

}  // namespace hopsim
