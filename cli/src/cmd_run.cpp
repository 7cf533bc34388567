// `hopsim run` and `hopsim whatif`: simulate scenarios, print the prediction and the ablations
// that answer "what does the H800's NVLink cost, and what do DualPipe and SM partitioning win
// back".

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/frontend/calibration_ref.hpp"
#include "hopsim/planner/published.hpp"
#include "hopsim/planner/whatif.hpp"
#include "hopsim/profiler/calibrate/cost_parameters.hpp"
#include "hopsim/profiler/export/kineto_export.hpp"
#include "hopsim/sim/runner/rank_spread.hpp"
#include "hopsim/sim/runner/result_json.hpp"
#include "hopsim/sim/runner/runner.hpp"
#include "progress.hpp"
#include "table.hpp"

namespace hopsim::cli {
namespace {

using sim::SimResult;

Scenario load_checked(const std::string& spec, Io io) {
  Scenario sc = load_scenario_arg(spec, io);
  validate_plan(sc);
  return sc;
}

sim::RunOptions options_for(const std::string& mode, const std::string& calibration,
                            const Scenario& sc) {
  sim::RunOptions o;
  if (mode == "full") o.mode = sim::SimMode::kFull;
  const planner::CalibrationRef ref = frontend::load_calibration_ref(calibration);
  if (ref.cost_for) o.cost = ref.cost_for(sc.cluster.gpu);
  return o;
}

// "0,5,17" as replica numbers (empty for ""); --trace-replicas refuses anything else.
std::vector<int> replica_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    std::size_t used = 0;
    int k = -1;
    try {
      k = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || k < 0) {
      throw CLI::ValidationError(
          "--trace-replicas",
          "expected replica numbers separated by commas, or all; got '" + item + "'");
    }
    out.push_back(k);
  }
  return out;
}

std::string ms_str(Nanoseconds t) {
  return fmt("%.1f ms", to_ms(t));
}
std::string pct(double v) {
  return fmt("%.1f%%", 100.0 * v);
}

// The run-to-run variation the step was simulated with (plan.variation), and how the mode
// applied it: a reader comparing two runs must see whether stragglers were in them.
std::string variation_line(const SimResult& r, int ep) {
  const VariationConfig& v = r.variation;
  if (!v.enabled()) return "off (plan.variation: kernel_time_cv and routing_cv are 0)";
  const std::string s =
      fmt("kernel-time CV %.3g", v.kernel_time_cv) + fmt(", routing CV %.3g", v.routing_cv);
  if (r.mode == sim::SimMode::kFull) {
    return s + ", seed " + std::to_string(v.seed) + ": drawn per rank and micro-batch";
  }
  // Symmetry mode applies variation only where an EP group waits for its slowest peer.
  if (ep <= 1) return s + ": no effect in symmetry mode without EP peers (--mode full draws it)";
  return s + ": expected slowest EP rank at each synchronisation";
}

// Where the bubble comes from (sim::rank_spread): "a (rank i) / b (rank j)", or "a on every
// rank" when the two read the same.
void add_rank_spread(Table& t, const SimResult& r) {
  const sim::RankSpread s = sim::rank_spread(r);
  if (!s.has_ranks()) return;
  const auto spread = [](const std::string& high, int hi, const std::string& low, int lo) {
    if (high == low) return high + " on every rank";
    return high + " (rank " + std::to_string(hi) + ") / " + low + " (rank " + std::to_string(lo) +
           ")";
  };
  t.add({"  compute busy of pipeline, busiest / least rank",
         spread(pct(s.busiest_fraction), s.busiest, pct(s.least_fraction), s.least)});
  if (!s.has_pairs()) return;
  t.add({"  F&B pair, longest / shortest rank",
         spread(ms_str(s.longest_pair_time), s.longest_pair, ms_str(s.shortest_pair_time),
                s.shortest_pair)});
}

