// libFuzzer target for the calibration inputs a user hands `hopsim run --calibration` and
// `hopsim calibrate --gemm-table`: calibration YAML and per-shape GEMM tables (CSV). The first
// byte picks the reader, the rest is the file. Any input must load or raise ConfigError (never
// another exception, a crash or a sanitizer report); a loaded calibration must turn into cost
// parameters the cost model accepts, and a loaded table's rows into predictions.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "fuzz_util.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"
#include "hopsim/profiler/calibrate/cost_parameters.hpp"
#include "hopsim/sim/cost/gemm_table.hpp"

namespace {

const hopsim::GpuProfile& h800() {
  static const hopsim::GpuProfile gpu =
      hopsim::load_gpu_profile(std::string(HOPSIM_SOURCE_DIR) + "/hwprofiles/gpus/h800-sxm5.yaml");
  return gpu;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool table = data[0] % 2 == 1;
  const auto path = hopsim::fuzz::scratch(table ? "table.csv" : "calibration.yaml");
  hopsim::fuzz::write_file(path, data + 1, size - 1);
  try {
    if (table) {
      const auto rows = hopsim::sim::read_gemm_table(path.string());
      const hopsim::sim::CostModel model(h800(), hopsim::sim::default_cost_parameters(h800()));
      for (const auto& r : rows) (void)hopsim::sim::predicted_tflops(model, r, h800().sms);
    } else {
      const auto c = hopsim::profiler::calibrate::load_calibration(path);
      const hopsim::sim::CostModel model(
          h800(), hopsim::profiler::calibrate::cost_parameters_from(c, h800(), "fuzz"));
      (void)model;
    }
  } catch (const hopsim::ConfigError&) {
  }
  std::filesystem::remove(path);
  return 0;
}
