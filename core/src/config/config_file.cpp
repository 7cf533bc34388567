#include "hopsim/core/config/config_file.hpp"

#include <fstream>
#include <sstream>

#include "hopsim/core/error.hpp"

namespace hopsim::config {

std::string read_config_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(SourceLocation{path.string(), 0, 0, {}}, "cannot open " + std::string(what));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw ConfigError(SourceLocation{path.string(), 0, 0, {}}, "cannot read " + std::string(what));
  return std::move(text).str();
}

}  // namespace hopsim::config