void print_summary(std::ostream& out, const Scenario& sc, const SimResult& r) {
  const ParallelPlan& p = sc.plan;
  out << "scenario   " << printable(sc.name) << "  (" << printable(sc.source_path) << ")\n";
  out << "cluster    " << sc.cluster.num_gpus() << " x " << printable(sc.cluster.gpu.name) << ", "
      << sc.cluster.num_nodes << " nodes, NVLink "
      << fmt("%.0f", sc.cluster.gpu.nvlink_bidirectional.value() / kGiga) << " GB/s bidir, NIC "
      << fmt("%.0f", sc.cluster.node.nic_unidirectional.value() / kGiga) << " GB/s per GPU\n";
  out << "plan       PP" << p.pp << " DP" << p.dp << " EP" << p.ep << " TP" << p.tp << ", "
      << to_string(p.schedule) << ", " << p.micro_batches << " micro-batches x "
      << p.micro_batch_size << " x " << p.seq_len << " tokens, " << r.compute_sms << "+"
      << r.comm_sms << " SMs (compute+comm), " << to_string(p.gemm_precision) << " GEMMs\n";
  // Which engine mode produced these figures, so a reader never has to guess.
  out << "engine     "
      << (r.mode == sim::SimMode::kFull
              ? "full mode: every data-parallel replica simulated"
              : "symmetry mode: one data-parallel replica, its peers assumed identical")
      << " (" << r.execution.ranks.size()
      << (r.mode == sim::SimMode::kFull ? " pipeline ranks each, " : " pipeline ranks, ")
      << grouped(static_cast<double>(r.execution.engine_events)) << " events)\n";
  out << "variation  " << variation_line(r, p.ep) << "\n\n";
  Table t({"prediction", "value"});
  t.add({"step time", ms_str(r.step_time)});
  t.add({"  pipeline (schedule makespan)", ms_str(r.pipeline_time)});
  t.add({"  DP gradient sync, exposed", ms_str(r.dp_exposed)});
  t.add({"  optimizer + ZeRO all-gather", ms_str(r.optimizer_time)});
  t.add({"tokens/s (cluster)", grouped(r.tokens_per_second)});
  t.add({"tokens/s per GPU", fmt("%.0f", r.tokens_per_second_per_gpu)});
  t.add({"model TFLOPS per GPU", fmt("%.0f", r.tflops_per_gpu)});
  t.add({"MFU vs nominal BF16 / FP8 peak", pct(r.mfu_bf16) + " / " + pct(r.mfu_fp8)});
  t.add({"pipeline bubble (of step)", pct(r.bubble_fraction)});
  add_rank_spread(t, r);
  t.add({"exposed communication (of step)", pct(r.exposed_comm_fraction)});
  t.add({"compute / comm partition busy",
         pct(r.compute_utilisation) + " / " + pct(r.comm_utilisation)});
  t.add({"MoE dispatch / combine per layer",
         fmt("%.0f us", to_us(r.comm.dispatch)) + " / " + fmt("%.0f us", to_us(r.comm.combine))});
  t.add({"EP bottleneck (" + r.comm.ep_bottleneck + ")",
         fmt("%.1f GB/s", r.comm.ep_bottleneck_gbps)});
  if (const auto& i = sc.cost.interruptions) {
    const double per_day = 24.0 * static_cast<double>(sc.cluster.num_gpus()) / i->gpu_hours_between;
    t.add({"effective training time", pct(r.effective_training_time)});
    t.add({"  interruptions a day x minutes lost",
           fmt("%.2f x ", per_day) + fmt("%.3g", i->minutes_lost)});
  }
  t.add({"GPU-hours per 1T tokens", grouped(r.gpu_hours_per_trillion)});
  t.add({"days per 1T tokens (this cluster)", fmt("%.2f", r.days_per_trillion)});
  t.add({"USD per 1T tokens", "$" + grouped(r.dollars_per_trillion) +
                                  fmt(" at $%.2f/GPU-h", sc.cost.price_per_gpu_hour)});
  t.add({"energy per 1T tokens",
         grouped(r.energy_kwh_per_trillion / 1000.0) + " MWh" + fmt(" (PUE %.2f)", sc.cost.pue)});
  t.print(out);
  out << "cost model: " << r.cost_source << "\n";
  if (const std::string said = planner::published_sentence(sc, r); !said.empty()) {
    out << "published: " << said << "\n";
  }
  for (const auto& w : r.warnings) out << "warning: " << printable(w) << "\n";
}

