// A scenario file names its hardware and model (shipped name, path, or inline mapping) and
// spells out the plan; defaults come from the structs in plan.hpp / scenario.hpp so they are
// written down once.

#include <algorithm>
#include <sstream>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/scenario_keys.hpp"
#include "hopsim/core/config/yaml_reader.hpp"
#include "internal.hpp"

namespace hopsim {
namespace config {
namespace {

namespace fs = std::filesystem;

// The reader has already checked the value against the choices above, so the lookups succeed.
ScheduleKind schedule_of(const std::string& s) {
  return schedule_from_name(s).value();
}
StateDtype dtype_of(const std::string& s) {
  return state_dtype_from_name(s).value();
}

void remember(Scenario& s, const MappingReader& r) {
  for (const auto& loc : s.key_locations) {
    if (loc.key_path == r.location().key_path) return;
  }
  if (!r.location().key_path.empty()) s.key_locations.push_back(r.location());
}

void remember(Scenario& s, const MappingReader& r, const std::vector<std::string>& keys) {
  remember(s, r);
  for (const auto& k : keys) {
    if (r.has(k)) s.key_locations.push_back(r.location(k));
  }
}

//! A hardware or model entry: inline mapping, or a spec resolved to a file.
template <class T, class ReadNode, class ReadFile>
T read_ref(const MappingReader& r, const std::string& k, const std::string& folder,
           const std::string& what, const fs::path& base, ReadNode read_node, ReadFile read_file) {
  const YAML::Node n = r.node(k);
  if (n.IsMap()) return read_node(n, r.file(), r.path(k));
  const fs::path p = resolve_data_file(folder, what, n.Scalar(), base, r.location(k));
  return read_file(p);
}

template <class ReadNode>
auto yaml_file_reader(ReadNode read_node) {
  return [read_node](const fs::path& p) {
    return read_node(parse_yaml_file(p), p.string(), std::string());
  };
}

ParallelPlan read_plan(const YAML::Node& node, const std::string& file, Scenario& s) {
  const ParallelPlan d;
  const MappingReader r(node, file, "plan", scenario_keys("plan"));
  remember(
      s, r,
      {"pp", "dp", "tp", "ep", "micro_batch_size", "micro_batches", "seq_len", "schedule",
       "virtual_stages", "fb_overlap", "layers_per_stage", "comm_sms", "zero_stage",
       "overlap_grad_reduce", "recompute", "precision", "optimizer", "node_limit", "variation"});
  ParallelPlan p;
  p.pp = r.get_int32("pp");
  p.dp = r.get_int32("dp");
  p.tp = r.get_int32("tp", d.tp);
  p.ep = r.get_int32("ep", d.ep);
  p.micro_batch_size = r.get_int32("micro_batch_size", d.micro_batch_size);
  p.micro_batches = r.get_int32("micro_batches");
  p.seq_len = r.get_int32("seq_len", d.seq_len);
  p.schedule = r.has("schedule") ? schedule_of(r.get_string("schedule")) : d.schedule;
  p.virtual_stages = r.get_int32("virtual_stages", d.virtual_stages);
  p.fb_overlap = r.get_bool("fb_overlap", d.fb_overlap);
  p.layers_per_stage = r.get_int_list("layers_per_stage", 0, 1000000);
  p.comm_sms = r.get_int32("comm_sms", d.comm_sms);
  p.zero_stage = r.get_int32("zero_stage", d.zero_stage);
  if (p.zero_stage > 3)
    r.fail("zero_stage", "ZeRO stage must be 0, 1, 2 or 3, got " + std::to_string(p.zero_stage));
  p.overlap_grad_reduce = r.get_bool("overlap_grad_reduce", d.overlap_grad_reduce);
  for (const auto& item : r.get_enum_list("recompute")) {
    if (item == "rmsnorm") p.recompute.rmsnorm = true;
    if (item == "mla_up_projection") p.recompute.mla_up_projection = true;
    if (item == "swiglu") p.recompute.swiglu = true;
    if (item == "full") p.recompute.full = true;
  }
  if (r.has("precision")) {
    p.gemm_precision = r.get_string("precision") == "fp8" ? Precision::kFp8 : Precision::kBf16;
  }
  if (r.has("optimizer")) {
    const MappingReader o(r.node("optimizer"), file, "plan.optimizer",
                          scenario_keys("plan.optimizer"));
    remember(s, o, {"master_weights", "gradients", "moments"});
    if (o.has("master_weights"))
      p.optimizer.master_weights = dtype_of(o.get_string("master_weights"));
    if (o.has("gradients")) p.optimizer.gradients = dtype_of(o.get_string("gradients"));
    if (o.has("moments")) p.optimizer.moments = dtype_of(o.get_string("moments"));
  }
  p.node_limit = r.get_int32("node_limit", d.node_limit);
  if (r.has("variation")) {
    const MappingReader v(r.node("variation"), file, "plan.variation",
                          scenario_keys("plan.variation"));
    remember(s, v, {"kernel_time_cv", "routing_cv", "seed"});
    // A coefficient of variation of a positive time must stay well below 1 for the normal
    // model to make sense (at 1, one draw in six would be a negative duration).
    for (const char* k : {"kernel_time_cv", "routing_cv"}) {
      const double x = v.get_number(k, 0.0);
      if (!(x >= 0.0 && x <= 0.5)) {
        std::ostringstream got;
        got << x;
        v.fail(k, "a coefficient of variation in [0, 0.5] expected, got " + got.str());
      }
    }
    p.variation.kernel_time_cv = v.get_number("kernel_time_cv", 0.0);
    p.variation.routing_cv = v.get_number("routing_cv", 0.0);
    p.variation.seed = static_cast<unsigned long long>(v.get_int32("seed", 1));
  }
  return p;
}

CostInputs read_cost(const YAML::Node& node, const std::string& file, Scenario& s) {
  const CostInputs d;
  const MappingReader r(node, file, "cost", scenario_keys("cost"));
  remember(s, r, {"price_per_gpu_hour", "pue", "training_tokens", "interruptions"});
  CostInputs c;
  c.price_per_gpu_hour = r.get_number("price_per_gpu_hour", d.price_per_gpu_hour);
  if (r.has("price_per_gpu_hour")) c.price_from = "scenario";
  c.pue = r.get_number("pue", d.pue);
  if (c.pue < 1.0) {
    r.fail("pue", "PUE is total facility power over IT power and cannot be below 1 (got " +
                      std::to_string(c.pue) + ")");
  }
  c.training_tokens = r.get_number("training_tokens", d.training_tokens);
  if (r.has("interruptions")) {
    const MappingReader i(r.node("interruptions"), file, "cost.interruptions",
                          scenario_keys("cost.interruptions"));
    remember(s, i, {"gpu_hours_between", "minutes_lost"});
    c.interruptions =
        Interruptions{i.get_number("gpu_hours_between"), i.get_number("minutes_lost")};
  }
  return c;
}

}  // namespace
}  // namespace config

namespace fs = std::filesystem;

Scenario load_scenario(const std::filesystem::path& path) {
  return config::read_scenario(config::parse_yaml_file(path), path);
}

Scenario config::read_scenario(const YAML::Node& document, const std::filesystem::path& path) {
  using config::MappingReader;
  const std::string file = path.string();
  const fs::path base = path.parent_path();
  const MappingReader root(document, file, std::string(), config::scenario_keys(""));
  Scenario s;
  s.source_path = file;
  s.name = root.get_string("name", path.stem().string());
  config::remember(s, root, {"hardware", "model", "plan", "cost"});

  const MappingReader hw(root.node("hardware"), file, "hardware",
                         config::scenario_keys("hardware"));
  config::remember(s, hw, {"gpu", "node", "fabric", "nodes"});
  s.cluster.gpu = config::read_ref<GpuProfile>(hw, "gpu", "hwprofiles/gpus", "GPU profile", base,
                                               config::read_gpu_profile,
                                               config::yaml_file_reader(config::read_gpu_profile));
  s.cluster.node = config::read_ref<NodeProfile>(
      hw, "node", "hwprofiles/nodes", "node profile", base, config::read_node_profile,
      config::yaml_file_reader(config::read_node_profile));
  s.cluster.fabric = config::read_ref<FabricProfile>(
      hw, "fabric", "hwprofiles/fabrics", "fabric profile", base, config::read_fabric_profile,
      config::yaml_file_reader(config::read_fabric_profile));
  s.cluster.num_nodes = hw.get_int32("nodes");

  s.model = config::read_ref<ModelConfig>(root, "model", "models", "model", base,
                                          config::read_model, config::read_model_file);
  s.plan = config::read_plan(root.node("plan"), file, s);
  if (root.has("cost")) s.cost = config::read_cost(root.node("cost"), file, s);
  // No price in the scenario: the GPU profile's, where it cites one (so a GPU swapped in by an
  // override or a sweep brings its own price), else the default.
  if (s.cost.price_from != "scenario" && s.cluster.gpu.price_per_gpu_hour > 0) {
    s.cost.price_per_gpu_hour = s.cluster.gpu.price_per_gpu_hour;
    s.cost.price_from = "GPU profile";
  }
  return s;
}

Scenario load_scenario_text(const std::string& text, const std::string& name) {
  return config::read_scenario(config::parse_yaml_text(text, name), fs::path(name));
}

Scenario load_scenario_spec(const std::string& spec) {
  return load_scenario(
      config::resolve_data_file("scenarios", "scenario", spec, {}, SourceLocation{}));
}

}  // namespace hopsim
