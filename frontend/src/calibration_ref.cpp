#include "hopsim/frontend/calibration_ref.hpp"

#include <memory>

#include "hopsim/core/config/config_file.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/planner/hash.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"
#include "hopsim/profiler/calibrate/cost_parameters.hpp"

namespace hopsim::frontend {

planner::CalibrationRef load_calibration_ref(const std::string& path) {
  planner::CalibrationRef ref;
  if (path.empty()) return ref;
  const std::string text = config::read_config_file(path, "calibration file");
  // Parsed once; every GPU of a sweep or report derives its cost parameters from it.
  auto cal = std::make_shared<const profiler::calibrate::Calibration>(
      profiler::calibrate::parse_calibration(text, path));
  ref.hash = "sha256:" + planner::sha256_hex(text);
  const profiler::calibrate::ResidualBand band = profiler::calibrate::residual_band(*cal);
  if (band.relative > 0) {
    ref.uncertainty = {band.relative, band.source + " (" + path + ")"};
  } else {
    // A calibration without a residual of its own (a GEMM table's fit says nothing about a whole
    // step) keeps the uncalibrated band, and says so.
    ref.uncertainty.source = "the calibration (" + path +
                             ") records no residual of a whole step, so the band is the "
                             "uncalibrated one: " +
                             ref.uncertainty.source;
  }
  // What the fit saw, with the trace's own hash (`calibrate --from-trace` records it).
  const auto& prov = cal->provenance;
  auto get = [&](const char* k) {
    const auto it = prov.find(k);
    return it == prov.end() ? std::string() : it->second;
  };
  if (!get("calibrated_from_gemm_table").empty()) {
    ref.fitted_to =
        "GEMM table " + get("calibrated_from_gemm_table") +
        (get("gemm_table_sha256").empty() ? "" : " (sha256:" + get("gemm_table_sha256") + ")");
  } else if (!get("calibrated_from_trace").empty()) {
    ref.fitted_to = "trace " + get("calibrated_from_trace") +
                    (get("trace_rank").empty() ? "" : " rank " + get("trace_rank")) +
                    (get("trace_sha256").empty() ? "" : " (sha256:" + get("trace_sha256") + ")");
  } else {
    ref.fitted_to = "kernel campaign on " + (cal->device.empty() ? "?" : cal->device) +
                    (get("calibrated_from").empty() ? "" : " (" + get("calibrated_from") + ")");
  }
  ref.cost_for = [cal, path](const GpuProfile& gpu) {
    return profiler::calibrate::cost_parameters_from(*cal, gpu, path);
  };
  return ref;
}

}  // namespace hopsim::frontend
