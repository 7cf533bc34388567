// `hopsim sweep`: run a sweep spec into a results database (resumable, shardable), or write the
// Slurm job-array script that runs its shards on a cluster.

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/frontend/calibration_ref.hpp"
#include "hopsim/planner/hash.hpp"
#include "hopsim/planner/slurm.hpp"
#include "hopsim/planner/sweep.hpp"
#include "hopsim/profiler/calibrate/cost_parameters.hpp"
#include "progress.hpp"
#include "table.hpp"

namespace hopsim::cli {
namespace {

namespace fs = std::filesystem;

std::pair<int, int> parse_shard(const std::string& s) {
  const auto slash = s.find('/');
  try {
    if (slash != std::string::npos) {
      std::size_t a = 0;
      std::size_t b = 0;
      const int i = std::stoi(s.substr(0, slash), &a);
      const int n = std::stoi(s.substr(slash + 1), &b);
      if (a == slash && b == s.size() - slash - 1 && n >= 1 && i >= 0 && i < n) return {i, n};
    }
  } catch (const std::exception&) {
  }
  throw ConfigError(SourceLocation{"", 0, 0, "--shard"},
                    "--shard is I/N with 0 <= I < N (e.g. 0/4), got '" + s + "'");
}

std::string describe(const planner::StoredResult& r) {
  if (r.status == "ok") {
    return fmt("step %.1f ms", r.step_time_ms) + fmt(", %.0f GPU-h/1T", r.gpu_hours_per_trillion);
  }
  std::string why = r.reason.size() > 90 ? r.reason.substr(0, 87) + "..." : r.reason;
  return r.status + ": " + why;
}

}  // namespace

void register_sweep(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run every configuration of a sweep spec into a SQLite results database "
      "(resumable; --shard for clusters; --slurm-script writes a Slurm job array)");
  struct Opts {
    std::string spec;
    std::string db;
    int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::string shard = "0/1";
    double max_memory_fraction = 1.0;
    std::string calibration;
    std::string progress = "auto";
    bool dry_run = false;
    bool json = false;
    std::string slurm_script;
    int shards = 4;
    std::string slurm_dir;
    std::string partition;
    std::string time_limit;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("spec", o->spec, "Sweep spec YAML (docs/SWEEPS.md)")->required();
  cmd->add_option("-o,--output", o->db, "Results database (default: <spec name>.db here)");
  cmd->add_option("-j,--jobs", o->jobs, "Configurations simulated in parallel")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shard", o->shard,
                  "Run only shard I of N (configurations with index % N == I)");
  cmd->add_option("--calibration", o->calibration,
                  "Calibration YAML from `hopsim calibrate` (its hash is stored as provenance)");
  cmd->add_option("--max-memory-fraction", o->max_memory_fraction,
                  "Share of HBM a plan may use before it counts as infeasible")
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--progress", o->progress, "auto (bar on a terminal), bar, lines or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}));
  cmd->add_flag("--dry-run", o->dry_run, "List the configurations without running them");
  cmd->add_flag("--json", o->json, "With --dry-run: list the configurations as JSON");
  cmd->add_option("--slurm-script", o->slurm_script,
                  "Write a Slurm job-array script (one task per shard) instead of running");
  cmd->add_option("--shards", o->shards, "Array tasks in the Slurm script")
      ->check(CLI::PositiveNumber);
  cmd->add_option(
      "--slurm-dir", o->slurm_dir,
      "Where the array tasks write shard-<i>.db and logs (default: next to the script)");
  cmd->add_option("--partition", o->partition, "Slurm partition");
  cmd->add_option("--time", o->time_limit, "Slurm time limit per task (e.g. 01:00:00)");
  cmd->callback([o, io] {
    const planner::SweepSpec spec = planner::load_sweep_spec(o->spec);
    if (!o->slurm_script.empty()) {
      planner::SlurmScriptOptions so;
      so.hopsim_binary = fs::read_symlink("/proc/self/exe").string();
      so.spec_path = fs::absolute(o->spec).lexically_normal().string();
      const fs::path script = fs::absolute(o->slurm_script);
      so.output_dir = o->slurm_dir.empty() ? script.parent_path().string()
                                           : fs::absolute(o->slurm_dir).string();
      so.job_name = "hopsim-" + spec.name;
      so.shards = o->shards;
      so.jobs_per_task = o->jobs;
      so.partition = o->partition;
      so.time_limit = o->time_limit;
      // Executable by whoever may read it (0777 before the umask); written whole or not at all.
      io::write_file_atomically(script, planner::slurm_script(so), 0777);
      io.out << "wrote " << script.string() << ": " << so.shards << " array tasks, databases in "
             << so.output_dir << "\n  submit: sbatch " << script.string()
             << "\n  then:   hopsim results merge merged.db " << so.output_dir << "/shard-*.db\n";
      return;
    }
    const auto [shard, shards] = parse_shard(o->shard);
    if (o->json && !o->dry_run) {
      throw CLI::ValidationError("--json",
                                 "applies to --dry-run (a sweep writes its results to "
                                 "the database; `hopsim results show --json` reads it)");
    }
    if (o->dry_run && o->json) {
      const planner::Expansion ex = planner::expand(spec);
      nlohmann::ordered_json j;
      j["sweep"] = spec.name;
      j["configurations"] = ex.configs.size();
      j["combinations"] = ex.candidates;
      j["excluded_by_constraints"] = ex.excluded;
      j["shard"] = std::to_string(shard) + "/" + std::to_string(shards);
      j["listed"] = nlohmann::ordered_json::array();
      for (const auto& c : ex.configs) {
        if (c.index % static_cast<std::size_t>(shards) != static_cast<std::size_t>(shard)) continue;
        j["listed"].push_back(
            {{"index", c.index},
             {"key", c.key},
             {"config", nlohmann::json::parse(planner::overrides_json(c.overrides))}});
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    if (o->dry_run) {
      const planner::Expansion ex = planner::expand(spec);
      io.out << printable(spec.name) << ": " << ex.configs.size() << " configurations ("
             << ex.candidates << " combinations, " << ex.excluded << " excluded by constraints)\n";
      for (const auto& c : ex.configs) {
        if (c.index % static_cast<std::size_t>(shards) != static_cast<std::size_t>(shard)) continue;
        io.out << c.index << " " << c.key.substr(0, 16) << " "
               << planner::overrides_json(c.overrides) << "\n";
      }
      return;
    }
    const std::string db = o->db.empty() ? spec.name + ".db" : o->db;
    planner::ResultsStore store(db);
    std::string mode = o->progress;
    if (mode == "auto") mode = ::isatty(STDOUT_FILENO) ? "bar" : "lines";
    planner::SweepOptions so;
    so.jobs = o->jobs;
    so.shard_index = shard;
    so.shard_count = shards;
    so.max_memory_fraction = o->max_memory_fraction;
    so.calibration = frontend::load_calibration_ref(o->calibration);
    so.on_result = [mode, io](const planner::SweepProgress& p) {
      if (mode == "lines") {
        io.out << "[" << p.done << "/" << p.to_run << "] " << p.last->config << " "
               << describe(*p.last) << "\n";
        io.out.flush();
      } else if (mode == "bar") {
        io.out << progress_bar(p.done, p.to_run, p.elapsed_s) << std::flush;
        if (p.done == p.to_run) io.out << "\n";
      }
    };
    const planner::SweepSummary s = planner::run_sweep(spec, store, so);
    io.out << spec.name << ": " << s.configs << " configurations";
    if (shards > 1) io.out << ", shard " << shard << "/" << shards << " has " << s.in_shard;
    io.out << "; " << s.skipped << " already done, " << s.ran << " run";
    for (const auto& [status, n] : s.by_status) io.out << ", " << n << " " << status;
    io.out << fmt(" in %.1f s", s.elapsed_s) << "\nresults in " << db << " (" << store.count()
           << " rows); export with: hopsim results export " << db << " -o results.csv\n";
  });
}

}  // namespace hopsim::cli
