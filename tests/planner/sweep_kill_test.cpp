// Kills the real `hopsim sweep` process with SIGKILL at random moments (seeded, so a failure
// reproduces) and resumes it each time; the final table must equal an uninterrupted run's.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "hopsim/planner/sweep_spec.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim::planner;

namespace {

//! Starts `hopsim sweep SPEC -o DB --jobs 2`, output discarded. Returns the child's pid.
pid_t start_sweep(const std::string& spec, const std::string& db) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execl(HOPSIM_BINARY, HOPSIM_BINARY, "sweep", spec.c_str(), "-o", db.c_str(), "--jobs", "2",
          "--progress", "lines", static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

TEST_CASE("a sweep killed with SIGKILL at random moments resumes to the same table",
          "[planner][sweep][kill]") {
  const auto dir = hopsim::test::scratch_dir("kill");
  const std::string spec = hopsim::test::kSweepDir + "kill-sweep.yaml";
  const std::size_t configs = expand(load_sweep_spec(spec)).configs.size();

  const std::string reference = (dir / "reference.db").string();
  REQUIRE(wait_exit(start_sweep(spec, reference)) == 0);

  const std::string db = (dir / "killed.db").string();
  std::mt19937 rng(20261124);
  // Delays from 0 (before the database is even opened) to a quarter of a full run or so.
  std::uniform_int_distribution<int> delay_ms(0, 120);
  int kills = 0;
  int finished_runs = 0;
  for (int attempt = 0; attempt < 60 && finished_runs == 0; ++attempt) {
    const pid_t pid = start_sweep(spec, db);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    kill(pid, SIGKILL);
    const int rc = wait_exit(pid);
    if (rc == -SIGKILL) ++kills;
    if (rc == 0) ++finished_runs;
    if (std::filesystem::exists(db)) {
      // Never more rows than configurations, whatever moment the kill hit.
      CHECK(ResultsStore(db).count() <= configs);
    }
  }
  INFO("kills: " << kills);
  CHECK(kills >= 5);
  // Finish whatever is left, as a user would by re-running the command.
  REQUIRE(wait_exit(start_sweep(spec, db)) == 0);
  CHECK(ResultsStore(db).count() == configs);
  CHECK(hopsim::test::table_of(db) == hopsim::test::table_of(reference));
}
