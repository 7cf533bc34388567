#include "hopsim/sim/runner/runner.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/core/trace/chrome_trace_writer.hpp"
#include "hopsim/core/workload/flops.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/core/workload/placement.hpp"
#include "hopsim/core/workload/workload.hpp"
#include "hopsim/sim/runner/variation.hpp"
#include "hopsim/sim/schedule/schedule.hpp"
#include "step_costs.hpp"

namespace hopsim::sim {
namespace {

enum class Pass { kForward, kBackwardInput, kBackwardWeight };

KernelClass kernel_class(const Op& op, Pass pass) {
  switch (op.kind) {
    case OpKind::kGemm:
    case OpKind::kGroupedGemm:
      return op.dtype == "fp8" ? KernelClass::kGemmFp8 : KernelClass::kGemmBf16;
    case OpKind::kRouter:
      return KernelClass::kGemmBf16;
    case OpKind::kAttention:
      return pass == Pass::kForward ? KernelClass::kAttentionFwd : KernelClass::kAttentionBwd;
    default:
      return KernelClass::kMemoryBound;
  }
}

// The kernel of `op` in `pass`. GEMM Y[m,n] = X[m,k] W[k,n]: dX = dY W^T is (m, k, n) and
// dW = X^T dY is (k, n, m), which matters for wave quantisation.
KernelShape kernel_shape(const Op& op, Pass pass) {
  KernelShape k;
  k.cls = kernel_class(op, pass);
  k.groups = op.groups;
  k.memory = op.kind == OpKind::kNorm       ? MemoryKind::kNorm
             : op.kind == OpKind::kQuantize ? MemoryKind::kCast
             : op.kind == OpKind::kRouter   ? MemoryKind::kRouting
                                            : MemoryKind::kElementwise;
  switch (pass) {
    case Pass::kForward:
      k.flops = op.fwd;
      k.bytes = op.bytes_fwd.total();
      k.m = op.m, k.n = op.n, k.k = op.k;
      break;
    case Pass::kBackwardInput:
      k.flops = op.bwd_input;
      k.bytes = op.bytes_bwd_input.total();
      k.m = op.m, k.n = op.k, k.k = op.n;
      break;
    case Pass::kBackwardWeight:
      k.flops = op.bwd_weight;
      k.bytes = op.bytes_bwd_weight.total();
      k.m = op.k, k.n = op.n, k.k = op.m;
      break;
  }
  if (op.kind == OpKind::kRouter) k.m = k.n = k.k = 0;  // tiny N: not tile-bound
  // FP8 weight gradients accumulate into FP32 (DeepGEMM `fp8_dptp128c_acc`, DeepSeek-V3 report
  // §3.3.2).
  k.accumulate = pass == Pass::kBackwardWeight && k.m > 0;
  k.kernels = launches(op, static_cast<int>(pass));
  return k;
}

// The trace classifier's name for an op's kernel (profiler/data/kernel_classes.yaml). Weight
// gradients of FP8 and grouped GEMMs are `wgrad_gemm`: DeepGEMM's K-grouped and 1D1D kernels and
// DeepSeek's accumulating dpsk::grouped_gemm kernels show it in their names. A BF16 dense weight
// gradient stays `bf16_gemm`, since a cuBLAS name does not tell the pass.
const char* trace_class(const Op& op, Pass pass) {
  switch (op.kind) {
    case OpKind::kGroupedGemm:
      return pass == Pass::kBackwardWeight ? "wgrad_gemm" : "grouped_gemm";
    case OpKind::kGemm:
      if (op.dtype != "fp8") return "bf16_gemm";
      return pass == Pass::kBackwardWeight ? "wgrad_gemm" : "fp8_gemm";
    case OpKind::kAttention:
      return pass == Pass::kForward ? "attention_fwd" : "attention_bwd";
    case OpKind::kRouter:
      return "moe_routing";
    case OpKind::kNorm:
      return "norm";
    case OpKind::kQuantize:
      return "fp8_cast";
    default:
      return "elementwise";
  }
}

// Recomputed in backward (DeepSeek-V3 §3.2.3: RMSNorm and MLA up-projections). Recomputing the
// up-projections' outputs q and k_nope means rotating q's RoPE part and assembling the key again.
bool recomputed(const Op& op, const RecomputeConfig& rc) {
  if (rc.full) return true;
  if (rc.rmsnorm && op.kind == OpKind::kNorm) return true;
  if (rc.mla_up_projection &&
      (op.name.find("wq_b") != std::string::npos || op.name.find("wkv_b") != std::string::npos ||
       op.name == "rope" || op.name == "mla_key_assembly")) {
    return true;
  }
  if (rc.swiglu && op.kind == OpKind::kElementwise && op.name.find("swiglu") != std::string::npos) {
    return true;
  }
  return false;
}

struct PartCost {
  Nanoseconds time{};
  Flops flops{};
  Nanoseconds non_gemm{};  //!< of `time`: kernels other than GEMMs and attention cores
  Nanoseconds launch{};    //!< of `time`: the launch gaps
  Nanoseconds routed{};    //!< of `time`: ops on the token copies the rank's experts received
  int kernels = 0;
  std::vector<SubOpKernels> parts;  //!< per op, in launch order
};

bool gemm_like(const Op& op) {
  return op.kind == OpKind::kGemm || op.kind == OpKind::kGroupedGemm ||
         op.kind == OpKind::kAttention;
}

// `with_parts`: also list each op's kernels (PartCost::parts), for the chunk programs whose
// sub-ops an exported trace writes kernel by kernel; the placement's many cost queries skip it.
PartCost part_cost(const std::vector<Op>& ops, Pass pass, const CostModel& cm, int sms,
                   const RecomputeConfig* rc, bool with_parts = false) {
  PartCost c;
  auto add = [&](const Op& op, const KernelShape& k, Pass as) {
    if (k.flops.value() <= 0 && k.bytes.value() <= 0) return;
    const KernelCost kc = cm.cost(k, sms);
    c.time += kc.time;
    c.launch += kc.launch;
    if (!gemm_like(op)) c.non_gemm += kc.time;
    if (op.routed) c.routed += kc.run();  // launch gaps do not grow with the tokens
    const int kernels = std::max(1, k.kernels);
    c.kernels += kernels;
    if (with_parts)
      c.parts.push_back(
          {op.name, trace_class(op, as), kc.run(), kernels, op.routed, !gemm_like(op)});
  };
  for (const Op& op : ops) {
    const KernelShape k = kernel_shape(op, pass);
    add(op, k, pass);
    if (k.flops.value() > 0 || k.bytes.value() > 0) c.flops += k.flops;
    if (rc != nullptr && recomputed(op, *rc)) {
      add(op, kernel_shape(op, Pass::kForward), Pass::kForward);
    }
  }
  return c;
}

// The units (embedding, blocks, head) each stage computes, as stage_placement says (the
// placement the memory model is given too). `split` receives the blocks per stage.
std::vector<std::vector<const LayerWorkload*>> assign_to_stages(
    const Scenario& sc, const CostModel& cm, const std::vector<LayerWorkload>& units, int stages,
    std::vector<int>* split) {
  const StagePlacement p = stage_placement(sc, cm);
  if (p.stages() != stages) throw PlanError("runner: placement and schedule disagree on stages");
  if (split != nullptr) *split = p.count;
  std::vector<std::vector<const LayerWorkload*>> out(static_cast<std::size_t>(stages));
  for (const auto& u : units) {
    if (u.kind == LayerKind::kEmbedding) out.front().push_back(&u);
  }
  for (std::size_t st = 0; st < out.size(); ++st) {
    for (int b = p.first[st]; b < p.first[st] + p.count[st]; ++b) {
      out[st].push_back(&units[static_cast<std::size_t>(b) + 1]);  // units[0] is the embedding
    }
  }
  for (const auto& u : units) {
    if (u.kind == LayerKind::kHead) out.back().push_back(&u);
  }
  return out;
}

// MoE transformer blocks and MoE MTP modules do the EP all-to-all.
bool does_all_to_all(const LayerWorkload& u, const ModelConfig& m) {
  return u.kind == LayerKind::kMoe || (u.kind == LayerKind::kMtp && m.moe);
}

}  // namespace

namespace {

// What the predicted per-class and per-component times of one pipeline rank (or the mean over
// ranks) start from: the cost model, the units each stage holds and how often each runs.
struct RankWork {
  CostModel cm;
  CommTimes comm;
  std::vector<LayerWorkload> units;
  std::vector<std::vector<const LayerWorkload*>> stage_units;
  std::vector<int> ranks;  //!< the rank asked for, or every rank
  int passes = 0;          //!< micro-batches each held stage processes per step

