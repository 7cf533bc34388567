#include "commands.hpp"

#include <iostream>

#include "hopsim/core/error.hpp"

namespace hopsim::cli {

void register_import(CLI::App& app, Io io);  // cmd_import.cpp
void register_trace(CLI::App& app, Io io);   // cmd_trace.cpp

void register_commands(CLI::App& app, Io io) {
  auto* version = app.add_subcommand("version", "Print the hopsim version");
  version->callback([io] { io.out << "hopsim " << HOPSIM_CLI_VERSION << "\n"; });
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
}

int run_cli(const std::vector<std::string>& args, Io io) {
  CLI::App app{"hopsim: plan large-model training on GPU clusters before paying for it"};
  app.require_subcommand(1);
  register_commands(app, io);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    io.out << app.help();
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

}  // namespace hopsim::cli
