#pragma once
//! Helpers shared by the config loaders (not installed): shipped-name resolution and the
//! readers of one profile/model mapping, used both for files and for inline mappings.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/core/hardware.hpp"
#include "hopsim/core/model.hpp"
#include "hopsim/core/scenario.hpp"

namespace hopsim::config {

//! Whether `spec` names a file rather than a shipped entry.
[[nodiscard]] bool looks_like_path(const std::string& spec);

//! Stems of the *.yaml files in data_dir()/folder, sorted.
[[nodiscard]] std::vector<std::string> list_shipped(const std::string& folder);

//! `spec` as a file: a path (relative to `base`) or a shipped name under data_dir()/folder.
//! `what` names the kind in messages ("GPU profile"); `from` is where the spec was written.
[[nodiscard]] std::filesystem::path resolve_data_file(const std::string& folder,
                                                      const std::string& what,
                                                      const std::string& spec,
                                                      const std::filesystem::path& base,
                                                      const SourceLocation& from);

[[nodiscard]] GpuProfile read_gpu_profile(const YAML::Node& node, const std::string& file,
                                          const std::string& key_path);
[[nodiscard]] NodeProfile read_node_profile(const YAML::Node& node, const std::string& file,
                                            const std::string& key_path);
[[nodiscard]] FabricProfile read_fabric_profile(const YAML::Node& node, const std::string& file,
                                                const std::string& key_path);
[[nodiscard]] ModelConfig read_model(const YAML::Node& node, const std::string& file,
                                     const std::string& key_path);
//! A model file: hopsim YAML, or Hugging Face config.json when the extension is .json.
[[nodiscard]] ModelConfig read_model_file(const std::filesystem::path& path);
//! A scenario document already parsed (e.g. with sweep overrides applied); `path` names the
//! file for messages and is the base for relative paths inside it. load_scenario uses this.
[[nodiscard]] Scenario read_scenario(const YAML::Node& document, const std::filesystem::path& path);

}  // namespace hopsim::config
