#pragma once
//! Writes a hopsim-measure trace (the calibration layout of trace_schema.hpp) whole or not at all:
//! the writer half of the format whose reader is read_trace, so both ends live in profiler/.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hopsim::profiler::calibrate {

//! One row of `measurements`: a plan entry on one partition, or one half of a concurrent pair.
struct MeasurementRow {
  long long id = 0;
  std::string kernel_class;
  std::string label;
  bool flops_basis = true;  //!< basis 'flops' (true) or 'bytes'
  std::string shape_json;   //!< JSON object of the shape parameters (and a note)
  double flops = 0;
  double bytes = 0;
  int partition_sms = 0;
  std::string role;  //!< alone, compute_concurrent or copy_concurrent (the schema checks it)
  std::optional<long long> concurrent_with;
  int repeats = 0;
};

//! One row of `kernels`: a CUPTI kernel record, attributed to a measurement and repeat when it
//! ran inside one (warmup and setup kernels have neither).
struct KernelRow {
  std::string name;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t device = 0;
  std::int64_t stream = 0;
  std::int64_t context = 0;
  std::int64_t correlation = 0;
  std::array<int, 3> grid{};
  std::array<int, 3> block{};
  int registers = 0;
  int shared_bytes = 0;
  bool green_ctx = false;
  int green_ctx_sms = 0;  //!< SMs of its green context, else the device's SM count
  std::optional<long long> measurement_id;
  std::optional<int> repeat;
};

//! One row of `memcpy` (is_memset false, `kind` is CUPTI's copy kind) or of `memset`.
struct CopyRow {
  bool is_memset = false;
  int kind = 0;
  std::int64_t bytes = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t device = 0;
  std::int64_t stream = 0;
  std::int64_t context = 0;
  std::int64_t correlation = 0;
};

//! One row of `runtime_api`: a CUDA runtime call by its CUPTI callback id.
struct RuntimeApiRow {
  int cbid = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t process = 0;
  std::int64_t thread = 0;
  std::int64_t correlation = 0;
};

//! One row of `contexts`: a CUDA context; `sms` is known for green contexts only.
struct ContextRow {
  std::int64_t context = 0;
  std::int64_t device = 0;
  bool green = false;
  std::optional<int> sms;
  std::int64_t parent = 0;
};

//! Writes into `<out>.tmp` inside one transaction and renames it to `out` only in commit(); if
//! commit() is never reached (a row was refused, the run threw), the destructor deletes the
//! temporary file, so a failed run leaves no partial trace and an older `out` untouched.
//! Throws trace::TraceError (file and SQLite message) on any refused write.
class MeasureTraceWriter {
 public:
  explicit MeasureTraceWriter(std::filesystem::path out);
  ~MeasureTraceWriter();
  MeasureTraceWriter(const MeasureTraceWriter&) = delete;
  MeasureTraceWriter& operator=(const MeasureTraceWriter&) = delete;

  void set_provenance(std::string_view key, std::string_view value);
  void add(const MeasurementRow& m);
  void add(const KernelRow& k);
  void add(const CopyRow& c);
  void add(const RuntimeApiRow& r);
  void add(const ContextRow& c);

  //! Derives `overlaps` from the concurrent pairs' kernels, commits and renames into place.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hopsim::profiler::calibrate