  RankWork(const Scenario& sc, const RunOptions& options, int rank)
      : cm(sc.cluster.gpu, options.cost ? *options.cost : default_cost_parameters(sc.cluster.gpu)),
        comm(communication_times(sc, cm)),
        units(build_workload(sc.model, shape_from_plan(sc.plan, sc.cluster.node.gpus_per_node))) {
    stage_units = assign_to_stages(sc, cm, units, pipeline_stages(sc.plan), nullptr);
    // DualPipe splits the micro-batches over its two directions.
    passes = sc.plan.schedule == ScheduleKind::kDualPipe ? sc.plan.micro_batches / 2
                                                         : sc.plan.micro_batches;
    if (rank >= 0) {
      ranks.push_back(rank);
    } else {
      for (int r = 0; r < sc.plan.pp; ++r) ranks.push_back(r);
    }
  }
  RankWork(const RankWork&) = delete;
  RankWork& operator=(const RankWork&) = delete;
  RankWork(RankWork&&) = delete;
  RankWork& operator=(RankWork&&) = delete;
  ~RankWork() = default;

  //! Calls f(unit) once per unit held by each rank asked for.
  template <typename F>
  void for_each_unit(const ParallelPlan& plan, F&& f) const {
    for (int r : ranks) {
      for (int st : stages_of_rank(plan, r)) {
        for (const LayerWorkload* u : stage_units[static_cast<std::size_t>(st)]) f(*u);
      }
    }
  }
  //! Sums over ranks -> the mean when several ranks were asked for.
  void average(std::map<std::string, Nanoseconds>& out) const {
    if (ranks.size() <= 1) return;
    for (auto& [k, v] : out) v = Nanoseconds(v.value() / static_cast<std::int64_t>(ranks.size()));
  }
};

}  // namespace

std::map<std::string, Nanoseconds> predicted_class_times(const Scenario& sc,
                                                         const RunOptions& options, int rank) {
  const ParallelPlan& plan = sc.plan;
  const RankWork w(sc, options, rank);
  const int compute_sms = sc.cluster.gpu.sms - plan.comm_sms;
  const int passes = w.passes;
  std::map<std::string, Nanoseconds> out;
  // A trace times kernels and the gaps between them apart: the launch gaps get a row of their own.
  auto add = [&](const std::string& klass, const KernelCost& kc) {
    out[klass] += kc.run() * passes;
    out[kLaunchGaps] += kc.launch * passes;
  };
  w.for_each_unit(plan, [&](const LayerWorkload& u) {
    for (const auto* part : {&u.attention, &u.mlp}) {
      for (const Op& op : *part) {
        for (Pass pass : {Pass::kForward, Pass::kBackwardInput, Pass::kBackwardWeight}) {
          const KernelShape k = kernel_shape(op, pass);
          if (k.flops.value() <= 0 && k.bytes.value() <= 0) continue;
          add(trace_class(op, pass), w.cm.cost(k, compute_sms));
        }
        if (recomputed(op, plan.recompute)) {
          const KernelShape f = kernel_shape(op, Pass::kForward);
          if (f.flops.value() > 0 || f.bytes.value() > 0) {
            add(trace_class(op, Pass::kForward), w.cm.cost(f, compute_sms));
          }
        }
      }
    }
    if (does_all_to_all(u, sc.model)) {
      // DeepEP's layout kernel runs inside the forward dispatch's notify (CommTimes); a trace
      // shows it as its own class. Its launch gap is not kernel time, and it is on the
      // communication stream, whose gaps the measured launch_gaps row leaves out: it is in
      // neither row.
      const CommTimes& c = w.comm;
      out["deepep_dispatch"] += (c.dispatch + c.dispatch_backward) * passes;
      out["deepep_combine"] += (c.combine + c.combine_backward) * passes;
      out["deepep_layout"] += c.notify_layout_run() * passes;
      out["deepep_notify"] += (c.notify_dispatch - c.notify_layout + c.notify_combine * 3) * passes;
    }
  });
  // The optimizer step's kernels, once per step: the update (a trace's multi_tensor_apply / fused
  // Adam) and, with FP8 GEMMs, the weights' re-quantisation after it. One row, as the timeline
  // (`--trace`) and its export show the step's optimizer phase as one span.
  const std::vector<MemoryBreakdown> held = memory_per_rank(sc, stage_placement(sc, w.cm));
  for (int r : w.ranks) {
    const MemoryBreakdown& mb = held[static_cast<std::size_t>(r)];
    out["optimizer"] += optimizer_update_time(sc, w.cm, mb) + weight_requant_time(sc, w.cm, mb);
  }
  w.average(out);
  return out;
}

std::map<std::string, Nanoseconds> predicted_component_times(const Scenario& sc,
                                                             const RunOptions& options, int rank) {
  // Each component's kernels as predicted_component_group_times splits them, launch gaps left
  // out: an annotation's time in a trace is its kernels' durations.
  std::map<std::string, Nanoseconds> out;
  for (const auto& [component, groups] : predicted_component_group_times(sc, options, rank)) {
    Nanoseconds& t = out[component];
    for (const auto& [group, time] : groups) {
      if (group != kLaunchGaps) t += time;
    }
  }
  return out;
}

EngineComponentTimes engine_component_times(const Scenario& sc, const RunOptions& options,
                                            int rank) {
  RunOptions o = options;
  o.mode = SimMode::kSymmetry;
  o.collect_timeline = true;
  o.trace = nullptr;
  o.stop_after = Nanoseconds(0);
  // Without variation a compute sub-op runs exactly its programmed time but for interference.
  Scenario quiet = sc;
  quiet.plan.variation = VariationConfig{};
  const SimResult r = run_scenario(quiet, o);
  EngineComponentTimes out;
  for (const TimelineSlice& sl : r.timeline) {
    if (sl.op == nullptr || (rank >= 0 && sl.rank != rank)) continue;
    // Component names as run --json and the component map spell them: "mlp_b", "dispatch_f".
    const auto name = [&](const char* part) {
      return std::string(part) + static_cast<char>(std::tolower(sub_op_pass(*sl.op)));
    };
    if (sl.cls == WorkClass::kEpComm && !sl.op->traffic.empty()) {
      // "L3.dispatch", "L3.combine.bwd": the forward and backward DeepEP payloads.
      out.payload[name(sl.op->component == Component::kDispatch ? "dispatch_" : "combine_")] +=
          sl.end - sl.start;
      continue;
    }
    if (sl.cls != WorkClass::kCompute || sl.lane != Lane::kCompute) continue;
    const Nanoseconds extra = (sl.end - sl.start) - sl.op->duration;
    if (extra.value() <= 0) continue;
    out.interference[name(sl.op->component == Component::kMlp ? "mlp_" : "attention_")] += extra;
  }
  if (rank < 0) {
    for (auto* m : {&out.interference, &out.payload}) {
      for (auto& [c, t] : *m) t = Nanoseconds(t.value() / std::max(1, sc.plan.pp));
    }
  }
  return out;
}

std::map<std::string, std::map<std::string, Nanoseconds>> predicted_component_group_times(
    const Scenario& sc, const RunOptions& options, int rank) {
  const RankWork w(sc, options, rank);
  const int sms = sc.cluster.gpu.sms - sc.plan.comm_sms;
  std::map<std::string, std::map<std::string, Nanoseconds>> out;
  w.for_each_unit(sc.plan, [&](const LayerWorkload& u) {
    // As part_cost sums them: each op's kernel per pass, and recomputed forwards in B.
    const std::pair<const std::vector<Op>*, std::string> parts[] = {{&u.attention, "attention"},
                                                                    {&u.mlp, "mlp"}};
    for (const auto& [ops, part] : parts) {
      auto add = [&](const std::string& component, const KernelShape& k) {
        if (k.flops.value() <= 0 && k.bytes.value() <= 0) return;
        const KernelCost kc = w.cm.cost(k, sms);
        out[component][time_scale_group(k.cls)] += kc.run() * w.passes;
        out[component][kLaunchGaps] += kc.launch * w.passes;
      };
      for (const Op& op : *ops) {
        add(part + "_f", kernel_shape(op, Pass::kForward));
        add(part + "_b", kernel_shape(op, Pass::kBackwardInput));
        add(part + "_w", kernel_shape(op, Pass::kBackwardWeight));
        if (recomputed(op, sc.plan.recompute)) add(part + "_b", kernel_shape(op, Pass::kForward));
      }
    }
    if (does_all_to_all(u, sc.model)) {
      // As predicted_component_times sums them: each DeepEP call's payload and its notify.
      const CommTimes& c = w.comm;
      const std::tuple<const char*, Nanoseconds, Nanoseconds> calls[] = {
          {"dispatch_f", c.dispatch, c.notify_dispatch},
          {"dispatch_b", c.combine_backward, c.notify_combine},
          {"combine_f", c.combine, c.notify_combine},
          {"combine_b", c.dispatch_backward, c.notify_combine}};
      for (const auto& [component, payload, notify] : calls) {
        out[component]["deepep_payload"] += payload * w.passes;
        // The layout kernel inside dispatch's notify is memory-bound work (CommTimes).
        const Nanoseconds layout =
            std::string_view(component) == "dispatch_f" ? c.notify_layout : Nanoseconds(0);
        out[component]["deepep_notify"] += (notify - layout) * w.passes;
        if (layout.value() > 0) {
          out[component]["memory_bound"] += c.notify_layout_run() * w.passes;
          out[component][kLaunchGaps] += c.notify_layout_launch * w.passes;
        }
      }
    }
  });
  for (auto& [c, groups] : out) w.average(groups);
  return out;
}

std::vector<LayerComponents> layer_components(const Scenario& sc, const CostModel& cm,
                                              const CommTimes& comm) {
  const ParallelPlan& plan = sc.plan;
  const std::vector<LayerWorkload> units =
      build_workload(sc.model, shape_from_plan(plan, sc.cluster.node.gpus_per_node));
  const int sms = sc.cluster.gpu.sms - plan.comm_sms;
  std::vector<LayerComponents> out;
  for (const LayerWorkload& u : units) {
    LayerComponents lc;
    lc.unit = u.layer >= 0 ? "L" + std::to_string(u.layer) : to_string(u.kind);
    lc.kind = to_string(u.kind);
    const PartCost parts[6] = {
        part_cost(u.attention, Pass::kForward, cm, sms, nullptr),
        part_cost(u.attention, Pass::kBackwardInput, cm, sms, &plan.recompute),
        part_cost(u.attention, Pass::kBackwardWeight, cm, sms, nullptr),
        part_cost(u.mlp, Pass::kForward, cm, sms, nullptr),
        part_cost(u.mlp, Pass::kBackwardInput, cm, sms, &plan.recompute),
        part_cost(u.mlp, Pass::kBackwardWeight, cm, sms, nullptr)};
    lc.attention_f = parts[0].time, lc.attention_b = parts[1].time, lc.attention_w = parts[2].time;
    lc.mlp_f = parts[3].time, lc.mlp_b = parts[4].time, lc.mlp_w = parts[5].time;
    for (const PartCost& p : parts) {
      lc.non_gemm += p.non_gemm;
      lc.kernels += p.kernels;
    }
    if (does_all_to_all(u, sc.model)) {
      lc.dispatch_f = comm.dispatch, lc.dispatch_b = comm.combine_backward;
      lc.combine_f = comm.combine, lc.combine_b = comm.dispatch_backward;
      lc.notify = comm.notify_dispatch + comm.notify_combine * 3;
      // Layout + notify_dispatch, then dispatch and combine forward; three cached notifies and
      // their payload kernels in backward and forward combine.
      lc.kernels += 2 + 1 + 3 * 2 + 1;
    }
    out.push_back(std::move(lc));
  }
  return out;
}

StagePlacement stage_placement(const Scenario& sc, const CostModel& cm) {
  const int sms = sc.cluster.gpu.sms - sc.plan.comm_sms;
  const RecomputeConfig& rc = sc.plan.recompute;
  auto unit_time = [&](const LayerWorkload& u) {
    double t = 0;
    for (const auto* part : {&u.attention, &u.mlp}) {
      t += to_seconds(part_cost(*part, Pass::kForward, cm, sms, nullptr).time);
      t += to_seconds(part_cost(*part, Pass::kBackwardInput, cm, sms, &rc).time);
      t += to_seconds(part_cost(*part, Pass::kBackwardWeight, cm, sms, nullptr).time);
    }
    return t;
  };
  return place_stages(sc.model, sc.plan, pipeline_stages(sc.plan), unit_time,
                      sc.cluster.node.gpus_per_node);
}

std::vector<MemoryBreakdown> rank_memory(const Scenario& sc, const RunOptions& options) {
  const CostModel cm(sc.cluster.gpu,
                     options.cost ? *options.cost : default_cost_parameters(sc.cluster.gpu));
  return memory_per_rank(sc, stage_placement(sc, cm));
}

CheckedRun run_checked(const Scenario& sc, const RunOptions& options) {
  validate_plan(sc);
  CheckedRun c;
  c.ranks = rank_memory(sc, options);
  c.memory = worst_rank(c.ranks);
  c.result = run_scenario(sc, options);
  for (const auto& w : plan_warnings(sc)) c.result.warnings.push_back(w);
  if (!c.memory.fits) {
    constexpr double kGiB = 1024.0 * 1024 * 1024;
    std::ostringstream m;
    m.setf(std::ios::fixed);
    m.precision(1);
    m << "memory model: pipeline rank " << c.memory.rank << " needs "
      << static_cast<double>(c.memory.total.value()) / kGiB << " GiB of "
      << static_cast<double>(c.memory.capacity.value()) / kGiB
      << " GiB (see `hopsim memory`); the timing assumes it runs";
    c.result.warnings.push_back(m.str());
  }
  return c;
}

double gpu_power_watts(const GpuProfile& gpu, double compute_utilisation) {
  const double idle = 0.30 * gpu.tdp_watts;
  const double u = std::clamp(compute_utilisation, 0.0, 1.0);
  return idle + (gpu.tdp_watts - idle) * u;
}

PipelineProgram build_pipeline_program(const Scenario& sc, const CostModel& cm,
                                       const CommTimes& comm, int stages,
                                       std::vector<int>* layers_per_stage, bool expected_stragglers,
                                       bool shared_network) {
  const ParallelPlan& plan = sc.plan;
  const std::vector<LayerWorkload> units =
      build_workload(sc.model, shape_from_plan(plan, sc.cluster.node.gpus_per_node));
  const auto stage_units = assign_to_stages(sc, cm, units, stages, layers_per_stage);

  // With no SMs reserved, communication kernels time-share the whole GPU with compute: they run
  // on the compute lane (no overlap) and get every SM's worth of bandwidth.
  const int comm_sms = plan.comm_sms;
  const int compute_sms = sc.cluster.gpu.sms - comm_sms;
  const Lane comm_lane = comm_sms > 0 ? Lane::kComm : Lane::kCompute;
  const RecomputeConfig& rc = plan.recompute;

  // Variation (docs/COST_MODEL.md "Variation"). A DeepEP notify ends when the slowest peer of
  // the EP group arrives, and the busiest receiver sets the end of each payload phase. In
  // symmetry mode each notify waits the expected slowest of EP draws of the compute before it
  // (kernel-time variation over all of it, routing over its routed-expert part, independent),
  // and each payload lasts as long as the expected busiest receiver's; full mode draws both per
  // rank instead (ExecutorOptions).
  const VariationConfig& var = plan.variation;
  const double slowest = expected_stragglers ? expected_max_normal(std::max(1, plan.ep)) : 0.0;
  const double busiest = 1.0 + var.routing_cv * slowest;
  auto straggler_wait = [&](Nanoseconds compute, Nanoseconds routed) {
    const double k = var.kernel_time_cv * static_cast<double>(compute.value());
    const double r = var.routing_cv * static_cast<double>(routed.value());
    return Nanoseconds(static_cast<std::int64_t>(std::llround(slowest * std::hypot(k, r))));
  };

  PipelineProgram prog;
  prog.pp_forward_transfer = comm.pp_forward;
  prog.pp_backward_transfer = comm.pp_backward;
  prog.network.shared = shared_network;
  prog.overlap_grad_reduce = plan.overlap_grad_reduce;
  prog.network.nic_capacity = comm.nic_capacity;
  prog.network.nvlink_capacity = comm.nvlink_capacity;
  prog.network.pp_over_nic = comm.pp_over_nic;
  prog.network.pp_forward = comm.pp_traffic;
  prog.network.pp_backward = comm.pp_traffic;
  if (comm_sms > 0) {
    prog.network.comm_hbm_bytes_per_wire_byte = cm.parameters().comm_hbm_bytes_per_wire_byte;
    prog.network.hbm_bandwidth = sc.cluster.gpu.hbm_bandwidth.value();
  }
  // ZeRO / DDP gradient sync: dense gradients over DP, expert gradients over the experts' DP.
  const int grad_bytes = bytes_of(plan.optimizer.gradients);
  const DpSyncRate& dense_rate = comm.dense_sync;
  const DpSyncRate& expert_rate = comm.expert_sync;
  // A port only the gradient sync crosses (DP across nodes with EP inside one and PP1) has no
  // capacity from the other communication: take it from the sync's own collective, else the
  // port would run at the 1 B/s placeholder and the step never end.
  for (const DpSyncRate& r : {dense_rate, expert_rate}) {
    prog.network.nic_capacity = std::max(prog.network.nic_capacity, r.nic_capacity);
    prog.network.nvlink_capacity = std::max(prog.network.nvlink_capacity, r.nvlink_capacity);
  }
  auto dp_bucket = [&](const LayerWorkload& u, ChunkProgram& chunk) {
    const int block = u.kind == LayerKind::kEmbedding ? kEmbeddingBlock
                      : u.kind == LayerKind::kHead    ? kHeadBlock
                                                      : u.layer;
    const BlockParameters bp = block_parameters(sc.model, plan, block);
    PortTraffic t;
    double seconds = 0;
    Nanoseconds latency{0};
    for (const auto& [params, rate] : {std::pair{bp.dense, dense_rate}, {bp.expert, expert_rate}}) {
      const double bytes = static_cast<double>(params) * grad_bytes;
      if (bytes <= 0 || rate.seconds_per_byte <= 0) continue;
      t.nic_bytes += bytes * rate.nic_per_byte;
      t.nvlink_bytes += bytes * rate.nvlink_per_byte;
      latency += rate.latency;
      seconds += bytes * rate.seconds_per_byte;
    }
    t.latency = latency;
    chunk.dp_sync.push_back(t);
    chunk.dp_sync_time.push_back(t.empty() ? Nanoseconds(0) : latency + from_seconds_ceil(seconds));
  };

  for (const auto& mine : stage_units) {
    ChunkProgram chunk;
    for (const LayerWorkload* u : mine) dp_bucket(*u, chunk);
    int slot = 0;
    // Of the chain being built: the compute the next notify waits on, and its routed part.
    Nanoseconds last_compute{0};
    Nanoseconds last_routed{0};
    auto comp = [&](std::vector<SubOp>& out, std::string name, const PartCost& c, Component part) {
      if (c.time.value() == 0) return;
      SubOp so;
      so.name = std::move(name);
      so.duration = c.time;
      so.flops = c.flops;
      so.component = part;
      so.slot = slot;
      so.memory_bound = c.non_gemm;
      so.launch = c.launch;
      so.routed = c.routed;
      so.kernels = c.kernels;
      so.parts = c.parts;
      out.push_back(std::move(so));
      if (&out != &chunk.backward_weight) {
        last_compute = c.time;
        last_routed = c.routed;
      }
    };
    // A DeepEP call: its notify phase, then its payload; both synchronise the EP group.
    // `with_layout`: the forward dispatch, whose notify starts with DeepEP's layout kernel.
    auto ep = [&](std::vector<SubOp>& out, const std::string& name, Nanoseconds notify,
                  Nanoseconds payload, PortTraffic traffic, Component part,
                  bool with_layout = false) {
      const Nanoseconds notify_launch = with_layout ? comm.notify_layout_launch : Nanoseconds(0);
      const Component n =
          part == Component::kDispatch ? Component::kNotifyDispatch : Component::kNotifyCombine;
      notify += straggler_wait(last_compute, last_routed);
      payload = scaled(payload, busiest);
      traffic = traffic.with_bytes_scaled(busiest);
      last_compute = last_routed = Nanoseconds(0);
      SubOp call;  // what the notify and the payload sub-ops share
      call.lane = comm_lane;
      call.cls = WorkClass::kEpComm;
      call.collective = true;
      call.slot = slot;
      if (notify.value() > 0) {
        SubOp so = call;
        so.name = name + ".notify";
        so.duration = notify;
        so.component = n;
        so.launch = notify_launch;
        so.kernels = notify_launch.value() > 0 ? 1 : 0;
        if (with_layout && comm.notify_layout.value() > 0) {
          // The forward dispatch's notify starts with DeepEP's layout kernel, launch included
          // (CommTimes): a trace shows the two as get_dispatch_layout and notify_dispatch.
          const Nanoseconds layout = comm.notify_layout_run();
          so.parts = {
              {"get_dispatch_layout", "deepep_layout", layout, 1, false, false},
              {"notify_dispatch", "deepep_notify", notify - comm.notify_layout, 1, false, false}};
        }
        out.push_back(std::move(so));
      }
      if (payload.value() > 0) {
        SubOp so = call;
        so.name = name;
        so.duration = payload;
        so.component = part;
        so.traffic = traffic;
        out.push_back(std::move(so));
      }
    };
    // A TP all-reduce belongs to the part it follows (DualPipe pairs keep it with that part); it
    // blocks the chain like the NCCL call it models.
    auto tp = [&](std::vector<SubOp>& out, const std::string& name, Component part) {
      if (comm.tp_allreduce.value() <= 0) return;
      SubOp so;
      so.name = name;
      so.lane = comm_lane;
      so.cls = WorkClass::kTpComm;
      so.duration = comm.tp_allreduce;
      so.component = part;
      so.slot = slot;
      so.traffic = comm.tp_traffic;
      out.push_back(std::move(so));
    };
    for (const LayerWorkload* u : mine) {
      const std::string tag = u->layer >= 0 ? "L" + std::to_string(u->layer) : to_string(u->kind);
      const bool moe = does_all_to_all(*u, sc.model);
      comp(chunk.forward, tag + ".attn",
           part_cost(u->attention, Pass::kForward, cm, compute_sms, nullptr, true),
           Component::kAttention);
      tp(chunk.forward, tag + ".attn.allreduce", Component::kAttention);
      if (moe) {
        ep(chunk.forward, tag + ".dispatch", comm.notify_dispatch, comm.dispatch,
           comm.dispatch_traffic, Component::kDispatch, true);
      }
      comp(chunk.forward, tag + ".mlp",
           part_cost(u->mlp, Pass::kForward, cm, compute_sms, nullptr, true), Component::kMlp);
      tp(chunk.forward, tag + ".mlp.allreduce", Component::kMlp);
      if (moe) {
        ep(chunk.forward, tag + ".combine", comm.notify_combine, comm.combine, comm.combine_traffic,
           Component::kCombine);
      }
      ++slot;
    }
    chunk.layer_slots_end = slot;
    for (const LayerWorkload* u : mine) {
      if (u->kind == LayerKind::kEmbedding) ++chunk.layer_slots_begin;
      if (u->kind == LayerKind::kHead) --chunk.layer_slots_end;
    }
    last_compute = last_routed = Nanoseconds(0);
    for (auto it = mine.rbegin(); it != mine.rend(); ++it) {
      --slot;
      const LayerWorkload* u = *it;
      const std::string tag = u->layer >= 0 ? "L" + std::to_string(u->layer) : to_string(u->kind);
      const bool moe = does_all_to_all(*u, sc.model);
      // Backward DeepEP calls reuse the forward layout (`cached_notify`: a barrier).
      if (moe) {
        ep(chunk.backward_input, tag + ".combine.bwd", comm.notify_combine, comm.dispatch_backward,
           comm.dispatch_traffic, Component::kCombine);
      }
      comp(chunk.backward_input, tag + ".mlp.B",
           part_cost(u->mlp, Pass::kBackwardInput, cm, compute_sms, &rc, true), Component::kMlp);
      tp(chunk.backward_input, tag + ".mlp.B.allreduce", Component::kMlp);
      if (moe) {
        ep(chunk.backward_input, tag + ".dispatch.bwd", comm.notify_combine, comm.combine_backward,
           comm.combine_traffic, Component::kDispatch);
      }
      comp(chunk.backward_input, tag + ".attn.B",
           part_cost(u->attention, Pass::kBackwardInput, cm, compute_sms, &rc, true),
           Component::kAttention);
      tp(chunk.backward_input, tag + ".attn.B.allreduce", Component::kAttention);
      comp(chunk.backward_weight, tag + ".mlp.W",
           part_cost(u->mlp, Pass::kBackwardWeight, cm, compute_sms, nullptr, true),
           Component::kMlp);
      comp(chunk.backward_weight, tag + ".attn.W",
           part_cost(u->attention, Pass::kBackwardWeight, cm, compute_sms, nullptr, true),
           Component::kAttention);
    }
    prog.stages.push_back(std::move(chunk));
  }
  return prog;
}

namespace {

// Streams sub-op events as Chrome-trace slices: a process per pipeline rank, a thread per lane.
class TimelineSink {
 public:
  //! `replicas`: the pipeline replicas to show, in order; replica k's rank r is process
  //! k * ranks + r (replica 0 alone: process r, as in symmetry mode).
  TimelineSink(std::ostream& out, int ranks, const std::vector<int>& replicas, int compute_sms,
               int comm_sms, const PipelineProgram& program)
      : program_(program),
        w_(out),
        ranks_(ranks),
        slot_(static_cast<std::size_t>(*std::max_element(replicas.begin(), replicas.end()) + 1),
              -1),
        compute_sms_(compute_sms),
        comm_sms_(comm_sms),
        net_(program.network) {
    for (std::size_t k = 0; k < replicas.size(); ++k) {
      slot_[static_cast<std::size_t>(replicas[k])] = static_cast<int>(k);
      const std::string of = replicas.size() == 1 && replicas[0] == 0
                                 ? std::string()
                                 : ", pipeline replica " + std::to_string(replicas[k]);
      for (int r = 0; r < ranks; ++r) {
        const int pid = static_cast<int>(k) * ranks + r;
        w_.process_name(pid, "GPU rank " + std::to_string(r) + " (pipeline rank" + of + ")");
        w_.thread_name(pid, 0, "compute SM partition");
        w_.thread_name(pid, 1, "communication SM partition");
        if (replicas[k] == 0) w_.thread_name(pid, 2, "data parallel / optimizer");
        w_.thread_name(pid, 4, "link: PP send");
      }
    }
  }
  //! The trace process of (replica, rank), or -1 when that replica is not shown.
  [[nodiscard]] int pid(int replica, int rank) const {
    if (replica < 0 || static_cast<std::size_t>(replica) >= slot_.size()) return -1;
    const int k = slot_[static_cast<std::size_t>(replica)];
    return k < 0 ? -1 : k * ranks_ + rank;
  }
  void transfer(const TransferEvent& t) {
    const int from = pid(t.replica, t.from_rank);
    if (from < 0) return;
    const int to = pid(t.replica, t.to_rank);
    const std::string name = std::string(t.forward ? "activations" : "gradients") + " -> rank " +
                             std::to_string(t.to_rank);
    w_.complete(from, 4, name, "pp_comm", t.start, t.end - t.start);
    // An arrow from the send to the compute that waits for it on the receiving rank.
    w_.flow(++flows_, name, from, 4, t.start, to, 0, t.end);
    const PortTraffic& p = t.forward ? net_.pp_forward : net_.pp_backward;
    load(from, t.start, t.end, net_.pp_over_nic ? p.nic_bytes : 0.0,
         net_.pp_over_nic ? 0.0 : p.nvlink_bytes);
  }
  //! Counter tracks of each rank's NIC and NVLink send ports: the share of the port's capacity
  //! that EP payloads and PP sends use over time (the DP sync is on its own track).
  void write_counters() {
    std::sort(loads_.begin(), loads_.end(), [](const Load& a, const Load& b) {
      return std::tie(a.pid, a.port, a.t) < std::tie(b.pid, b.port, b.t);
    });
    static constexpr const char* kName[] = {"NIC send (% of port; EP + PP)",
                                            "NVLink send (% of port; EP + PP)"};
    const double cap[] = {net_.nic_capacity, net_.nvlink_capacity};
    double sum = 0;
    for (std::size_t i = 0; i < loads_.size(); ++i) {
      const Load& l = loads_[i];
      if (i == 0 || l.pid != loads_[i - 1].pid || l.port != loads_[i - 1].port) sum = 0;
      sum += l.rate;
      const bool last_at_t = i + 1 == loads_.size() || loads_[i + 1].pid != l.pid ||
                             loads_[i + 1].port != l.port || loads_[i + 1].t != l.t;
      if (!last_at_t || !(cap[l.port] > 0)) continue;
      // Sums of +rate and -rate leave rounding dust where a port falls idle. Transfers that
      // overlap are each shown at their average rate; where those add up past the port, the
      // flows were sharing it at its capacity (max-min fairness), so the port shows 100%.
      const double pct =
          std::abs(sum) < 1e-6 * cap[l.port] ? 0.0 : std::min(100.0, 100.0 * sum / cap[l.port]);
      w_.counter(l.pid, kName[l.port], l.t, std::round(pct * 10) / 10);
    }
  }
  //! A counter track per rank of the HBM in use: `held[rank]`'s weights, gradients, optimizer
  //! state and loss logits, plus one activation_per_micro_batch for each (micro-batch, stage)
  //! whose forward has started and whose input gradient has not finished (the accounting of the
  //! DeepSeek-V3 report's Table 2: W does not hold activations).
  void write_memory(const std::vector<MemoryBreakdown>& held) {
    std::sort(acts_.begin(), acts_.end(), [](const Act& a, const Act& b) {
      return std::tie(a.pid, a.t, a.delta) < std::tie(b.pid, b.t, b.delta);  // frees first
    });
    int live = 0;
    for (std::size_t i = 0; i < acts_.size(); ++i) {
      const Act& a = acts_[i];
      if (i == 0 || a.pid != acts_[i - 1].pid) live = 0;
      live += a.delta;
      if (i + 1 < acts_.size() && acts_[i + 1].pid == a.pid && acts_[i + 1].t == a.t) continue;
      const MemoryBreakdown& m = held[static_cast<std::size_t>(a.pid % ranks_)];
      const double bytes = static_cast<double>((m.weights + m.gradients + m.master_weights +
                                                m.optimizer_moments + m.loss_activations)
                                                   .value()) +
                           live * static_cast<double>(m.activation_per_micro_batch.value());
      w_.counter(a.pid, "HBM in use (GiB)", a.t, std::round(bytes / (1 << 30) * 100) / 100);
    }
  }

