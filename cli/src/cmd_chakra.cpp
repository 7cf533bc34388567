// `hopsim chakra export|replay`: a scenario's step as MLCommons Chakra execution traces (the
// workload format ASTRA-sim runs), and Chakra traces replayed on hopsim's engine.

#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/profiler/chakra/chakra.hpp"
#include "hopsim/sim/runner/runner.hpp"
#include "progress.hpp"
#include "table.hpp"

namespace hopsim::cli {

namespace {

double ms(Nanoseconds t) {
  return static_cast<double>(t.value()) / 1e6;
}

}  // namespace

void register_chakra(CLI::App& app, Io io) {
  auto* chakra = app.add_subcommand(
      "chakra", "Exchange workloads as MLCommons Chakra execution traces (ASTRA-sim)");
  chakra->require_subcommand(1);

  struct ExportArgs {
    std::string scenario;
    std::string prefix;
    int replicas = 1;
    bool json = false;
    std::string progress = "auto";
  };
  auto ea = std::make_shared<ExportArgs>();
  auto* exp = chakra->add_subcommand(
      "export",
      "Write a scenario's step as one Chakra trace per GPU (PREFIX.<gpu>.et) and its "
      "communicator groups (PREFIX.comm_groups.json)");
  exp->add_option("scenario", ea->scenario,
                  "Scenario YAML, shipped scenario name or - (standard input)")
      ->required();
  exp->add_option("-o,--output", ea->prefix, "Prefix of the files, e.g. out/deepseek-v3")
      ->required();
  exp->add_option("--replicas", ea->replicas,
                  "Pipeline replicas to write (GPU = replica * PP + rank): 1, or a multiple of "
                  "EP so that every EP all-to-all has its whole group")
      ->check(CLI::Range(1, 1 << 20));
  exp->add_flag("--json", ea->json, "Print the summary as JSON");
  add_progress_option(exp, ea->progress, "over the GPUs written");
  exp->callback([ea, io] {
    const Scenario sc = load_scenario_arg(ea->scenario, io);
    validate_plan(sc);
    const std::filesystem::path prefix(ea->prefix);
    if (prefix.has_parent_path()) std::filesystem::create_directories(prefix.parent_path());
    // Streamed: one GPU's nodes at a time, so 1,024 GPUs need no more memory than 16.
    profiler::chakra::TraceWriter writer(
        prefix, "hopsim " + std::string(HOPSIM_CLI_VERSION) + " " + sc.name);
    const bool bar = wants_progress_bar(ea->progress, ea->json);
    const auto total =
        static_cast<std::size_t>(ea->replicas) * static_cast<std::size_t>(sc.plan.pp);
    const ProgressLine line(io.err);
    const auto groups = sim::scenario_execution_graph(
        sc, ea->replicas, [&](int gpu, std::vector<sim::GraphNode>&& nodes) {
          writer.add(nodes);
          if (bar) line(static_cast<std::size_t>(gpu) + 1, total);
        });
    const auto written = writer.finish(groups);
    // The replicas are identical (an export draws no per-rank variation; a scenario's
    // variation is in every replica as symmetry mode's expectations), so one replica's replay
    // times them all: every member reaches each collective when the others do.
    const sim::GraphReplay replay = sim::replay_graph(sim::scenario_execution_graph(sc, 1));
    Nanoseconds pipeline{0};
    for (Nanoseconds f : replay.finish) pipeline = std::max(pipeline, f);
    if (ea->json) {
      nlohmann::ordered_json j{{"scenario", sc.name},
                               {"gpus", written.traces.size()},
                               {"replicas", ea->replicas},
                               {"nodes", written.nodes},
                               {"bytes", written.bytes},
                               {"traces", nlohmann::json::array()},
                               {"comm_groups", written.groups.string()},
                               {"replay_pipeline_ns", pipeline.value()},
                               {"replay_makespan_ns", replay.makespan.value()}};
      for (const auto& p : written.traces) j["traces"].push_back(p.string());
      io.out << j.dump(2) << "\n";
      return;
    }
    io.out << "Chakra execution traces of " << sc.name << ": " << written.traces.size() << " GPUs ("
           << ea->replicas << " pipeline replica" << (ea->replicas == 1 ? "" : "s") << " of "
           << sc.plan.pp << " ranks), " << grouped(static_cast<double>(written.nodes)) << " nodes, "
           << fmt("%.1f", static_cast<double>(written.bytes) / 1e6) << " MB\n"
           << "  " << written.traces.front().string() << " .. " << written.traces.back().string()
           << "\n  " << written.groups.string() << "\n"
           << "replayed here: pipeline " << fmt("%.1f", ms(pipeline))
           << " ms, last gradient reduce-scatter ends at " << fmt("%.1f", ms(replay.makespan))
           << " ms (each kernel and transfer at its stand-alone time; `hopsim run` also shares "
              "ports and HBM between them)\n";
    if (ea->replicas == 1 && sc.plan.ep > 1) {
      io.out << "note: one replica holds one GPU of each EP group: give --replicas " << sc.plan.ep
             << " for all-to-alls another simulator can route\n";
    }
    io.out << "ASTRA-sim: --workload-configuration=" << prefix.string()
           << " --comm-group-configuration=" << written.groups.string() << "\n";
  });

  struct ReplayArgs {
    std::string prefix;
    double bandwidth_gbps = 0;
    bool json = false;
  };
  auto ra = std::make_shared<ReplayArgs>();
  auto* rep = chakra->add_subcommand(
      "replay", "Replay Chakra traces (PREFIX.0.et, PREFIX.1.et, ...) on hopsim's engine");
  rep->add_option("prefix", ra->prefix, "Prefix of the traces, e.g. out/deepseek-v3")->required();
  rep->add_option("--bandwidth", ra->bandwidth_gbps,
                  "GB/s for communication nodes that carry bytes but no time")
      ->check(CLI::PositiveNumber);
  rep->add_flag("--json", ra->json, "Print as JSON");
  rep->callback([ra, io] {
    auto read = profiler::chakra::read_traces(ra->prefix);
    std::uint64_t timed = 0;
    if (ra->bandwidth_gbps > 0) {
      timed = profiler::chakra::time_untimed_comm(read.graph, ra->bandwidth_gbps * 1e9);
    }
    const sim::GraphReplay r = sim::replay_graph(read.graph);
    const std::uint64_t untimed = read.untimed_comm - timed;
    if (ra->json) {
      nlohmann::ordered_json j{
          {"traces", read.files.size()},        {"nodes", r.nodes},
          {"groups", read.graph.groups.size()}, {"groups_from_file", read.groups_from_file},
          {"untimed_comm_nodes", untimed},      {"comm_nodes_timed_by_bandwidth", timed},
          {"makespan_ns", r.makespan.value()},  {"gpus", nlohmann::json::array()}};
      for (std::size_t q = 0; q < r.finish.size(); ++q) {
        j["gpus"].push_back({{"gpu", q},
                             {"finish_ns", r.finish[q].value()},
                             {"compute_busy_ns", r.busy[q][0].value()},
                             {"comm_busy_ns", r.busy[q][1].value()}});
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    io.out << "Chakra workload " << ra->prefix << ": " << read.files.size() << " traces, "
           << grouped(static_cast<double>(r.nodes)) << " nodes, " << read.graph.groups.size()
           << " communicator groups ("
           << (read.groups_from_file ? "from the comm_groups file" : "by pg_name") << ")\n"
           << "makespan " << fmt("%.3f", ms(r.makespan)) << " ms\n";
    if (timed > 0) {
      io.out << timed << " communication nodes timed at " << fmt("%g", ra->bandwidth_gbps)
             << " GB/s (they carried bytes but no time)\n";
    }
    if (untimed > 0) {
      io.out << "note: " << untimed
             << " communication nodes carry bytes but no time and were replayed as 0: give "
                "--bandwidth GB/s to time them by size\n";
    }
    Table t({"gpu", "finish ms", "compute busy ms", "comm busy ms"});
    for (std::size_t q = 0; q < r.finish.size(); ++q) {
      t.add({std::to_string(q), fmt("%.3f", ms(r.finish[q])), fmt("%.3f", ms(r.busy[q][0])),
             fmt("%.3f", ms(r.busy[q][1]))});
    }
    t.print(io.out);
  });
}

}  // namespace hopsim::cli
