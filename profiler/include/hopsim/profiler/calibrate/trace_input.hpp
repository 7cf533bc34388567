#pragma once
//! Reads a hopsim-measure trace (SQLite, layout in docs/KERNELS.md) into calibration samples and
//! runs the whole calibration: the library side of `hopsim calibrate`.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hopsim/profiler/calibrate/calibration.hpp"
#include "hopsim/profiler/calibrate/fit.hpp"

namespace hopsim::profiler::calibrate {

//! One measurement of the plan, reduced to the median over its recorded repeats.
struct MeasuredPoint {
  long long measurement_id = 0;
  std::string kernel_class;
  std::string label;
  WorkBasis basis = WorkBasis::kFlops;
  std::string role;  //!< "alone", "compute_concurrent" or "copy_concurrent"
  int partition_sms = 0;
  double work = 0;
  double median_seconds = 0;
  int repeats = 0;
};

struct TraceInput {
  std::string source;  //!< the file it was read from (error messages)
  std::map<std::string, std::string> provenance;
  std::vector<MeasuredPoint> points;
};

//! Throws ConfigError when the file is not a hopsim-measure trace (missing tables or columns).
[[nodiscard]] TraceInput read_trace(const std::filesystem::path& trace_sqlite);

struct CalibrateOptions {
  //! Datasheet peaks per class prefix (e.g. "gemm_fp8" -> 1978.9e12), for efficiency_max.
  std::map<std::string, double> nominal_peaks;
  std::string hbm_class = "hbm_copy";    //!< class whose "alone" points give the HBM curve
  std::string copy_class = "comm_copy";  //!< class whose "alone" points give the copy curve
};

//! Fits every class with at least 2 "alone" points; concurrent points are not fitted (they are
//! reported by `hopsim calibrate` as slowdowns). Classes with fewer points are skipped and named
//! in `skipped`.
[[nodiscard]] Calibration calibrate(const TraceInput& in, const CalibrateOptions& opt,
                                    std::vector<std::string>* skipped = nullptr);

}  // namespace hopsim::profiler::calibrate