  void operator()(const SubOpEvent& e) {
    const int proc = pid(e.replica, e.rank);
    if (proc < 0) return;
    activations(proc, e);
    static constexpr const char* kCls[] = {"compute", "ep_comm", "pp_comm", "dp_comm", "tp_comm"};
    // What the slice did and how fast: FLOPs and achieved TFLOPS for compute, bytes through the
    // ports and achieved GB/s for communication, and the SMs of the partition it ran on.
    std::ostringstream args;
    const double seconds = to_seconds(e.end - e.start);
    const bool comm_lane = e.lane == Lane::kComm;
    args << "{\"mb\":" << e.part.micro_batch << ",\"dir\":" << e.part.direction
         << ",\"stage\":" << e.part.stage << ",\"sms\":" << (comm_lane ? comm_sms_ : compute_sms_);
    const double flops = e.op->flops.value();
    if (flops > 0) {
      args << ",\"flops\":" << fmt("%.6g", flops);
      if (seconds > 0) args << ",\"tflops\":" << fmt("%.1f", flops / seconds / 1e12);
    }
    if (e.stretch.routed_load != 1.0) {
      args << ",\"routed_load\":" << fmt("%.4f", e.stretch.routed_load);
    }
    const PortTraffic moved = e.op->traffic.with_bytes_scaled(e.traffic_scale);
    const double bytes = moved.nic_bytes + moved.nvlink_bytes;
    if (bytes > 0) {
      args << ",\"bytes\":" << fmt("%.0f", bytes);
      if (seconds > 0) args << ",\"gb_per_s\":" << fmt("%.1f", bytes / seconds / 1e9);
    }
    args << "}";
    const std::string name =
        e.op->name + (e.part.direction ? " d1.mb" : " mb") + std::to_string(e.part.micro_batch);
    w_.complete(proc, static_cast<int>(e.lane), name, kCls[static_cast<int>(e.cls)], e.start,
                e.end - e.start, args.str());
    if (e.cls == WorkClass::kEpComm && seconds > 0) {
      load(proc, e.start, e.end, moved.nic_bytes, moved.nvlink_bytes);
    }
    // An arrow from each payload that brings tokens (forward dispatch) or their gradients
    // (backward of combine) to the experts, to the expert computation that waits for it.
    const auto key = std::make_tuple(proc, e.part.direction, e.part.micro_batch, e.part.stage,
                                     e.op->slot, e.backward);
    const Component to_experts = e.backward ? Component::kCombine : Component::kDispatch;
    if (e.cls == WorkClass::kEpComm && e.op->component == to_experts && !e.op->traffic.empty()) {
      to_experts_[key] = {e.start, static_cast<int>(e.lane)};
    } else if (e.cls == WorkClass::kCompute && e.op->component == Component::kMlp) {
      const auto it = to_experts_.find(key);
      if (it != to_experts_.end()) {
        w_.flow(++flows_, e.backward ? "gradients to experts" : "tokens to experts", proc,
                it->second.second, it->second.first, proc, static_cast<int>(e.lane), e.start);
        to_experts_.erase(it);
      }
    }
  }
  ChromeTraceWriter& writer() { return w_; }

