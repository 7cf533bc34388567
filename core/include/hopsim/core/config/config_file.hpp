#pragma once
//! Reading an input file whole (scenario, model, rules, calibration, sweep spec, GEMM table), with
//! the one located error the config loaders give when they cannot.

#include <filesystem>
#include <string>
#include <string_view>

namespace hopsim::config {

//! The bytes of `path`, or a ConfigError at the file (line 0): "cannot open WHAT" when it cannot
//! be opened, "cannot read WHAT" when reading it fails part way.
[[nodiscard]] std::string read_config_file(const std::filesystem::path& path,
                                           std::string_view what);

}  // namespace hopsim::config
