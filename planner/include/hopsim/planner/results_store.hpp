#pragma once
//! The results store: one SQLite file per sweep (or shard), one row per configuration, keyed by
//! the configuration hash (UNIQUE), each row written in its own transaction so that killing the
//! writer at any moment loses nothing already reported and never leaves a duplicate.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

namespace hopsim::sqlite {
class Db;
}  // namespace hopsim::sqlite

namespace hopsim::planner {

//! One configuration's outcome. Metrics are NaN when the configuration did not run.
struct StoredResult {
  std::string key;
  std::int64_t index = 0;
  std::string config;  //!< JSON object of the overrides
  std::string status;  //!< "ok", "infeasible" (plan or memory), "invalid" (bad input), "error"
  std::string reason;  //!< why it is not "ok"
  std::string scenario_hash;  //!< hash of the canonical resolved scenario ("" if unresolved)
  std::string hopsim_version;
  std::string calibration_hash;  //!< "uncalibrated" with the default cost parameters
  double step_time_ms = 0;
  double tokens_per_second_per_gpu = 0;
  double mfu_bf16 = 0;
  double mfu_fp8 = 0;
  double bubble_fraction = 0;
  double exposed_comm_fraction = 0;
  double memory_gib = 0;           //!< peak per GPU (largest pipeline rank)
  double memory_capacity_gib = 0;  //!< HBM capacity per GPU
  double gpu_hours_per_trillion = 0;
  double days_per_trillion = 0;
  double dollars_per_trillion = 0;
  double energy_kwh_per_trillion = 0;
  double avg_power_watts = 0;
  double num_gpus = 0;
  double price_per_gpu_hour = 0;
  double training_tokens = 0;
  double pue = 0;
  std::string result_json;  //!< sim::to_json of the SimResult ("" when not run)
};

//! Metric columns in table order, with their member; shared by SQL, CSV and reports.
struct MetricColumn {
  const char* name;
  double StoredResult::*member;
  bool integer = false;  //!< a count (SQL INTEGER), not a measure (REAL)
};
[[nodiscard]] const std::vector<MetricColumn>& metric_columns();

//! A StoredResult with every metric set to NaN.
[[nodiscard]] StoredResult empty_result();

struct MergeStats {
  std::size_t added = 0;
  std::size_t duplicates = 0;  //!< rows whose key was already present (identical configurations)
  std::size_t replaced = 0;    //!< conflicting rows replaced (MergeConflicts::kIncoming)
  std::size_t kept = 0;        //!< conflicting rows kept as they were (MergeConflicts::kExisting)
};

//! What to do when an incoming row has the key of a stored row but different results.
enum class MergeConflicts { kRefuse, kExisting, kIncoming };

class ResultsStore {
 public:
  //! Opens or creates the database (WAL mode). Throws ConfigError when it cannot.
  explicit ResultsStore(const std::filesystem::path& path);
  enum class Access { kReadWrite, kReadOnly };
  //! kReadOnly opens an existing results database without changing it (a viewer must not turn
  //! a mistaken file into a database); throws ConfigError when the file is missing, is not
  //! SQLite or holds no results table. kReadWrite is the constructor above.
  ResultsStore(const std::filesystem::path& path, Access access);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  //! Provenance and sweep identity ("sweep_hash", "hopsim_version", "calibration_hash", ...).
  [[nodiscard]] std::map<std::string, std::string> meta() const;
  //! Records `values` where the database has none; throws ConfigError when a key the database
  //! already holds has a different value (a database of another sweep or hopsim version).
  void claim(const std::map<std::string, std::string>& values);

  [[nodiscard]] std::unordered_set<std::string> done_keys() const;
  //! Inserts in one transaction; false when the key was already stored (nothing changes).
  //! Each swept key of the row's configuration also gets a typed column of its own, named as
  //! the key ("plan.pp" INTEGER, "plan.schedule" TEXT), so SQL can filter without
  //! json_extract; added the first time the key is seen.
  bool insert(const StoredResult& r);
  //! The swept keys' columns, in the order they were added.
  [[nodiscard]] std::vector<std::string> swept_columns() const;
  //! All rows ordered by configuration index, then key.
  [[nodiscard]] std::vector<StoredResult> rows() const;
  [[nodiscard]] std::size_t count() const;

  //! Copies the rows of another store whose keys are not here, after checking that its
  //! provenance (sweep hash, hopsim version, calibration) matches. A row whose key is here with
  //! different results is a conflict: refused (ConfigError listing the keys, nothing written)
  //! unless `conflicts` says which side to keep.
  MergeStats merge_from(const ResultsStore& other,
                        MergeConflicts conflicts = MergeConflicts::kRefuse);
  //! The same for several inputs in order, all or nothing: every input's provenance and
  //! conflicts (against this store and the inputs before it) are checked before anything is
  //! written, then one transaction writes them all. Stats per input.
  std::vector<MergeStats> merge_all(const std::vector<const ResultsStore*>& inputs,
                                    MergeConflicts conflicts = MergeConflicts::kRefuse);

 private:
  std::filesystem::path path_;
  std::unique_ptr<sqlite::Db> db_;
};

//! CSV (RFC 4180 quoting) of rows: identity, status, reason, config, provenance, metrics.
void write_csv(std::ostream& out, const std::vector<StoredResult>& rows);

}  // namespace hopsim::planner
