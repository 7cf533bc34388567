#include "step_costs.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "hopsim/core/workload/memory.hpp"
#include "hopsim/core/workload/workload.hpp"
#include "hopsim/sim/collective/collective.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::sim {
namespace {

NetworkOptions network_options(const Scenario& sc) {
  NetworkOptions o;
  o.fidelity = Fidelity::kFlow;
  // With no SMs reserved, communication kernels get the whole GPU while they run.
  o.comm_sms = sc.plan.comm_sms > 0 ? sc.plan.comm_sms : sc.cluster.gpu.sms;
  return o;
}

// The part of the cluster a collective spans: the first `gpus` GPUs rounded up to whole nodes.
// Groups are contiguous and the fabric is regular, so a collective over the first nodes costs
// what it costs anywhere; building only those nodes keeps routing cheap for 2048-GPU clusters.
ClusterProfile span(const Scenario& sc, int gpus) {
  ClusterProfile c = sc.cluster;
  const int per_node = std::max(1, c.node.gpus_per_node);
  c.num_nodes = std::clamp((gpus + per_node - 1) / per_node, 1, sc.cluster.num_nodes);
  return c;
}

// The data-parallel group of a stage: DP*TP consecutive GPUs (a stage's GPUs are contiguous,
// so the group spans DP*TP / gpus_per_node nodes).
// Rings are rail-aligned (GroupSpec::rail_aligned), as NCCL arranges them on rail-optimised
// fabrics; a plain 0..n order would send each node-to-node hop across rails through the spine.
GroupSpec dp_group(const Scenario& sc, int size) {
  return GroupSpec::rail_aligned(std::min(size, sc.cluster.num_gpus()),
                                 sc.cluster.node.gpus_per_node);
}

// Pipeline ranks often hold the same number of parameters (DualPipe's middle ranks all do), and a
// ring over a 1024-GPU group builds a 128-node topology: compute each distinct size once.
class RingMemo {
 public:
  template <class F>
  Nanoseconds get(int group, std::int64_t bytes, F compute) {
    const auto key = std::pair{group, bytes};
    const auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    return memo_[key] = compute();
  }

 private:
  std::map<std::pair<int, std::int64_t>, Nanoseconds> memo_;
};

// A collective's traffic through one GPU's ports: its busiest NIC and NVLink links (symmetric
// over the group), and the rest of its time as latency, so that alone it takes exactly `r.time`.
PortTraffic traffic_of(const CollectiveResult& r, CommTimes& t) {
  const auto& nic = r.per_class[static_cast<std::size_t>(LinkClass::kNic)];
  const auto& nvl = r.per_class[static_cast<std::size_t>(LinkClass::kNvlink)];
  PortTraffic p;
  double busy = 0;
  if (nic.busiest_link_bytes.value() > 0 && nic.link_capacity.value() > 0) {
    p.nic_bytes = static_cast<double>(nic.busiest_link_bytes.value());
    t.nic_capacity = nic.link_capacity.value();
    busy = std::max(busy, p.nic_bytes / t.nic_capacity);
  }
  if (nvl.busiest_link_bytes.value() > 0 && nvl.link_capacity.value() > 0) {
    p.nvlink_bytes = static_cast<double>(nvl.busiest_link_bytes.value());
    t.nvlink_capacity = nvl.link_capacity.value();
    busy = std::max(busy, p.nvlink_bytes / t.nvlink_capacity);
  }
  p.latency = std::max(Nanoseconds(0), r.time - from_seconds_ceil(busy));
  return p;
}

}  // namespace

