// `hopsim plan`: search parallel plans for a model on a cluster and explain the best ones.

#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "hopsim/planner/plan_search.hpp"
#include "progress.hpp"
#include "table.hpp"

namespace hopsim::cli {

void register_plan(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "plan",
      "Search PP/DP/EP/TP, schedule (virtual stages and F&B pairs for interleaved-1f1b), "
      "communication SMs and micro-batches for a model on a cluster; print the best plans and "
      "why they win");
  struct Opts {
    planner::PlanSearchOptions s;
    double budget = 0;
    bool json = false;
    std::string progress = "auto";
  };
  auto o = std::make_shared<Opts>();
  o->s.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cmd->add_option("--model", o->s.model, "Shipped model name or model file")->capture_default_str();
  cmd->add_option("--gpus", o->s.gpus, "GPUs in the cluster")->capture_default_str();
  cmd->add_option("--gpu", o->s.gpu, "GPU profile")->capture_default_str();
  cmd->add_option("--node", o->s.node, "Node profile (default: hgx-<gpu family>-8gpu)");
  cmd->add_option("--base", o->s.base,
                  "Scenario supplying fabric, precision, recompute, sequence length, global "
                  "batch and cost inputs")
      ->capture_default_str();
  cmd->add_option("--global-batch", o->s.global_batch_sequences,
                  "Sequences per step (default: the base scenario's)");
  cmd->add_option("--max-memory-fraction", o->s.max_memory_fraction, "Share of HBM a plan may use")
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--budget-usd", o->budget, "Drop plans whose whole training run costs more");
  cmd->add_option("--top", o->s.top, "Plans to print")->capture_default_str();
  cmd->add_option("--schedules", o->s.schedules, "Schedules to try")->capture_default_str();
  cmd->add_option("--comm-sms", o->s.comm_sms, "Communication SM counts to try")
      ->capture_default_str();
  cmd->add_option("--virtual-stages", o->s.virtual_stages,
                  "Chunks per rank to try with interleaved-1f1b (each with and without F&B pairs)")
      ->capture_default_str()
      ->check(CLI::Range(2, 1024));
  cmd->add_option("-j,--jobs", o->s.jobs, "Plans simulated in parallel")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->json, "Print the search and the best plans as JSON");
  add_progress_option(cmd, o->progress, "over the candidate plans");
  cmd->callback([o, io] {
    planner::PlanSearchOptions s = o->s;
    if (o->budget > 0) s.budget_usd = o->budget;
    // A search simulates hundreds of plans (tens of CPU-seconds for 2048 GPUs): say how far it
    // is, on standard error so that the table and --json stay clean.
    const bool bar = wants_progress_bar(o->progress, o->json);
    if (bar) {
      s.on_progress = [io](std::size_t done, std::size_t total, double elapsed) {
        io.err << progress_bar(done, total, elapsed) << (done == total ? "\n" : "") << std::flush;
      };
    }
    const planner::PlanSearchResult r = planner::search_plans(s);
    if (o->json) {
      nlohmann::ordered_json j;
      j["base"] = r.base.name;
      j["enumerated"] = r.enumerated;
      j["pruned"] = r.pruned;
      j["simulated"] = r.simulated;
      j["rejected_by_runner"] = r.failed;
      j["stopped_early"] = r.stopped_early;
      j["over_budget"] = r.over_budget;
      j["top"] = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < r.top.size(); ++i) {
        const auto& c = r.top[i];
        const auto& p = c.scenario.plan;
        nlohmann::ordered_json x{{"rank", i + 1},
                                 {"plan", planner::plan_label(c.scenario)},
                                 {"pp", p.pp},
                                 {"dp", p.dp},
                                 {"ep", p.ep},
                                 {"tp", p.tp},
                                 {"schedule", std::string(to_string(p.schedule))},
                                 {"virtual_stages", p.virtual_stages},
                                 {"fb_overlap", p.fb_overlap},
                                 {"comm_sms", p.comm_sms},
                                 {"micro_batches", p.micro_batches},
                                 {"micro_batch_size", p.micro_batch_size}};
        for (const auto& m : planner::metric_columns()) {
          const double v = c.result.*m.member;
          x[m.name] = std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
        }
        x["why"] = c.why;
        j["top"].push_back(x);
      }
      io.out << j.dump(2) << "\n";
      return;
    }
    io.out << "searching plans for " << r.base.name << " (" << r.base.cluster.node.name << ", "
           << r.base.cluster.fabric.name << "), " << r.base.plan.seq_len
           << "-token sequences, global batch fixed\n";
    io.out << r.enumerated << " candidates; pruned before simulating:";
    for (const auto& [why, n] : r.pruned) io.out << " " << n << " (" << why << ")";
    io.out << "; " << r.simulated << " simulated";
    if (r.failed > 0) io.out << ", " << r.failed << " rejected by the runner";
    if (r.stopped_early > 0) {
      io.out << ", " << r.stopped_early << " stopped once slower than the top " << o->s.top;
    }
    if (r.over_budget > 0) io.out << ", " << r.over_budget << " over budget";
    io.out << "\n\n";
    if (r.top.empty()) {
      io.out << "no feasible plan; relax --max-memory-fraction or --budget-usd, or add GPUs\n";
      return;
    }
    Table t({"#", "plan", "step", "GPU-h/1T", "run USD", "MFU", "bubble", "exp. comm", "mem GiB"});
    for (std::size_t i = 0; i < r.top.size(); ++i) {
      const auto& c = r.top[i];
      const double run_usd = c.result.dollars_per_trillion * c.scenario.cost.training_tokens / 1e12;
      t.add({std::to_string(i + 1), planner::plan_label(c.scenario),
             fmt("%.0f ms", c.result.step_time_ms), grouped(c.result.gpu_hours_per_trillion),
             "$" + grouped(run_usd), fmt("%.1f%%", 100 * c.result.mfu_bf16),
             fmt("%.1f%%", 100 * c.result.bubble_fraction),
             fmt("%.1f%%", 100 * c.result.exposed_comm_fraction),
             fmt("%.1f", c.result.memory_gib)});
    }
    t.print(io.out);
    io.out << "\nWhy they rank so (same global batch, so step time decides):\n";
    for (std::size_t i = 0; i < r.top.size(); ++i) {
      io.out << "  " << i + 1 << ". " << r.top[i].why << "\n";
    }
  });
}

}  // namespace hopsim::cli
