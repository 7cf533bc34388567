// `hopsim import`: a Kineto JSON, nsys SQLite export or hopsim trace -> the hopsim trace SQLite.

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "progress.hpp"

namespace hopsim::cli {

void register_import(CLI::App& app, Io io) {
  struct Args {
    std::string input;
    std::string output;
    std::string format = "auto";
    bool json = false;
    std::string progress;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "import",
      "Import a trace (Kineto JSON[.gz], Nsight Systems SQLite export, hopsim trace) into a "
      "hopsim trace SQLite file (docs/TRACES.md)");
  cmd->add_option("input", args->input, "Trace to read; format detected from its content")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "SQLite file to write (replaced only on success)")
      ->required();
  cmd->add_option("--format", args->format, "Input format: auto, kineto, nsys, hopsim, measure")
      ->check(CLI::IsMember({"auto", "kineto", "nsys", "hopsim", "measure"}));
  cmd->add_flag("--json", args->json, "Print what was imported as JSON");
  add_progress_option(cmd, args->progress,
                      "over the file's bytes (Kineto) or the export's rows (nsys), after a "
                      "second");
  cmd->callback([args, io] {
    namespace imp = profiler::import;
    imp::ImportOptions opt;
    opt.format = imp::parse_format(args->format);
    opt.command = "hopsim import " + args->input + " -o " + args->output +
                  (args->format == "auto" ? "" : " --format " + args->format);
    // Most imports take well under a second: the bar appears only for longer ones.
    const ProgressLine line(io.err, "", 1.0);
    if (wants_progress_bar(args->progress, args->json)) opt.progress = line;
    const auto rep = [&] {
      try {
        return imp::import_trace(args->input, args->output, opt);
      } catch (...) {
        line.end();  // the error message starts on a line of its own
        throw;
      }
    }();
    if (args->json) {
      nlohmann::ordered_json j;
      j["input"] = args->input;
      j["output"] = args->output;
      j["format"] = std::string(imp::to_string(rep.format));
      j["input_bytes"] = rep.input_bytes;
      j["events"] = rep.events;
      j["kernels"] = rep.kernels;
      j["memcpys"] = rep.memcpys;
      j["memsets"] = rep.memsets;
      j["runtime_calls"] = rep.runtime_calls;
      j["annotations"] = rep.annotations;
      j["flows"] = rep.flows;
      j["devices"] = rep.devices;
      j["skipped"] = rep.skipped;
      j["problems"] = imp::problems_json<nlohmann::ordered_json>(rep.problems.entries());
      io.out << j.dump(2) << "\n";
      return;
    }
    io.out << "imported " << args->input << " (" << imp::to_string(rep.format) << ", "
           << rep.input_bytes << " bytes) -> " << args->output << "\n"
           << "  " << rep.activities() << " GPU activities, " << rep.runtime_calls
           << " runtime calls, " << rep.annotations << " annotations, " << rep.flows
           << " flow events, " << rep.devices << " devices\n";
    for (const auto& [reason, count] : rep.skipped) {
      io.out << "  skipped (not modelled): " << count << " events " << reason << "\n";
    }
    imp::print_problems(io.out, rep.problems.entries());
  });
}

}  // namespace hopsim::cli
