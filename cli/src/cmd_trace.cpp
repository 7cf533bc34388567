// `hopsim trace summary`: step times, time per kernel class, stream busy time and
// compute/communication overlap of an imported trace.

#include <filesystem>

#include "commands.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/summary/ranks.hpp"
#include "hopsim/profiler/summary/summary.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "progress.hpp"

namespace hopsim::cli {

void register_trace(CLI::App& app, Io io) {
  auto* trace_cmd = app.add_subcommand("trace", "Inspect an imported trace");
  trace_cmd->require_subcommand(1);
  struct Args {
    std::string trace;
    std::string rules;
    bool json = false;
    std::size_t top = 10;
    std::vector<std::string> roles;
    std::optional<std::int64_t> trace_rank;
  };
  auto args = std::make_shared<Args>();
  auto* sum = trace_cmd->add_subcommand(
      "summary", "Per-step time, time per kernel class, stream busy time, overlap, top kernels");
  sum->add_option("trace", args->trace,
                  "Trace: Kineto JSON[.gz], Nsight Systems SQLite export or hopsim trace")
      ->required()
      ->check(CLI::ExistingFile);
  sum->add_option("--rules", args->rules,
                  "Extra classification rules (YAML, tried before the shipped ones)")
      ->check(CLI::ExistingFile);
  sum->add_option("--top", args->top, "How many kernels to list")->check(CLI::Range(1, 1000));
  sum->add_option("--stream-role", args->roles,
                  "Set a stream's role, overriding the inferred one: DEVICE:STREAM=comm|compute "
                  "(repeatable)");
  add_trace_rank_option(sum, args->trace_rank);
  sum->add_flag("--json", args->json, "Print JSON instead of text");
  sum->callback([args, io] {
    namespace p = profiler;
    const auto classifier = classifier_with_rules(args->rules);
    const auto t = p::import::read_trace(args->trace, args->trace_rank);
    p::summary::SummaryOptions opt;
    opt.top_n = args->top;
    for (const auto& r : args->roles) opt.roles.insert(p::summary::parse_stream_role(r));
    const auto s = p::summary::summarize(t, classifier, opt);
    if (args->json) {
      io.out << p::summary::to_json(s) << "\n";
    } else {
      p::summary::print_text(io.out, s);
    }
  });

  struct RankArgs {
    std::vector<std::string> inputs;
    double threshold = 1.05;
    bool json = false;
    std::string progress = "auto";
  };
  auto ra = std::make_shared<RankArgs>();
  auto* ranks = trace_cmd->add_subcommand(
      "ranks",
      "One trace per rank of a multi-GPU job side by side: step time per rank, stragglers, "
      "spread of communication time");
  ranks
      ->add_option("inputs", ra->inputs,
                   "A folder of per-rank traces (*.json, *.json.gz, *.sqlite), the files, or "
                   "a database of all ranks (`hopsim import DIR`)")
      ->required()
      ->check(CLI::ExistingPath);
  ranks
      ->add_option("--threshold", ra->threshold,
                   "A straggler's step is at least this times the median (default 1.05)")
      ->check(CLI::Range(1.0, 10.0));
  ranks->add_flag("--json", ra->json, "Print JSON instead of text");
  add_progress_option(ranks, ra->progress);
  ranks->callback([ra, io] {
    namespace p = profiler;
    const auto files = p::summary::rank_sources({ra->inputs.begin(), ra->inputs.end()});
    if (files.empty()) {
      throw CLI::ValidationError("inputs", "no *.json, *.json.gz or *.sqlite trace found");
    }
    std::function<void(std::size_t, std::size_t)> on_file;
    if (wants_progress_bar(ra->progress, ra->json)) on_file = ProgressLine(io.err, "files", 1.0);
    const auto st = p::summary::study_ranks(files, p::classify::KernelClassifier::shipped(),
                                            ra->threshold, on_file);
    if (ra->json) {
      io.out << p::summary::to_json(st) << "\n";
    } else {
      p::summary::print_text(io.out, st);
    }
  });
}

}  // namespace hopsim::cli
