#include "commands.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/classify/classifier.hpp"

namespace hopsim::cli {

void register_commands(CLI::App& app, Io io) {
  auto* version = app.add_subcommand("version", "Print the hopsim version");
  auto json = std::make_shared<bool>(false);
  version->add_flag("--json", *json, "Print {\"program\", \"version\"} as JSON");
  version->callback([io, json] {
    if (*json) {
      io.out << R"({"program": "hopsim", "version": ")" << HOPSIM_CLI_VERSION << "\"}\n";
    } else {
      io.out << "hopsim " << HOPSIM_CLI_VERSION << "\n";
    }
  });
  register_run(app, io);
  register_whatif(app, io);
  register_sweep(app, io);
  register_results(app, io);
  register_plan(app, io);
  register_report(app, io);
  register_model(app, io);
  register_memory(app, io);
  register_collective(app, io);
  register_compare(app, io);
  register_measure(app, io);
  register_calibrate(app, io);
  register_import(app, io);
  register_trace(app, io);
  register_chakra(app, io);
}

namespace {

// Runs the command; run_cli() adds the check that its output actually arrived.
int run_command(const std::vector<std::string>& args, Io io) {
  // Named, so that every usage line starts with the program: "Usage: hopsim run [OPTIONS] ...".
  CLI::App app{"hopsim: plan large-model training on GPU clusters before paying for it", "hopsim"};
  app.require_subcommand(1);
  // `hopsim --version` prints what `hopsim version` prints (CLI11 throws CallForVersion).
  app.set_version_flag("--version", std::string("hopsim ") + HOPSIM_CLI_VERSION);
  register_commands(app, io);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    io.out << app.help();
    return 0;
  } catch (const CLI::CallForVersion& e) {
    io.out << e.what() << "\n";
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    io.err << "hopsim: " << e.what() << "\n";
    if (e.get_exit_code() != 0) io.err << "Run 'hopsim --help' for usage.\n";
    return 2;
  } catch (const ConfigError& e) {
    io.err << "error: " << e.what() << "\n";
    return 1;
  } catch (const PlanError& e) {
    io.err << "error: impossible plan: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    io.err << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_trace_rank_option(CLI::App* cmd, std::optional<std::int64_t>& rank) {
  cmd->add_option("--trace-rank", rank,
                  "Which rank's trace to read from a database of a whole job (`hopsim import "
                  "DIR`); default: the only trace")
      ->check(CLI::NonNegativeNumber);
}

profiler::classify::KernelClassifier classifier_with_rules(const std::string& rules) {
  using profiler::classify::KernelClassifier;
  const KernelClassifier shipped = KernelClassifier::shipped();
  return rules.empty() ? shipped : shipped.with_rules_first(KernelClassifier::from_file(rules));
}

Scenario load_scenario_arg(const std::string& spec, Io io) {
  if (spec != kStdio) return load_scenario_spec(spec);
  std::ostringstream text;
  text << io.in.rdbuf();
  return load_scenario_text(text.str(), "<stdin>");
}

int run_cli(const std::vector<std::string>& args, Io io) {
  const int rc = run_command(args, io);
  // A full disk or a closed pipe on standard output shows only as a stream state: without this
  // check `hopsim run --json > out.json` on a full disk would exit 0 with a truncated file.
  errno = 0;
  io.out.flush();
  const int err = errno;  // set by the C library when the stream is std::cout
  if (!io.out) {
    io.err << "error: cannot write to standard output" << (err != 0 ? ": " : "")
           << (err != 0 ? std::strerror(err) : "") << "; the output is incomplete\n";
    return rc != 0 ? rc : 1;
  }
  return rc;
}

}  // namespace hopsim::cli