 private:
  // A transfer's average rate on a GPU's port (trace process `pid`) from start to end, as +rate
  // and -rate steps.
  struct Load {
    int pid;
    int port;  // 0 NIC, 1 NVLink
    Nanoseconds t;
    double rate;  // bytes per second
  };
  void load(int pid, Nanoseconds start, Nanoseconds end, double nic, double nvlink) {
    const double s = to_seconds(end - start);
    if (!(s > 0)) return;
    for (const auto& [port, bytes] : {std::pair{0, nic}, std::pair{1, nvlink}}) {
      if (bytes <= 0) continue;
      loads_.push_back(Load{pid, port, start, bytes / s});
      loads_.push_back(Load{pid, port, end, -bytes / s});
    }
  }

  // Activations of (micro-batch, stage) on a trace process: held from the start of the
  // forward's first sub-op to the end of the input gradient's last.
  struct Act {
    int pid;
    Nanoseconds t;
    int delta;
  };
  void activations(int proc, const SubOpEvent& e) {
    const auto key = std::make_tuple(proc, e.part.direction, e.part.micro_batch, e.part.stage);
    if (!e.backward) {
      if (live_.insert(key).second) acts_.push_back(Act{proc, e.start, +1});
      return;
    }
    const auto& bi = program_.stages[static_cast<std::size_t>(e.part.stage)].backward_input;
    if (bi.empty() || e.op < bi.data() || e.op >= bi.data() + bi.size()) return;  // W
    if (++input_grads_[key] < static_cast<int>(bi.size()) || live_.erase(key) == 0) return;
    input_grads_.erase(key);
    acts_.push_back(Act{proc, e.end, -1});
  }

