#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "internal.hpp"

#ifndef HOPSIM_SOURCE_DATA_DIR
#error "HOPSIM_SOURCE_DATA_DIR must be defined by the build"
#endif

namespace hopsim {
namespace fs = std::filesystem;

fs::path data_dir() {
  // Read per call rather than cached: tests and installed tools may set it after start-up.
  if (const char* env = std::getenv("HOPSIM_DATA_DIR"); env != nullptr && *env != '\0') {
    return fs::path(env);
  }
  return fs::path(HOPSIM_SOURCE_DATA_DIR);
}

std::vector<std::string> shipped_models() {
  return config::list_shipped("models");
}

std::vector<std::string> shipped_profiles(const std::string& kind) {
  return config::list_shipped("hwprofiles/" + kind);
}

std::vector<std::string> shipped_scenarios() {
  return config::list_shipped("scenarios");
}

namespace config {

bool looks_like_path(const std::string& spec) {
  if (spec == "." || spec == "..") return true;
  if (spec.find('/') != std::string::npos || spec.find('\\') != std::string::npos) return true;
  const std::string ext = fs::path(spec).extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

std::vector<std::string> list_shipped(const std::string& folder) {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path dir = data_dir() / folder;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".yaml") {
      out.push_back(it->path().stem().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path resolve_data_file(const std::string& folder, const std::string& what,
                           const std::string& spec, const fs::path& base,
                           const SourceLocation& from) {
  std::error_code ec;
  if (looks_like_path(spec)) {
    fs::path p(spec);
    if (p.is_relative() && !base.empty()) p = base / p;
    // A Hugging Face checkpoint folder stands for its config.json.
    if (folder == "models" && fs::is_directory(p, ec) &&
        fs::is_regular_file(p / "config.json", ec)) {
      p /= "config.json";
    }
    if (!fs::is_regular_file(p, ec)) {
      throw ConfigError(from, what + " file not found: " + p.string());
    }
    return p;
  }
  const fs::path p = data_dir() / folder / (spec + ".yaml");
  if (!fs::is_regular_file(p, ec)) {
    const auto names = list_shipped(folder);
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(from,
                      "unknown " + what + " '" + spec + "': not a shipped name (shipped in " +
                          (data_dir() / folder).string() + ": " + (list.empty() ? "none" : list) +
                          ") and not a path (a path contains '/' or ends in .yaml or .json)",
                      nearest(spec, names));
  }
  return p;
}

}  // namespace config
}  // namespace hopsim
