// `hopsim compare`: a scenario's prediction against an imported trace of a real run.

#include "commands.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/io/atomic_file.hpp"
#include "hopsim/frontend/calibration_ref.hpp"
#include "hopsim/profiler/compare/compare.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"

namespace hopsim::cli {

void register_compare(CLI::App& app, Io io) {
  auto* cmd = app.add_subcommand(
      "compare",
      "Predicted vs measured per kernel class and end to end (measured: a Kineto or Nsight "
      "trace, or `hopsim import` output)");
  struct Opts {
    std::string measured, scenario, trace, rules, components, calibration;
    bool json = false;
    int rank = -1;
    std::optional<std::int64_t> trace_rank;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--measured", o->measured,
                  "Trace of the run: Kineto JSON (.json.gz), an Nsight Systems SQLite export, or "
                  "`hopsim import` output")
      ->required();
  cmd->add_option("--scenario", o->scenario, "Scenario describing the measured run")->required();
  cmd->add_option("--trace", o->trace, "Write both timelines as one Chrome trace");
  cmd->add_option("--rules", o->rules, "Extra kernel-classification rules (YAML)");
  cmd->add_option("--components", o->components,
                  "Extra annotation-to-component rules (YAML, tried before the shipped ones)");
  cmd->add_option("--rank", o->rank,
                  "Pipeline rank the trace captured, predicted for that rank (default -1: the "
                  "mean over pipeline ranks)");
  add_trace_rank_option(cmd, o->trace_rank);
  cmd->add_option("--calibration", o->calibration,
                  "Calibration YAML from `hopsim calibrate` for the prediction (default: the "
                  "uncalibrated cost model)");
  cmd->add_flag("--json", o->json, "Print as JSON");
  cmd->callback([o, io] {
    namespace p = hopsim::profiler;
    const Scenario sc = load_scenario_arg(o->scenario, io);
    validate_plan(sc);
    const auto classifier = classifier_with_rules(o->rules);
    auto components = p::attribute::ComponentMap::shipped();
    if (!o->components.empty()) {
      components = p::attribute::ComponentMap::from_file(o->components).followed_by(components);
    }
    sim::RunOptions options;
    const planner::CalibrationRef cal = frontend::load_calibration_ref(o->calibration);
    if (cal.cost_for) options.cost = cal.cost_for(sc.cluster.gpu);
    const auto t = p::import::read_trace(o->measured, o->trace_rank);
    const auto c =
        p::compare::compare(sc, t, classifier, o->measured, options, &components, o->rank);
    if (o->json) {
      io.out << p::compare::to_json(c) << "\n";
    } else {
      p::compare::print_text(io.out, c);
    }
    if (!o->trace.empty()) {
      io::AtomicFile f(o->trace);
      p::compare::write_combined_trace(f.stream(), sc, t, options);
      f.commit();
      if (!o->json) io.out << "both timelines written to " << o->trace << "\n";
    }
  });
}

}  // namespace hopsim::cli
