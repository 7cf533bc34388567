// Feasibility rules of a parallel plan. All rules are checked and reported together, with
// their numbers, so one run of `hopsim validate` shows everything that needs changing.

#include <optional>
#include <sstream>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/core/workload/placement.hpp"

namespace hopsim {
namespace {

//! "file:line:col: plan.ep: " for a key of the scenario (as much of it as is known).
std::string where(const Scenario& s, const std::string& key_path) {
  for (const auto& loc : s.key_locations) {
    // A key set by an override (a sweep axis, the GUI) is named by it, not by a line.
    if (loc.key_path == key_path && loc.line == 0 && loc.file.rfind("override ", 0) == 0) {
      return loc.file + ": ";
    }
    if (loc.key_path == key_path && loc.line > 0) {
      return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column) + ": " +
             key_path + ": ";
    }
  }
  // Keys left at their default have no line; point at the plan mapping when it was read.
  for (const auto& loc : s.key_locations) {
    if (loc.key_path == "plan" && loc.line > 0 && key_path.rfind("plan.", 0) == 0) {
      return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column) + ": " +
             key_path + " (default): ";
    }
  }
  return (s.source_path.empty() ? std::string() : s.source_path + ": ") + key_path + ": ";
}

std::string str(long long v) {
  return std::to_string(v);
}

}  // namespace

