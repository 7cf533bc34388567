#pragma once
//! Published figures that predictions are held against (validation targets, never fitting
//! targets): one home for the CLI, reports and tests.

namespace hopsim::planner {

//! 180K H800 GPU-hours per trillion tokens of DeepSeek-V3 pre-training ("each trillion tokens
//! requires only 180K H800 GPU hours", DeepSeek-V3 report, arXiv 2412.19437, §1 p.5; Table 1).
inline constexpr double kPublishedH800GpuHoursPerTrillion = 180e3;

}  // namespace hopsim::planner