void print_side_by_side(std::ostream& out, const std::vector<Scenario>& scs,
                        const std::vector<SimResult>& rs) {
  std::vector<std::string> head{"metric"};
  for (const auto& s : scs) head.push_back(s.name);
  Table t(head);
  auto row = [&](const std::string& name, const std::function<std::string(const SimResult&)>& f) {
    std::vector<std::string> r{name};
    for (const auto& x : rs) r.push_back(f(x));
    t.add(r);
  };
  row("step time", [](const SimResult& r) { return ms_str(r.step_time); });
  // Whether stragglers were in each run, where any was: columns are compared like for like.
  if (std::any_of(rs.begin(), rs.end(), [](const SimResult& r) { return r.variation.enabled(); })) {
    row("variation (kernel-time / routing CV)", [](const SimResult& r) {
      return r.variation.enabled()
                 ? fmt("%.3g", r.variation.kernel_time_cv) + fmt(" / %.3g", r.variation.routing_cv)
                 : std::string("off");
    });
  }
  row("tokens/s per GPU",
      [](const SimResult& r) { return fmt("%.0f", r.tokens_per_second_per_gpu); });
  row("MFU (nominal BF16)", [](const SimResult& r) { return pct(r.mfu_bf16); });
  row("bubble", [](const SimResult& r) { return pct(r.bubble_fraction); });
  row("exposed comm", [](const SimResult& r) { return pct(r.exposed_comm_fraction); });
  row("MoE dispatch per layer",
      [](const SimResult& r) { return fmt("%.0f us", to_us(r.comm.dispatch)); });
  row("effective training time", [](const SimResult& r) { return pct(r.effective_training_time); });
  row("GPU-hours / 1T tokens",
      [](const SimResult& r) { return grouped(r.gpu_hours_per_trillion); });
  row("USD / 1T tokens", [](const SimResult& r) { return "$" + grouped(r.dollars_per_trillion); });
  row("MWh / 1T tokens",
      [](const SimResult& r) { return grouped(r.energy_kwh_per_trillion / 1000); });
  t.print(out);
}

}  // namespace

