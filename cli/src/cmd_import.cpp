// `hopsim import`: a Kineto JSON, nsys SQLite export or hopsim trace -> the hopsim trace SQLite;
// the per-rank traces of a job -> one database of all ranks.

#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "progress.hpp"

namespace hopsim::cli {

namespace {

namespace imp = profiler::import;

struct ImportArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string format = "auto";
  bool json = false;
  std::string progress;
  std::optional<std::int64_t> trace_rank;
};

//! What one input gave, as `--json` prints it (the job form lists one per rank).
nlohmann::ordered_json stats_json(const imp::ImportStats& rep) {
  nlohmann::ordered_json j;
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
  return j;
}

void print_stats(std::ostream& out, const imp::ImportStats& rep, const std::string& indent) {
  out << indent << rep.activities() << " GPU activities, " << rep.runtime_calls
      << " runtime calls, " << rep.annotations << " annotations, " << rep.flows << " flow events, "
      << rep.devices << " devices\n";
  for (const auto& [reason, count] : rep.skipped) {
    out << indent << "skipped (not modelled): " << count << " events " << reason << "\n";
  }
}

imp::ImportOptions options_for(const ImportArgs& a, const std::string& command_inputs) {
  imp::ImportOptions opt;
  opt.format = imp::parse_format(a.format);
  opt.rank = a.trace_rank;
  opt.command = "hopsim import " + command_inputs + " -o " + a.output +
                (a.format == "auto" ? "" : " --format " + a.format);
  return opt;
}

void import_one(const ImportArgs& a, Io io) {
  const std::string& input = a.inputs[0];
  imp::ImportOptions opt = options_for(a, input);
  // Most imports take well under a second: the bar appears only for longer ones.
  const ProgressLine line(io.err, "", 1.0);
  if (wants_progress_bar(a.progress, a.json)) opt.progress = line;
  const auto rep = [&] {
    try {
      return imp::import_trace(input, a.output, opt);
    } catch (...) {
      line.end();  // the error message starts on a line of its own
      throw;
    }
  }();
  if (a.json) {
    nlohmann::ordered_json j;
    j["input"] = input;
    j["output"] = a.output;
    j.update(stats_json(rep));
    io.out << j.dump(2) << "\n";
    return;
  }
  io.out << "imported " << input << " (" << imp::to_string(rep.format) << ", " << rep.input_bytes
         << " bytes) -> " << a.output << "\n";
  print_stats(io.out, rep, "  ");
  imp::print_problems(io.out, rep.problems.entries());
}

// A folder, or several files: the ranks of one job into one database (docs/TRACES.md).
void import_job(const ImportArgs& a, Io io) {
  std::string command_inputs;
  for (const auto& in : a.inputs) command_inputs += (command_inputs.empty() ? "" : " ") + in;
  const auto files = imp::trace_files({a.inputs.begin(), a.inputs.end()});
  if (files.empty()) {
    throw CLI::ValidationError("inputs", "no *.json, *.json.gz or *.sqlite trace found");
  }
  const imp::ImportOptions opt = options_for(a, command_inputs);
  std::function<void(std::size_t, std::size_t)> on_file;
  const ProgressLine line(io.err, "files", 1.0);
  if (wants_progress_bar(a.progress, a.json)) on_file = line;
  const auto job = [&] {
    try {
      return imp::import_job(files, a.output, opt, on_file);
    } catch (...) {
      line.end();
      throw;
    }
  }();
  if (a.json) {
    nlohmann::ordered_json j;
    j["inputs"] = a.inputs;
    j["output"] = a.output;
    j["traces"] = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < job.traces.size(); ++i) {
      nlohmann::ordered_json t;
      t["rank"] = job.traces[i].rank;
      t["file"] = files[i].string();
      t.update(stats_json(job.stats[i]));
      j["traces"].push_back(std::move(t));
    }
    j["warnings"] = job.warnings;
    io.out << j.dump(2) << "\n";
    return;
  }
  for (const auto& w : job.warnings) io.out << "warning: " << printable(w) << "\n";
  io.out << "imported " << files.size() << " traces -> " << a.output << "\n";
  for (std::size_t i = 0; i < job.traces.size(); ++i) {
    const auto& rep = job.stats[i];
    io.out << "  rank " << job.traces[i].rank << ": " << printable(files[i].string()) << " ("
           << imp::to_string(rep.format) << ", " << rep.input_bytes << " bytes)\n";
    print_stats(io.out, rep, "    ");
    imp::print_problems(io.out, rep.problems.entries());
  }
  io.out << "next: hopsim trace ranks " << a.output << "   (step per rank, stragglers)\n";
}

}  // namespace

void register_import(CLI::App& app, Io io) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import",
      "Import a trace (Kineto JSON[.gz], Nsight Systems SQLite export, hopsim trace), or the "
      "per-rank traces of a job (a folder or several files), into one hopsim trace SQLite file "
      "(docs/TRACES.md)");
  cmd->add_option("inputs", args->inputs,
                  "Trace to read (format detected from its content); a folder of per-rank "
                  "traces (*.json, *.json.gz, *.sqlite) or several files: one database of all "
                  "ranks")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-o,--output", args->output, "SQLite file to write (replaced only on success)")
      ->required();
  cmd->add_option("--format", args->format, "Input format: auto, kineto, nsys, hopsim, measure")
      ->check(CLI::IsMember({"auto", "kineto", "nsys", "hopsim", "measure"}));
  cmd->add_flag("--json", args->json, "Print what was imported as JSON");
  add_trace_rank_option(cmd, args->trace_rank);
  add_progress_option(cmd, args->progress,
                      "over the file's bytes (Kineto) or the export's rows (nsys), after a "
                      "second; over the files for a job");
  cmd->callback([args, io] {
    const bool job = args->inputs.size() > 1 || std::filesystem::is_directory(args->inputs[0]);
    if (job) {
      import_job(*args, io);
    } else {
      import_one(*args, io);
    }
  });
}

}  // namespace hopsim::cli
