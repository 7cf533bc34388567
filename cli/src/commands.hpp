#pragma once
//! Registration of every `hopsim` subcommand. Each cmd_*.cpp adds one subcommand to the app;
//! run_cli() is the whole program, kept here so tests can drive it in-process.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"

namespace hopsim::profiler::classify {
class KernelClassifier;
}  // namespace hopsim::profiler::classify

namespace hopsim::cli {

//! Streams a subcommand reads and writes (tests pass string streams).
struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;  //!< what `-` reads (a scenario on standard input)
};

//! `-` for a file argument: standard input for a scenario, standard output for an output file.
inline constexpr const char* kStdio = "-";

//! A scenario argument: a shipped name, a path, or `-` (YAML on `io.in`, named "<stdin>").
[[nodiscard]] Scenario load_scenario_arg(const std::string& spec, Io io);

//! `--trace-rank R`: which rank's trace to read from a trace database holding a whole job
//! (`hopsim import DIR`); for a single trace, its own rank (checked).
void add_trace_rank_option(CLI::App* cmd, std::optional<std::int64_t>& rank);

//! `--rules FILE`: the shipped kernel classifier, with the file's rules tried first when one is
//! given (empty: none).
[[nodiscard]] profiler::classify::KernelClassifier classifier_with_rules(const std::string& rules);

void register_commands(CLI::App& app, Io io);

// One per subcommand (cmd_*.cpp).
void register_run(CLI::App& app, Io io);
void register_whatif(CLI::App& app, Io io);
void register_sweep(CLI::App& app, Io io);
void register_results(CLI::App& app, Io io);
void register_plan(CLI::App& app, Io io);
void register_report(CLI::App& app, Io io);
void register_model(CLI::App& app, Io io);
void register_memory(CLI::App& app, Io io);
void register_collective(CLI::App& app, Io io);
void register_compare(CLI::App& app, Io io);
void register_measure(CLI::App& app, Io io);
void register_calibrate(CLI::App& app, Io io);
void register_import(CLI::App& app, Io io);
void register_trace(CLI::App& app, Io io);
void register_chakra(CLI::App& app, Io io);

//! Parses argv and runs the chosen subcommand. Returns the process exit code:
//! 0 success, 1 user error (bad input, message on err) or output that could not be written
//! (a file, or `out` itself: it is flushed and checked before 0 is returned), 2 usage error.
int run_cli(const std::vector<std::string>& args, Io io);

}  // namespace hopsim::cli
