// The Slurm job-array script: array range, per-task resources, and the shard command line as
// bash actually parses it (paths with spaces and quotes survive), checked by running the script
// with a stand-in for the hopsim binary that prints its arguments.

#include "hopsim/planner/slurm.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../common/temp_dir.hpp"
#include "hopsim/core/error.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim;
using namespace hopsim::planner;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("slurm script: one array task per shard, resources per task", "[planner][slurm]") {
  SlurmScriptOptions o;
  o.hopsim_binary = "/opt/hopsim/bin/hopsim";
  o.spec_path = "/data/sweeps/spec.yaml";
  o.output_dir = "/scratch/out";
  o.job_name = "hopsim-spec";
  o.shards = 4;
  o.jobs_per_task = 3;
  const std::string s = slurm_script(o);
  CHECK(s.rfind("#!/bin/bash\n", 0) == 0);
  CHECK(has_line(s, "#SBATCH --job-name=hopsim-spec"));
  CHECK(has_line(s, "#SBATCH --array=0-3"));  // task ids 0..N-1, as --shard I/N wants
  CHECK(has_line(s, "#SBATCH --ntasks=1"));
  CHECK(has_line(s, "#SBATCH --cpus-per-task=3"));
  CHECK(has_line(s, "#SBATCH --output=/scratch/out/slurm-%A_%a.out"));
  CHECK(s.find("--partition") == std::string::npos);
  CHECK(s.find("--time") == std::string::npos);
  CHECK(has_line(s, "set -euo pipefail"));
  // Every #SBATCH line comes before the first command (sbatch stops reading them there).
  bool command_seen = false;
  for (const auto& l : lines_of(s)) {
    if (l.rfind("#SBATCH", 0) == 0) CHECK_FALSE(command_seen);
    if (!l.empty() && l[0] != '#') command_seen = true;
  }

  o.shards = 1;
  o.partition = "gpu";
  o.time_limit = "01:30:00";
  const std::string one = slurm_script(o);
  CHECK(has_line(one, "#SBATCH --array=0-0"));
  CHECK(has_line(one, "#SBATCH --partition=gpu"));
  CHECK(has_line(one, "#SBATCH --time=01:30:00"));
  CHECK(one.find("--shard \"${SLURM_ARRAY_TASK_ID}/1\"") != std::string::npos);
}

TEST_CASE("slurm script: shards and jobs must be positive", "[planner][slurm]") {
  SlurmScriptOptions o;
  o.hopsim_binary = "/bin/hopsim";
  o.spec_path = "/s.yaml";
  o.output_dir = "/o";
  o.shards = 0;
  CHECK_THROWS_AS(slurm_script(o), ConfigError);
  o.shards = 2;
  o.jobs_per_task = 0;
  CHECK_THROWS_AS(slurm_script(o), ConfigError);
}

TEST_CASE("shell_quote: bash reads back exactly the string", "[planner][slurm]") {
  CHECK(shell_quote("plain") == "'plain'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("slurm script: bash runs the shard command with paths that need quoting",
          "[planner][slurm]") {
  const auto dir = hopsim::test::scratch_dir("slurm script");
  // Spaces, a single quote, a double quote, $ and a glob character in every path.
  const auto base = dir / "my runs 'q' \"d\" $HOME *";
  std::filesystem::create_directories(base);
  const auto fake = base / "hop sim";
  const auto args_out = dir / "args.txt";
  {
    std::ofstream f(fake);
    f << "#!/bin/bash\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$HOPSIM_ARGS_OUT\"\n";
  }
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  SlurmScriptOptions o;
  o.hopsim_binary = fake.string();
  o.spec_path = (base / "spec file.yaml").string();
  o.output_dir = (base / "out dir").string();
  o.shards = 5;
  o.jobs_per_task = 2;
  const auto script = dir / "job.sh";
  std::ofstream(script) << slurm_script(o);

  const std::string cmd = "cd '" + (dir / "").string() +
                          "' && SLURM_ARRAY_TASK_ID=3 HOPSIM_ARGS_OUT=args.txt bash job.sh";
  const int rc = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(rc));
  REQUIRE(WEXITSTATUS(rc) == 0);
  const std::vector<std::string> expected = {
      "sweep", o.spec_path, "--shard", "3/5", "--jobs", "2", "-o", o.output_dir + "/shard-3.db"};
  CHECK(lines_of(hopsim::test::read_text(args_out)) == expected);
}