void register_run(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "run", "Simulate one training step of each scenario and print the prediction");
  struct Opts {
    std::vector<std::string> scenarios;
    std::string trace;
    std::string mode = "symmetry";
    std::string calibration;
    std::string kineto;
    int kineto_rank = 0;
    std::string trace_replicas;
    bool json = false;
    std::string progress = "auto";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option(
         "scenarios", o->scenarios,
         "Scenario YAML files or shipped scenario names (- reads YAML from standard input)")
      ->required();
  cmd->add_option("--calibration", o->calibration,
                  "Calibration YAML from `hopsim calibrate` (default: uncalibrated cost model)");
  cmd->add_option("--trace", o->trace,
                  "Write the step's timeline as a Chrome trace (open in Perfetto); - for standard "
                  "output");
  cmd->add_option("--kineto", o->kineto,
                  "Write one pipeline rank's step as a Kineto (PyTorch profiler) trace, with "
                  "DeepSeek-style phase annotations: what `hopsim import` and `calibrate "
                  "--from-trace` read; - for standard output");
  cmd->add_option("--trace-replicas", o->trace_replicas,
                  "With --mode full: the pipeline replicas --trace shows, e.g. 0,5,17 or all "
                  "(default 0); each appears as its own set of ranks");
  cmd->add_option("--kineto-rank", o->kineto_rank, "Pipeline rank --kineto writes (default 0)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--mode", o->mode, "symmetry: one DP replica; full: every GPU")
      ->check(CLI::IsMember({"symmetry", "full"}));
  cmd->add_flag("--json", o->json, "Print results as JSON");
  add_progress_option(cmd, o->progress, "over the EP groups (--mode full)");
  cmd->callback([o, io] {
    if ((!o->trace.empty() || !o->kineto.empty()) && o->scenarios.size() != 1) {
      throw ConfigError(SourceLocation{}, "--trace and --kineto take exactly one scenario");
    }
    // `-` sends a trace to standard output; the summary then goes to standard error.
    const bool trace_out = o->trace == kStdio;
    const bool kineto_out = o->kineto == kStdio;
    if (static_cast<int>(trace_out) + static_cast<int>(kineto_out) + static_cast<int>(o->json) >
        1) {
      throw CLI::ValidationError(trace_out ? "--trace" : "--kineto",
                                 "only one of --trace -, --kineto - and --json can write to "
                                 "standard output");
    }
    std::ostream& report = trace_out || kineto_out ? io.err : io.out;
    if (!o->trace_replicas.empty() && o->trace.empty()) {
      throw CLI::ValidationError("--trace-replicas", "needs --trace");
    }
    const std::vector<int> replicas =
        o->trace_replicas == "all" ? std::vector<int>{} : replica_list(o->trace_replicas);
    std::vector<Scenario> scs;
    std::vector<SimResult> rs;
    for (const auto& spec : o->scenarios) {
      scs.push_back(load_checked(spec, io));
      sim::RunOptions ro = options_for(o->mode, o->calibration, scs.back());
      ro.trace_replicas = replicas;
      ro.trace_all_replicas = o->trace_replicas == "all";
      if (o->mode == "full" && wants_progress_bar(o->progress, o->json)) {
        ro.progress = [line = ProgressLine(io.err)](int done, int total) {
          line(static_cast<std::size_t>(done), static_cast<std::size_t>(total));
        };
      }
      // Opened before the run so that an unwritable path fails fast; the trace appears only
      // once it is complete (an exception in the run leaves no partial file).
      std::optional<io::AtomicFile> trace;
      if (trace_out) {
        ro.trace = &io.out;
      } else if (!o->trace.empty()) {
        trace.emplace(o->trace);
        ro.trace = &trace->stream();
      }
      std::optional<io::AtomicFile> kineto;
      if (!o->kineto.empty()) {
        if (o->kineto_rank >= scs.back().plan.pp) {
          throw CLI::ValidationError("--kineto-rank", "the scenario has pipeline ranks 0.." +
                                                          std::to_string(scs.back().plan.pp - 1));
        }
        if (!kineto_out) kineto.emplace(o->kineto);
        ro.collect_timeline = true;
      }
      rs.push_back(sim::run_checked(scs.back(), ro).result);
      if (trace) trace->commit();
      if (kineto) {
        profiler::exporter::write_kineto(kineto->stream(), scs.back(), rs.back(), o->kineto_rank);
        kineto->commit();
      } else if (kineto_out) {
        profiler::exporter::write_kineto(io.out, scs.back(), rs.back(), o->kineto_rank);
      }
    }
    if (o->json) {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < rs.size(); ++i) {
        j.push_back(sim::to_json(rs[i]));
        // Only a published run's plan is held against its figure (planner/published.hpp).
        if (auto p = planner::published_json(scs[i], rs[i]); !p.is_null())
          j.back()["published"] = p;
      }
      io.out << (rs.size() == 1 ? j[0].dump(2) : j.dump(2)) << "\n";
      return;
    }
    if (rs.size() == 1) {
      print_summary(report, scs[0], rs[0]);
    } else {
      print_side_by_side(report, scs, rs);
    }
    if (!o->trace.empty() && !trace_out)
      report << "timeline written to " << o->trace << " (open in ui.perfetto.dev)\n";
    if (!o->kineto.empty() && !kineto_out) {
      report << "Kineto trace of pipeline rank " << o->kineto_rank << " written to " << o->kineto
             << "\n";
    }
  });
}