  const PipelineProgram& program_;
  std::set<std::tuple<int, int, int, int>> live_;
  std::map<std::tuple<int, int, int, int>, int> input_grads_;  // input-gradient sub-ops seen
  std::vector<Act> acts_;
  ChromeTraceWriter w_;
  int ranks_ = 0;
  std::vector<int> slot_;  // per replica: its place in the trace, -1 when not shown
  int compute_sms_ = 0;
  int comm_sms_ = 0;
  const StepNetwork& net_;
  std::uint64_t flows_ = 0;
  std::vector<Load> loads_;
  // Payloads to the experts whose expert computation has not been seen yet: (process,
  // direction, micro-batch, stage, layer slot, backward) -> (payload start, its lane).
  std::map<std::tuple<int, int, int, int, int, bool>, std::pair<Nanoseconds, int>> to_experts_;
};

// The pipeline replicas a trace shows, sorted and without repeats: RunOptions::trace_replicas
// (replica 0 when empty) or every replica. PlanError for one the mode does not simulate.
std::vector<int> traced_replicas(const ParallelPlan& plan, const RunOptions& options) {
  const int replicas = options.mode == SimMode::kFull ? plan.dp * plan.tp : 1;
  std::vector<int> shown = options.trace_replicas;
  if (options.trace_all_replicas) {
    shown.clear();
    for (int k = 0; k < replicas; ++k) shown.push_back(k);
  }
  if (shown.empty()) shown.push_back(0);
  std::sort(shown.begin(), shown.end());
  shown.erase(std::unique(shown.begin(), shown.end()), shown.end());
  for (int k : shown) {
    if (k < 0 || k >= replicas) {
      throw PlanError(
          "trace replica " + std::to_string(k) + " does not exist: " +
          (options.mode == SimMode::kFull
               ? "full mode simulates replicas 0.." + std::to_string(replicas - 1) + " (DP x TP)"
               : std::string("symmetry mode simulates replica 0 only; use full "
                             "mode to trace others")));
    }
  }
  return shown;
}

// The plan's pipeline schedule: what the simulated step and the exported graph both run.
Schedule schedule_of(const ParallelPlan& plan) {
  return make_schedule(plan.schedule, ScheduleOptions{plan.pp, plan.micro_batches,
                                                      plan.virtual_stages, plan.fb_overlap});
}

}  // namespace

std::map<int, std::vector<int>> scenario_execution_graph(const Scenario& sc, int replicas,
                                                         const GraphGpuSink& on_gpu,
                                                         const RunOptions& options) {
  const ParallelPlan& plan = sc.plan;
  const int most = plan.dp * plan.tp;
  const int ep = std::max(1, plan.ep);
  if (replicas != 1 && (replicas < 1 || replicas > most || replicas % ep != 0)) {
    throw PlanError("execution graph: " + std::to_string(replicas) +
                    " pipeline replicas: expected 1 or a multiple of EP (" + std::to_string(ep) +
                    ") up to DP*TP (" + std::to_string(most) + ")");
  }
  const CostModel cm(sc.cluster.gpu,
                     options.cost ? *options.cost : default_cost_parameters(sc.cluster.gpu));
  const CommTimes comm = communication_times(sc, cm);
  PipelineProgram program =
      build_pipeline_program(sc, cm, comm, pipeline_stages(plan), nullptr, true, false);
  program.network.comm_hbm_bytes_per_wire_byte = 0;
  const Schedule schedule = schedule_of(plan);
  return build_execution_graph(schedule, program, replicas, replicas == 1 ? 1 : ep, on_gpu);
}

ExecutionGraph scenario_execution_graph(const Scenario& sc, int replicas,
                                        const RunOptions& options) {
  ExecutionGraph g;
  g.groups = scenario_execution_graph(
      sc, replicas,
      [&g](int, std::vector<GraphNode>&& nodes) { g.gpus.push_back(std::move(nodes)); }, options);
  return g;
}

SimResult run_scenario(const Scenario& sc, const RunOptions& options) {
  const ParallelPlan& plan = sc.plan;
  const GpuProfile& gpu = sc.cluster.gpu;
  if (plan.comm_sms < 0 || plan.comm_sms >= gpu.sms) {
    throw PlanError("plan.comm_sms = " + std::to_string(plan.comm_sms) + " must be in 0.." +
                    std::to_string(gpu.sms - 1) + " (the GPU has " + std::to_string(gpu.sms) +
                    " SMs)");
  }
  SimResult res;
  res.scenario = sc.name;
  res.mode = options.mode;
  res.variation = plan.variation;
  res.comm_sms = plan.comm_sms;
  res.compute_sms = gpu.sms - plan.comm_sms;
  const CostModel cm(gpu, options.cost ? *options.cost : default_cost_parameters(gpu));
  res.cost_source = cm.parameters().source;

  const int stages = pipeline_stages(plan);
  const Schedule schedule = schedule_of(plan);
  // A search that already knows better plans: if this plan's compute alone passes its bound,
  // stop before the network is modelled (the collectives cost more than the compute bound).
  if (options.stop_after.value() > 0 && options.mode == SimMode::kSymmetry) {
    const PipelineProgram compute_only =
        build_pipeline_program(sc, cm, CommTimes{}, stages, &res.layers_per_stage, true, false);
    if (compute_lower_bound(schedule, compute_only) > options.stop_after) {
      res.stopped = true;
      res.pipeline_time = res.step_time = options.stop_after;
      return res;
    }
  }
  res.comm = communication_times(sc, cm);
  const auto program_ptr = std::make_shared<const PipelineProgram>(
      build_pipeline_program(sc, cm, res.comm, stages, &res.layers_per_stage,
                             options.mode == SimMode::kSymmetry, options.shared_network));
  const PipelineProgram& program = *program_ptr;

  ExecutorOptions eo;
  if (options.mode == SimMode::kFull) {
    const int replicas = plan.dp * plan.tp;
    const int group = std::max(1, plan.ep);
    if (replicas % group != 0) {
      throw PlanError("full mode: EP (" + std::to_string(plan.ep) + ") must divide DP*TP (" +
                      std::to_string(replicas) + ")");
    }
    eo.replicas = replicas;
    eo.collective_group = group;
    eo.replica_compute_scale = options.replica_compute_scale;
    eo.kernel_time_cv = plan.variation.kernel_time_cv;
    eo.routing_cv = plan.variation.routing_cv;
    eo.seed = plan.variation.seed;
    eo.on_group_done = options.progress;
  }
  std::optional<TimelineSink> sink;
  if (options.trace != nullptr) {
    sink.emplace(*options.trace, plan.pp, traced_replicas(plan, options), gpu.sms - plan.comm_sms,
                 plan.comm_sms, program);
  }
  if (sink || options.collect_timeline) {
    const bool collect = options.collect_timeline;
    eo.on_transfer = [&sink, &res, collect](const TransferEvent& t) {
      if (sink) sink->transfer(t);
      if (collect && t.replica == 0) res.transfers.push_back(t);
    };
  }
  if (sink || options.collect_timeline) {
    const bool collect = options.collect_timeline;
    eo.on_sub_op = [&sink, &res, collect](const SubOpEvent& e) {
      if (sink) (*sink)(e);
      if (collect && e.replica == 0) {
        res.timeline.push_back(TimelineSlice{e.rank, e.lane, e.op->cls, e.type, e.backward,
                                             e.part.micro_batch, e.part.direction, e.part.stage,
                                             e.start, e.end, e.op, e.stretch});
      }
    };
  }
  eo.stop_after = options.stop_after;
  res.execution = execute_pipeline(schedule, program, eo);
  res.pipeline_time = res.execution.makespan;
  if (res.execution.stopped) {
    res.stopped = true;
    res.step_time = res.pipeline_time;
    return res;
  }
  if (options.collect_timeline) res.program = program_ptr;
  res.layers = layer_components(sc, cm, res.comm);
  for (const RankStats& r : res.execution.ranks) {
    std::vector<Nanoseconds> t = r.pair_times;
    if (t.empty()) {
      res.pair_time_per_rank.push_back(Nanoseconds(0));
      continue;
    }
    std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end());
    res.pair_time_per_rank.push_back(t[t.size() / 2]);
  }

