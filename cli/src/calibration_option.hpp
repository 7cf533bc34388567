#pragma once
//! The `--calibration FILE` option of run, whatif, sweep and report: one reader, so that every
//! command applies and records a calibration the same way (sha256 of the file as provenance).

#include <string>

#include "hopsim/planner/sweep.hpp"

namespace hopsim::cli {

//! Reads and checks a calibration file; "" gives the uncalibrated reference. Throws ConfigError
//! (located) for an unreadable or invalid file.
[[nodiscard]] planner::CalibrationRef load_calibration_ref(const std::string& path);

}  // namespace hopsim::cli