std::vector<std::string> plan_errors(const Scenario& s) {
  std::vector<std::string> e;
  const ParallelPlan& p = s.plan;
  const auto add = [&](const std::string& key, const std::string& msg) {
    e.push_back(where(s, key) + msg);
  };

  // Sizes first: the other rules divide by them.
  const std::pair<const char*, int> sizes[] = {{"plan.pp", p.pp},
                                               {"plan.dp", p.dp},
                                               {"plan.tp", p.tp},
                                               {"plan.ep", p.ep},
                                               {"plan.micro_batch_size", p.micro_batch_size},
                                               {"plan.micro_batches", p.micro_batches},
                                               {"plan.seq_len", p.seq_len},
                                               {"plan.virtual_stages", p.virtual_stages},
                                               {"hardware.nodes", s.cluster.num_nodes}};
  bool sizes_ok = true;
  for (const auto& [k, v] : sizes) {
    if (v < 1) {
      add(k, "must be a positive integer, got " + str(v));
      sizes_ok = false;
    }
  }
  if (s.cluster.node.gpus_per_node < 1) {
    add("hardware.node",
        "gpus_per_node must be positive, got " + str(s.cluster.node.gpus_per_node));
    sizes_ok = false;
  }
  if (!sizes_ok) return e;

  const long long world = static_cast<long long>(p.pp) * p.dp * p.tp;
  const long long gpus = static_cast<long long>(s.cluster.num_nodes) * s.cluster.node.gpus_per_node;
  if (world != gpus) {
    add("plan.dp", "world size PP*DP*TP = " + str(p.pp) + "*" + str(p.dp) + "*" + str(p.tp) +
                       " = " + str(world) +
                       " must equal nodes*gpus_per_node = " + str(s.cluster.num_nodes) + "*" +
                       str(s.cluster.node.gpus_per_node) + " = " + str(gpus));
  }

  // Experts are sharded inside the DP*TP group of one pipeline stage.
  const long long dptp = static_cast<long long>(p.dp) * p.tp;
  if (dptp % p.ep != 0) {
    add("plan.ep", "EP = " + str(p.ep) + " must divide DP*TP = " + str(p.dp) + "*" + str(p.tp) +
                       " = " + str(dptp));
  }
  if (s.model.moe) {
    if (s.model.moe->n_routed_experts % p.ep != 0) {
      add("plan.ep", "EP = " + str(p.ep) + " must divide the model's n_routed_experts = " +
                         str(s.model.moe->n_routed_experts) +
                         " (each EP rank holds the same number of experts)");
    }
  } else if (p.ep != 1) {
    add("plan.ep",
        "EP = " + str(p.ep) + " but the model '" + s.model.name + "' has no MoE layers; use ep: 1");
  }

  const int mb = p.micro_batches;
  switch (p.schedule) {
    case ScheduleKind::k1F1B:
    case ScheduleKind::kZbH1:
      if (mb < p.pp) {
        add("plan.micro_batches", std::string(to_string(p.schedule)) +
                                      " needs micro_batches >= PP: " + str(mb) + " < " + str(p.pp));
      }
      break;
    case ScheduleKind::kInterleaved1F1B:
      // Megatron-Core: "pipeline-model-parallel size should be greater than 1 with interleaved
      // schedule" (megatron/training/arguments.py).
      if (p.pp < 2) {
        add("plan.pp",
            "interleaved-1f1b needs pp >= 2 (one stage has nothing to interleave), got " +
                str(p.pp) + "; use schedule: 1f1b");
      }
      if (p.virtual_stages < 2) {
        add("plan.virtual_stages",
            "interleaved-1f1b needs virtual_stages >= 2 (with 1 it is plain 1f1b), got " +
                str(p.virtual_stages));
      }
      if (mb % p.pp != 0) {
        add("plan.micro_batches", "interleaved-1f1b needs micro_batches to be a multiple of PP: " +
                                      str(mb) + " % " + str(p.pp) + " = " + str(mb % p.pp));
      }
      break;
    case ScheduleKind::kDualPipe:
      // DualPipe repo, dualpipe.py step(): even ranks, even chunks, chunks >= 2*ranks
      // (deepseek-ai/DualPipe @3da1bbea; DeepSeek-V3 report §3.2.1 "divisible by 2").
      if (p.pp % 2 != 0) add("plan.pp", "dualpipe needs an even PP, got " + str(p.pp));
      if (mb % 2 != 0) {
        add("plan.micro_batches", "dualpipe needs an even number of micro-batches, got " + str(mb));
      }
      if (mb < 2 * p.pp) {
        add("plan.micro_batches", "dualpipe needs micro_batches >= 2*PP: " + str(mb) + " < 2*" +
                                      str(p.pp) + " = " + str(2 * p.pp));
      }
      break;
    case ScheduleKind::kDualPipeV:
      if (mb < 2 * p.pp) {
        add("plan.micro_batches", "dualpipev needs micro_batches >= 2*PP: " + str(mb) + " < 2*" +
                                      str(p.pp) + " = " + str(2 * p.pp));
      }
      break;
  }
  if (p.fb_overlap && p.schedule != ScheduleKind::kInterleaved1F1B) {
    // Megatron-Core overlaps pairs only in its interleaved schedule when PP > 1; DualPipe and
    // DualPipeV always run their steady state as pairs.
    add("plan.fb_overlap",
        std::string(
            "fb_overlap pairs the steady-state forwards and backwards of "
            "interleaved-1f1b (Megatron-Core's overlap_moe_expert_parallel_comm), not of ") +
            to_string(p.schedule) +
            (p.schedule == ScheduleKind::kDualPipe || p.schedule == ScheduleKind::kDualPipeV
                 ? ", which always overlaps its pairs; remove fb_overlap"
                 : "; use schedule: interleaved-1f1b or remove fb_overlap"));
  } else if (p.fb_overlap) {
    // Megatron-Core refuses the overlap without expert parallelism or with full recompute
    // (NVIDIA/Megatron-LM megatron/core/transformer/transformer_config.py): the pairs hide the
    // EP all-to-all, and a recomputed layer cannot be split into its parts.
    if (p.ep < 2) {
      add("plan.fb_overlap",
          "fb_overlap hides the EP all-to-all of MoE layers: it needs ep >= 2, got ep = " +
              str(p.ep));
    }
    if (p.recompute.full) {
      add("plan.fb_overlap",
          "fb_overlap cannot split a fully recomputed layer into its parts: "
          "drop full from plan.recompute or remove fb_overlap");
    }
  }
  if (p.schedule != ScheduleKind::kInterleaved1F1B && p.virtual_stages != 1) {
    add("plan.virtual_stages", "virtual_stages = " + str(p.virtual_stages) +
                                   " is only meaningful with interleaved-1f1b; use 1");
  }

  // Layers need not divide evenly over stages (DeepSeek-V3: 61 + 1 MTP on 16), but every
  // stage needs at least one layer.
  const int layers = s.model.n_layers + s.model.mtp_depth;
  if (s.model.n_layers > 0 && pipeline_stages(p) > layers) {
    add("plan.pp", str(pipeline_stages(p)) + " pipeline stages exceed the model's " + str(layers) +
                       " layers (n_layers " + str(s.model.n_layers) + " + mtp_depth " +
                       str(s.model.mtp_depth) + ")");
  }

  if (!p.layers_per_stage.empty()) {
    if (const std::string why = layout_problem(s.model, p.layers_per_stage, pipeline_stages(p));
        !why.empty()) {
      add("plan.layers_per_stage", why);
    }
  }

  if (p.comm_sms < 0 || p.comm_sms >= s.cluster.gpu.sms) {
    add("plan.comm_sms", "comm_sms = " + str(p.comm_sms) + " must be >= 0 and < the GPU's " +
                             str(s.cluster.gpu.sms) + " SMs (" + s.cluster.gpu.name +
                             "), leaving SMs for compute");
  }

  if (p.node_limit < 0) {
    add("plan.node_limit", "must be >= 0 (0 = unlimited), got " + str(p.node_limit));
  } else if (p.node_limit > 0) {
    const int gpn = s.cluster.node.gpus_per_node;
    const int ep_nodes = (p.ep + gpn - 1) / gpn;
    if (p.node_limit > ep_nodes) {
      add("plan.node_limit", "node_limit = " + str(p.node_limit) + " exceeds the " + str(ep_nodes) +
                                 " node(s) an EP group of " + str(p.ep) + " GPUs spans at " +
                                 str(gpn) + " GPUs per node");
    }
  }

  if (s.model.n_heads > 0 && s.model.n_heads % p.tp != 0) {
    add("plan.tp", "TP = " + str(p.tp) + " must divide the model's " + str(s.model.n_heads) +
                       " attention heads");
  }
  if (p.zero_stage < 0 || p.zero_stage > 3) {
    add("plan.zero_stage", "must be 0, 1, 2 or 3, got " + str(p.zero_stage));
  }
  if (auto m = interruptions_error(s, world)) e.push_back(std::move(*m));
  return e;
}