  // Data parallelism. ZeRO-1: gradients reduce-scattered over DP, parameters all-gathered after
  // the optimizer step. The reduce-scatter of the last stage chunk to finish backward is what
  // cannot hide behind compute; earlier chunks overlap the remaining backward.
  // The gradient reduce-scatter ran on the step's engine, bucketed per block (pipeline
  // executor); what outlasted the pipeline is exposed.
  const std::vector<MemoryBreakdown> held = memory_per_rank(sc, stage_placement(sc, cm));
  res.dp_exposed = std::max(Nanoseconds(0), res.execution.dp_sync_end - res.pipeline_time);
  res.optimizer_time = optimizer_time(sc, cm, held);
  res.step_time = res.pipeline_time + res.dp_exposed + res.optimizer_time;
  if (sink) {
    ChromeTraceWriter& w = sink->writer();
    // The DP lane is replica 0's (the executor keeps per-rank statistics for it alone).
    for (int r = 0; r < plan.pp; ++r) {
      const int pid = sink->pid(0, r);
      if (pid < 0) break;
      const RankStats& st = res.execution.ranks[static_cast<std::size_t>(r)];
      if (st.dp_sync_end > st.dp_sync_start) {
        w.complete(pid, 2, "DP gradient reduce-scatter", "dp_comm", st.dp_sync_start,
                   st.dp_sync_end - st.dp_sync_start);
      }
      w.complete(pid, 2, "optimizer + param all-gather", "optimizer",
                 res.pipeline_time + res.dp_exposed, res.optimizer_time);
    }
    sink->write_counters();
    sink->write_memory(held);
    w.finish();
  }

