#pragma once
//! Turns a fitted calibration into the simulator's cost-model parameters. Classes the calibration
//! does not cover keep their uncalibrated defaults; links always come from the hardware profile,
//! so an H800 prediction is the H100's measured compute plus the H800's links.

#include "hopsim/core/hardware.hpp"
#include "hopsim/profiler/calibrate/calibration.hpp"
#include "hopsim/sim/cost/cost_model.hpp"

namespace hopsim::profiler::calibrate {

//! `source` names the calibration file for provenance ("calibrated: FILE (device, date)").
[[nodiscard]] sim::CostParameters cost_parameters_from(const Calibration& c, const GpuProfile& gpu,
                                                       const std::string& source);

}  // namespace hopsim::profiler::calibrate