CommTimes communication_times(const Scenario& sc, const CostModel& cm) {
  const ParallelPlan& plan = sc.plan;
  const ModelConfig& m = sc.model;
  CommTimes t;
  const NetworkOptions net = network_options(sc);
  if (m.moe && plan.ep > 1) {
    MoeCommSpec spec;
    spec.ep_ranks = plan.ep;
    spec.tokens_per_rank =
        static_cast<std::int64_t>(plan.micro_batch_size) * plan.seq_len / plan.tp;
    spec.hidden = m.hidden;
    spec.top_k = m.moe->n_activated_experts;
    spec.node_limit = plan.node_limit > 0 ? plan.node_limit : 0;
    spec.num_experts = m.moe->n_routed_experts;
    const bool fp8 = plan.gemm_precision == Precision::kFp8;
    spec.bytes_per_element = fp8 ? 1 : 2;
    spec.scale_bytes = fp8 ? fp8_scale_bytes_per_token(m.hidden) : Bytes(0);
    spec.combine_bytes_per_element = 2;
    spec.comm_sms = net.comm_sms;
    const ClusterProfile ep_span = span(sc, plan.ep);
    const CollectiveResult d = moe_dispatch(ep_span, spec, net);
    const CollectiveResult c = moe_combine(ep_span, spec, net);
    t.dispatch = d.time;
    t.combine = c.time;
    t.dispatch_traffic = traffic_of(d, t);
    t.combine_traffic = traffic_of(c, t);
    t.ep_bottleneck_gbps = d.bottleneck_bandwidth.value() / kGiga;
    t.ep_bottleneck = std::string(to_string(d.bottleneck));
    // Backward (DeepSeek-V3 §3.3.3): the gradient of combine travels the dispatch pattern and is
    // quantised to FP8 like the forward dispatch; the gradient of dispatch returns to the token
    // owners with the combine pattern in BF16.
    t.dispatch_backward = t.dispatch;
    t.combine_backward = t.combine;
    // Notify: the per-rank counts go to every peer of the EP group (NVLink inside the node, RDMA
    // to the other nodes), then a barrier; each is bounded by the farthest peer's latency. The
    // layout kernel reads the T x n_experts routing map once.
    const int far = std::min(plan.ep, sc.cluster.num_gpus()) - 1;
    const Bytes counts(static_cast<std::int64_t>(spec.num_experts) * 4);
    const Nanoseconds exchange = p2p(ep_span, 0, far, counts, net).time;
    KernelShape layout;
    layout.cls = KernelClass::kMemoryBound;
    layout.bytes = Bytes(spec.tokens_per_rank * spec.num_experts + 3 * 4 * spec.num_experts);
    const int layout_sms = sc.plan.comm_sms > 0 ? sc.plan.comm_sms : sc.cluster.gpu.sms;
    // Time multipliers fitted to a measured trace (`calibrate --from-trace`): the payloads as a
    // whole (bandwidth, issue rate and whatever the model leaves out), the count exchanges and
    // barriers apart; the layout kernel is memory-bound work and scales as such (in `cm`).
    const auto& ts = cm.parameters().time_scale;
    const KernelCost layout_cost = cm.cost(layout, layout_sms);
    t.notify_layout = layout_cost.time;
    t.notify_layout_launch = layout_cost.launch;
    t.notify_dispatch = t.notify_layout + scaled(exchange * 2, ts.deepep_notify);
    t.notify_combine = scaled(exchange, ts.deepep_notify);
    t.dispatch = scaled(t.dispatch, ts.deepep_payload);
    t.combine = scaled(t.combine, ts.deepep_payload);
    t.dispatch_backward = scaled(t.dispatch_backward, ts.deepep_payload);
    t.combine_backward = scaled(t.combine_backward, ts.deepep_payload);
    // On the step engine a payload runs as flows over the ports (its bytes at the port rates,
    // then its latency): the same multiplier applies there as bytes and latency.
    for (PortTraffic* p : {&t.dispatch_traffic, &t.combine_traffic}) {
      *p = p->with_bytes_scaled(ts.deepep_payload);
      p->latency = scaled(p->latency, ts.deepep_payload);
    }
  }
  if (plan.tp > 1) {
    // Megatron-style TP: the TP group is tp consecutive GPUs of one node; each all-reduce sums
    // the micro-batch's hidden state (tokens x hidden, BF16).
    const Bytes hidden_state(static_cast<std::int64_t>(plan.micro_batch_size) * plan.seq_len *
                             m.hidden * 2);
    const CollectiveResult ar = all_reduce(span(sc, plan.tp), GroupSpec::contiguous(plan.tp),
                                           hidden_state, Algorithm::kRing, net);
    t.tp_allreduce = ar.time;
    t.tp_traffic = traffic_of(ar, t);
  }
  if (plan.pp > 1) {
    // Consecutive stages sit on different nodes when a stage fills whole nodes (DeepSeek-V3:
    // 128 GPUs per stage); the send goes to the same-rail GPU of the next stage's first node.
    const int stage_gpus = plan.dp * plan.tp;
    const int dst = std::min(stage_gpus, sc.cluster.num_gpus() - 1);
    const Bytes act(static_cast<std::int64_t>(plan.micro_batch_size) * plan.seq_len * m.hidden * 2 /
                    plan.tp);
    const CollectiveResult send = p2p(span(sc, dst + 1), 0, dst, act, net);
    t.pp_forward = send.time;
    t.pp_backward = t.pp_forward;
    t.pp_over_nic = dst / std::max(1, sc.cluster.node.gpus_per_node) > 0;
    t.pp_traffic = traffic_of(send, t);
  }
  t.dense_sync = dp_sync_rate(sc, plan.dp);
  t.expert_sync = dp_sync_rate(sc, plan.dp * plan.tp / std::max(1, plan.ep));
  return t;
}

