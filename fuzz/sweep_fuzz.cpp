// libFuzzer target for sweep specs: any text must parse and expand, or raise ConfigError. The
// spec is read as if it lived in tests/data/sweep/, so `base: tiny.yaml` finds a real scenario.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "hopsim/core/error.hpp"
#include "hopsim/planner/sweep_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto spec = hopsim::planner::parse_sweep_spec(
        text, std::string(HOPSIM_SOURCE_DIR) + "/tests/data/sweep/fuzz.yaml");
    // Expanding is linear in the configurations (up to 10 million are allowed); the fuzzer
    // expands the small ones, the bound itself is a unit test.
    std::size_t n = std::max<std::size_t>(1, spec.list.size());
    for (const auto& a : spec.grid) n *= a.values.size();
    if (n <= 256) {
      const auto e = hopsim::planner::expand(spec);
      if (e.configs.size() + e.excluded != e.candidates) __builtin_trap();
      (void)hopsim::planner::sweep_hash(spec);
    }
  } catch (const hopsim::ConfigError&) {
  } catch (const hopsim::PlanError&) {
  }
  return 0;
}
