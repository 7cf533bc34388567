// `hopsim measure PLAN.yaml -o trace.sqlite`: validates the plan here, then runs the GPU side,
// `hopsim-measure`, found next to this executable. `hopsim` itself never links CUDA, so it
// starts on machines without an NVIDIA driver (docs/KERNELS.md: a binary linked to the driver
// cannot start without it).

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/measure/schedule.hpp"
#include "hopsim/profiler/calibrate/measure_plan.hpp"

extern char** environ;  // NOLINT: POSIX

namespace hopsim::cli {
namespace {

namespace fs = std::filesystem;

// $HOPSIM_MEASURE if set, else hopsim-measure in the directory of the running executable.
fs::path measure_executable() {
  if (const char* env = std::getenv("HOPSIM_MEASURE"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? fs::current_path() : self.parent_path()) / "hopsim-measure";
}

int spawn_and_wait(const fs::path& exe, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::vector<std::string> storage{exe.string()};
  storage.insert(storage.end(), args.begin(), args.end());
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) throw std::runtime_error("cannot start " + exe.string() + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1;
}

}  // namespace

void register_measure(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "measure",
      "Run a kernel measurement plan on the local GPU under CUPTI (needs hopsim-measure)");
  auto plan = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto only = std::make_shared<std::string>();
  auto dry = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("plan", *plan,
                  "Measurement plan YAML (e.g. kernels/plans/deepseek-v3-kernels.yaml)")
      ->required();
  cmd->add_option("-o,--output", *out, "Trace SQLite to write");
  cmd->add_option("--only", *only, "Run only entries of this kernel class");
  cmd->add_flag("--dry-run", *dry, "List what the plan would measure and exit (no GPU needed)");
  cmd->add_flag("--json", *json, "Print the listing or the result as JSON");
  cmd->callback([io, plan, out, only, dry, json] {
    // Validate first, so a bad plan (or an --only class it lacks) is reported on any machine
    // with file/line/key; the listing is the schedule hopsim-measure itself walks.
    const auto schedule = measure::make_schedule(profiler::calibrate::load_plan(*plan), *only);
    if (*dry) {
      if (!*json) {
        io.out << measure::describe_schedule(schedule);
        return;
      }
      nlohmann::ordered_json j{{"plan", schedule.plan_name},
                               {"warmup", schedule.warmup},
                               {"repeats", schedule.repeats},
                               {"measurements", nlohmann::json::array()}};
      for (const auto& m : schedule.runs) {
        j["measurements"].push_back({{"id", m.id},
                                     {"label", m.entry.label},
                                     {"class", m.entry.kernel_class},
                                     {"shape", m.entry.shape},
                                     {"role", std::string(measure::role_name(m.role))},
                                     {"sms", m.sms},
                                     {"concurrent_with", m.concurrent_with}});
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    if (out->empty()) throw ConfigError(SourceLocation{*plan, 0, 0, ""}, "missing -o TRACE.sqlite");
    const fs::path exe = measure_executable();
    if (!fs::exists(exe))
      throw std::runtime_error(
          "hopsim-measure was not built, so this hopsim cannot measure kernels (looked for " +
          exe.string() +
          "). Build on a machine with the CUDA toolkit (nvcc and CUPTI), e.g. cmake -B build "
          "-DHOPSIM_WITH_CUDA=ON, or point HOPSIM_MEASURE at the executable.");
    std::vector<std::string> args{*plan, "-o", *out};
    if (!only->empty()) args.insert(args.end(), {"--only", *only});
    const int rc = spawn_and_wait(exe, args);
    if (rc == 127)
      throw std::runtime_error(exe.string() +
                               " could not start: a shared library is missing (it needs an NVIDIA "
                               "driver, libcuda.so.1, and the CUDA toolkit's CUPTI and cuBLAS)");
    if (rc != 0)
      throw std::runtime_error("hopsim-measure failed with exit code " + std::to_string(rc));
    if (*json) {
      io.out
          << nlohmann::ordered_json{{"trace", *out}, {"measurements", schedule.runs.size()}}.dump(2)
          << "\n";
    } else {
      io.out << "trace written to " << *out << "\n";
    }
  });
}

}  // namespace hopsim::cli
