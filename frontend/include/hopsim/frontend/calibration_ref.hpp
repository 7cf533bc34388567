#pragma once
//! A calibration file as the front ends use it (`--calibration FILE` of run, whatif, sweep,
//! compare and report; the GUI's Open Calibration): one reader above the planner and the
//! profiler, so that every command and the GUI apply and record it alike.

#include <string>

#include "hopsim/planner/sweep.hpp"

namespace hopsim::frontend {

//! Reads and checks a calibration file; "" gives the uncalibrated reference. Throws ConfigError
//! (located) for an unreadable or invalid file.
[[nodiscard]] planner::CalibrationRef load_calibration_ref(const std::string& path);

}  // namespace hopsim::frontend