  const double step_s = to_seconds(res.step_time);
  const int world = plan.world_size();
  res.tokens_per_step = static_cast<double>(plan.tokens_per_step());
  res.tokens_per_second = res.tokens_per_step / step_s;
  res.tokens_per_second_per_gpu = res.tokens_per_second / world;
  const FlopsPerToken fpt = training_flops(sc.model, plan.seq_len, sc.model.mtp_depth > 0);
  res.model_flops_per_step = fpt.total().value() * res.tokens_per_step;
  res.tflops_per_gpu = res.model_flops_per_step / step_s / world / kTera;
  res.mfu_bf16 = res.tflops_per_gpu * kTera / gpu.bf16_dense.value();
  res.mfu_fp8 = res.tflops_per_gpu * kTera / gpu.fp8_dense.value();

  // Summed in integer ns: the bubble is what is left of the pipeline's time, exactly 0 when
  // nothing is left (a sum of doubles left float dust such as 8.8e-17 there).
  Nanoseconds busy_compute{0}, busy_comm{0}, exposed{0};
  for (const auto& r : res.execution.ranks) {
    busy_compute += r.compute_busy;
    busy_comm += r.lane_busy[1];
    exposed += r.exposed_comm;
  }
  const auto n = static_cast<std::int64_t>(res.execution.ranks.size());
  const double rank_s = to_seconds(res.step_time) * static_cast<double>(n);
  res.compute_utilisation = to_seconds(busy_compute) / rank_s;
  res.comm_utilisation = to_seconds(busy_comm) / rank_s;
  res.exposed_comm_fraction = to_seconds(exposed) / rank_s;
  const Nanoseconds idle = res.pipeline_time * n - busy_compute - exposed;
  res.bubble_fraction = to_seconds(std::max(Nanoseconds(0), idle)) / rank_s;

  // Cost per trillion tokens, of the wall-clock time a run takes: interruptions stretch it by
  // 1 / (effective training time), the hours lost costing (and drawing power) like the rest.
  const double steps_per_trillion = 1e12 / res.tokens_per_step;
  res.effective_training_time = effective_training_time(sc.cost, world);
  // run_checked refuses this before (plan_errors); a direct caller gets the same located message.
  if (auto m = interruptions_error(sc, world)) throw PlanError(*m);
  const double wall_s = steps_per_trillion * step_s / res.effective_training_time;
  res.gpu_hours_per_trillion = wall_s * world / 3600.0;
  res.days_per_trillion = wall_s / 86400.0;
  res.dollars_per_trillion = res.gpu_hours_per_trillion * sc.cost.price_per_gpu_hour;
  res.avg_power_watts = gpu_power_watts(gpu, res.compute_utilisation);
  res.energy_kwh_per_trillion =
      res.gpu_hours_per_trillion * res.avg_power_watts / 1000.0 * sc.cost.pue;
  return res;
}

}  // namespace hopsim::sim