std::optional<std::string> interruptions_error(const Scenario& s, long long gpus) {
  if (!s.cost.interruptions || effective_training_time(s.cost, gpus) > 0.0) return std::nullopt;
  const Interruptions& i = *s.cost.interruptions;
  std::ostringstream m;
  m << where(s, "cost.interruptions.minutes_lost") << "at one interruption per "
    << i.gpu_hours_between << " GPU-hours, " << gpus << " GPUs stop every "
    << i.gpu_hours_between / static_cast<double>(gpus) * 60.0 << " minutes and lose "
    << i.minutes_lost << " each: no time is left to train";
  return m.str();
}

void validate_plan(const Scenario& s) {
  const auto errors = plan_errors(s);
  if (errors.empty()) return;
  std::ostringstream msg;
  msg << "plan of scenario '" << s.name << "' is not feasible (" << errors.size()
      << (errors.size() == 1 ? " problem" : " problems") << "):";
  for (const auto& e : errors) msg << "\n  - " << e;
  throw PlanError(msg.str());
}

std::vector<std::string> plan_warnings(const Scenario& s) {
  std::vector<std::string> w;
  const ParallelPlan& p = s.plan;
  const GpuProfile& g = s.cluster.gpu;
  // Green contexts split SMs into groups of a fixed granularity (8 on Hopper) plus a
  // remainder, so one side of the split must be a multiple of it (CUDA Driver API 12.4,
  // 6.35 Green Contexts; 112 + 20 on 132 SMs works).
  if (p.comm_sms > 0 && p.comm_sms < g.sms && g.sm_partition_granularity > 1) {
    const int q = g.sm_partition_granularity;
    const int compute = g.sms - p.comm_sms;
    if (p.comm_sms % q != 0 && compute % q != 0) {
      int below = p.comm_sms;
      while (below > 0 && below % q != 0 && (g.sms - below) % q != 0) --below;
      int above = p.comm_sms;
      while (above < g.sms && above % q != 0 && (g.sms - above) % q != 0) ++above;
      w.push_back(where(s, "plan.comm_sms") + "a " + std::to_string(compute) + " + " +
                  std::to_string(p.comm_sms) + " SM split cannot be made with green contexts on " +
                  g.name + " (one side must be a multiple of " + std::to_string(q) +
                  " SMs); nearest realisable comm_sms: " + std::to_string(below) + " or " +
                  std::to_string(above) + "; simulated as given");
    }
  }
  // DeepEP's normal kernels use SM pairs (deepseek-ai/DeepEP deep_ep/buffer.py @ebfe47e asserts
  // an even num_sms).
  if (p.comm_sms % 2 != 0) {
    w.push_back(where(s, "plan.comm_sms") + "comm_sms = " + std::to_string(p.comm_sms) +
                " is odd; DeepEP's normal kernels require an even SM count");
  }
  if (p.tp > s.cluster.node.gpus_per_node) {
    w.push_back(where(s, "plan.tp") + "TP = " + std::to_string(p.tp) + " spans more than one " +
                std::to_string(s.cluster.node.gpus_per_node) +
                "-GPU node; tensor-parallel traffic will cross the scale-out network");
  }
  return w;
}

}  // namespace hopsim
