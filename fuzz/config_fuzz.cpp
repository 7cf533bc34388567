// libFuzzer target for the config readers: scenario, model and hardware YAML and Hugging Face
// config.json. The first byte picks the reader, the rest is the file. Any input must load or
// raise ConfigError / PlanError (never another exception, a crash or a sanitizer report); a
// loaded scenario's plan checks must run too.

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "fuzz_util.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int kind = data[0] % 6;
  // A config.json is recognised by its name; YAML by anything else.
  const auto path = hopsim::fuzz::scratch(kind == 5 ? "config.json" : "input.yaml");
  hopsim::fuzz::write_file(path, data + 1, size - 1);
  try {
    switch (kind) {
      case 0: {
        const hopsim::Scenario s = hopsim::load_scenario(path);
        (void)hopsim::plan_errors(s);
        (void)hopsim::plan_warnings(s);
        break;
      }
      case 1:
      case 5:
        (void)hopsim::load_model(path.string());
        break;
      case 2:
        (void)hopsim::load_gpu_profile(path.string());
        break;
      case 3:
        (void)hopsim::load_node_profile(path.string());
        break;
      default:
        (void)hopsim::load_fabric_profile(path.string());
        break;
    }
  } catch (const hopsim::ConfigError&) {
  } catch (const hopsim::PlanError&) {
  }
  std::filesystem::remove(path);
  return 0;
}
