#pragma once
//! Slurm job-array scripts for a sweep: one array task per shard, each writing its own
//! database, merged afterwards with `hopsim results merge`.

#include <string>

namespace hopsim::planner {

struct SlurmScriptOptions {
  std::string hopsim_binary;  //!< absolute path of the hopsim executable on the compute nodes
  std::string spec_path;      //!< absolute path of the sweep spec
  std::string output_dir;     //!< where shard-<i>.db and the logs go
  std::string job_name = "hopsim-sweep";
  int shards = 1;
  int jobs_per_task = 1;   //!< worker threads (and --cpus-per-task) of each task
  std::string partition;   //!< "" = the cluster's default
  std::string time_limit;  //!< e.g. "01:00:00"; "" = the partition's default
};

//! The sbatch script text. Throws ConfigError for shards < 1 or jobs_per_task < 1.
[[nodiscard]] std::string slurm_script(const SlurmScriptOptions& o);

//! `s` quoted for a POSIX shell.
[[nodiscard]] std::string shell_quote(const std::string& s);

}  // namespace hopsim::planner