void register_whatif(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "whatif",
      "H800 vs H100 side by side, and ablations of schedule, communication SMs, NVLink "
      "bandwidth and node-limited routing");
  struct Opts {
    std::string base = "deepseek-v3-h800";
    std::string other = "deepseek-v3-h100";
    std::string calibration;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--calibration", o->calibration, "Calibration YAML from `hopsim calibrate`");
  cmd->add_option("base", o->base, "Scenario to vary (default: deepseek-v3-h800)");
  cmd->add_option("--vs", o->other, "Scenario to compare with (default: deepseek-v3-h100)");
  cmd->add_flag("--json", o->json, "Print results as JSON");
  cmd->callback([o, io] {
    const Scenario base = load_checked(o->base, io);
    const Scenario other = load_checked(o->other, io);
    const planner::WhatIfStudy w = planner::run_whatif(
        base, other, [&](const Scenario& s) { return options_for("symmetry", o->calibration, s); });
    const planner::WhatIfRow& r0 = w.rows.front();
    const planner::WhatIfRow& rn = w.rows[w.unmitigated];
    if (o->json) {
      nlohmann::ordered_json j;
      j["base"] = sim::to_json(r0.ra);
      j["vs"] = sim::to_json(r0.rb);
      j["nvlink_cost_step_time_fraction"] = r0.gap();
      j["nvlink_cost_without_mitigation_fraction"] = rn.gap();
      auto& nv = j["nvlink_bound_variants"] = nlohmann::ordered_json::array();
      for (std::size_t i : w.nvlink_bound) {
        nv.push_back({{"variant", w.rows[i].label}, {"step_time_gap_fraction", w.rows[i].gap()}});
      }
      j["reasons"] = w.reasons;
      if (auto p = planner::published_json(base, r0.ra); !p.is_null()) j["published"] = p;
      auto& abl = j["ablations"] = nlohmann::ordered_json::array();
      for (const auto& r : w.rows) {
        abl.push_back({{"group", r.group},
                       {"variant", r.label},
                       {"base", sim::to_json(r.ra)},
                       {"vs", sim::to_json(r.rb)}});
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    io.out << printable(base.cluster.gpu.name) << " vs " << printable(other.cluster.gpu.name)
           << ", " << printable(base.name) << " vs " << printable(other.name) << "\n\n";
    print_side_by_side(io.out, {base, other}, {r0.ra, r0.rb});
    io.out << "\nAblations (each row changes one thing in both scenarios)\n\n";
    Table t({"what", "variant", base.cluster.gpu.name + " step", "GPU-h/1T", "MFU",
             other.cluster.gpu.name + " step", "GPU-h/1T", "MFU", "gap"});
    for (const auto& r : w.rows) {
      t.add({r.group, r.label, ms_str(r.ra.step_time), grouped(r.ra.gpu_hours_per_trillion),
             pct(r.ra.mfu_bf16), ms_str(r.rb.step_time), grouped(r.rb.gpu_hours_per_trillion),
             pct(r.rb.mfu_bf16), fmt("%+.1f%%", 100.0 * r.gap())});
    }
    t.print(io.out);
    io.out << "\nAnswer\n";
    for (const auto& line : w.reasons) io.out << "  " << line << "\n";
    // The mitigations of the plan as given, against 1F1B with no communication SMs.
    const std::string schedule = base.plan.schedule == ScheduleKind::kDualPipe ? "DualPipe"
                                 : base.plan.fb_overlap ? "Interleaved 1F1B with F&B pairs"
                                                        : to_string(base.plan.schedule);
    io.out << "  " << schedule << " and SM partitioning cut the step from "
           << ms_str(rn.ra.step_time) << " to " << ms_str(r0.ra.step_time) << " on the "
           << base.cluster.gpu.name << " ("
           << fmt("%+.1f%%",
                  100.0 * (to_seconds(r0.ra.step_time) / to_seconds(rn.ra.step_time) - 1.0))
           << ").\n";
    if (const std::string p = planner::published_sentence(base, r0.ra); !p.empty()) {
      io.out << "  Published: " << p << "\n";
    }
  });
}

}  // namespace hopsim::cli
