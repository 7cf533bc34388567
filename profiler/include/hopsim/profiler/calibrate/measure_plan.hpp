#pragma once
//! Measurement plans for hopsim-measure: which kernels, at which shapes and SM partitions.
//! CPU-only so `hopsim measure --dry-run` and the tests read plans without a GPU (docs/KERNELS.md).

#include <map>
#include <string>
#include <vector>

namespace hopsim::profiler::calibrate {

//! One kernel at one shape (list-valued shape keys in the YAML are expanded into several).
struct PlanEntry {
  std::string label;
  std::string kernel_class;
  std::map<std::string, long long> shape;
  std::vector<int> partitions;  //!< SM counts to run it alone on
  [[nodiscard]] long long at(const std::string& key) const;
};

struct Plan {
  std::string name;
  int warmup = 3;
  int repeats = 10;
  std::vector<PlanEntry> entries;
  //! Concurrency: each copy size runs beside each named compute entry on the remaining SMs.
  std::vector<int> concurrent_copy_sms;
  long long concurrent_copy_bytes = 0;
  std::vector<std::string> concurrent_compute;
};

//! Throws hopsim::ConfigError with file, line, column and key on malformed plans, unknown
//! classes or keys, non-positive shapes and duplicate labels. What a plan runs, in which order,
//! is hopsim::measure::make_schedule (kernels/measure).
[[nodiscard]] Plan load_plan(const std::string& path);

//! Work of one launch: useful FLOPs and minimum HBM bytes, and which of the two is the basis.
struct Work {
  double flops = 0;
  double bytes = 0;
  bool flops_basis = true;
};
[[nodiscard]] Work work_of(const PlanEntry& e);

//! Kernel classes hopsim-measure knows, with the shape keys each requires.
[[nodiscard]] const std::map<std::string, std::vector<std::string>>& known_classes();

}  // namespace hopsim::profiler::calibrate