DpSyncRate dp_sync_rate(const Scenario& sc, int group) {
  DpSyncRate rate;
  if (group <= 1) return rate;
  // Ring reduce-scatter moves (n-1)/n of the buffer through each port: port bytes and time are
  // linear in the size, so one reference size gives the rate for every bucket.
  constexpr double kReference = 1024.0 * 1024.0 * 1024.0;
  const CollectiveResult rs =
      reduce_scatter(span(sc, group), dp_group(sc, group),
                     Bytes(static_cast<std::int64_t>(kReference)), network_options(sc));
  CommTimes scratch;
  const PortTraffic t = traffic_of(rs, scratch);
  rate.nic_per_byte = t.nic_bytes / kReference;
  rate.nvlink_per_byte = t.nvlink_bytes / kReference;
  rate.latency = t.latency;
  rate.seconds_per_byte = std::max(0.0, to_seconds(rs.time - t.latency)) / kReference;
  rate.nic_capacity = scratch.nic_capacity;
  rate.nvlink_capacity = scratch.nvlink_capacity;
  return rate;
}

Nanoseconds optimizer_update_time(const Scenario& sc, const CostModel& cm,
                                  const MemoryBreakdown& mb) {
  const ParallelPlan& plan = sc.plan;
  const auto& opt = plan.optimizer;
  const int dp = std::max(1, plan.dp);
  const int expert_dp = std::max(1, plan.dp * plan.tp / std::max(1, plan.ep));
  // AdamW per parameter: read gradient, read+write master weight and both moments, and, where the
  // master is wider, write the BF16 working copy (the one core/memory counts and the ZeRO
  // all-gather moves); a BF16 master is the working copy.
  const std::int64_t working_copy = bytes_of(opt.master_weights) > 2 ? 2 : 0;
  const std::int64_t per_param = bytes_of(opt.gradients) + 2 * bytes_of(opt.master_weights) +
                                 4 * bytes_of(opt.moments) + working_copy;
  const bool sharded = plan.zero_stage >= 1;
  const std::int64_t local = sharded ? mb.dense_parameters / dp + mb.expert_parameters / expert_dp
                                     : mb.dense_parameters + mb.expert_parameters;
  KernelShape k;
  k.cls = KernelClass::kMemoryBound;
  k.bytes = Bytes(local * per_param);
  return cm.cost(k, sc.cluster.gpu.sms).time;
}

Nanoseconds weight_requant_time(const Scenario& sc, const CostModel& cm,
                                const MemoryBreakdown& mb) {
  if (sc.plan.gemm_precision != Precision::kFp8) return Nanoseconds(0);
  // FP8 GEMMs read their weights in FP8 with one FP32 scale per 128x128 block (DeepSeek-V3 report
  // §3.3.2): once the working copy is whole again, every weight of this rank's FP8 GEMMs is
  // re-quantised (read BF16, write FP8 and the scales); the embedding, the output head, the norms
  // and MTP's projection stay in higher precision (§3.3). The routers' BF16 gate weights (256 x
  // 7168 a layer on DeepSeek-V3, 0.5% of a layer) are counted with the FP8 ones.
  const double weights = static_cast<double>(mb.dense_parameters + mb.expert_parameters -
                                             mb.high_precision_parameters);
  KernelShape k;
  k.cls = KernelClass::kMemoryBound;
  k.memory = MemoryKind::kCast;
  k.bytes = Bytes(static_cast<std::int64_t>(std::llround(weights * (2.0 + kFp8WeightBytes))));
  return cm.cost(k, sc.cluster.gpu.sms).time;
}

Nanoseconds optimizer_time(const Scenario& sc, const CostModel& cm,
                           const std::vector<MemoryBreakdown>& ranks) {
  const ParallelPlan& plan = sc.plan;
  const int dp = std::max(1, plan.dp);
  const int expert_dp = std::max(1, plan.dp * plan.tp / std::max(1, plan.ep));
  const NetworkOptions net = network_options(sc);
  RingMemo memo;
  auto ag_time = [&](int group, std::int64_t bytes) {
    return memo.get(group, bytes, [&] {
      return all_gather(span(sc, group), dp_group(sc, group), Bytes(bytes), net).time;
    });
  };
  Nanoseconds worst{0};
  for (const MemoryBreakdown& mb : ranks) {
    const bool sharded = plan.zero_stage >= 1;
    Nanoseconds t = optimizer_update_time(sc, cm, mb);
    if (sharded && dp > 1) t += ag_time(dp, mb.dense_parameters * 2);
    if (sharded && expert_dp > 1) t += ag_time(expert_dp, mb.expert_parameters * 2);
    t += weight_requant_time(sc, cm, mb);
    worst = std::max(worst, t);
  }
  return worst;
}

}  // namespace hopsim::sim
