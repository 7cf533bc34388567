#include "hopsim/sim/collective/collective.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hopsim/core/error.hpp"

namespace hopsim::sim {
namespace {

// One transfer of a phase: src -> dst over the routed path, or a GPU's loopback through `via`.
struct Transfer {
  int src = 0;
  int dst = 0;
  double bytes = 0;
  bool loopback = false;
  LinkClass via = LinkClass::kNvlink;
};

struct PhaseOutcome {
  Nanoseconds time{0};
  Nanoseconds max_latency{0};
};

// Runs one phase of concurrent transfers and adds their bytes to `link_bytes` (times `repeat`,
// for phases that a collective repeats identically).
//  analytical: time = max route latency + max over links (load / capacity), the collective's
//              bottleneck link;
//  flow:       the transfers start together on a fresh Engine with max-min fair sharing and the
//              phase ends with the last one.
PhaseOutcome run_phase(const Topology& topo, Router& router, const std::vector<double>& caps,
                       Fidelity fidelity, const std::vector<Transfer>& transfers,
                       std::vector<double>& link_bytes, double repeat = 1.0) {
  std::vector<Route> routes;
  routes.reserve(transfers.size());
  PhaseOutcome out;
  for (std::size_t i = 0; i < transfers.size(); ++i) {
    const Transfer& t = transfers[i];
    routes.push_back(t.loopback ? topo.loopback(t.src, t.via, i) : router.route(t.src, t.dst, i));
    out.max_latency = std::max(out.max_latency, routes.back().latency);
    for (LinkId l : routes.back().links) link_bytes[l] += t.bytes * repeat;
  }
  if (fidelity == Fidelity::kAnalytical) {
    std::vector<double> load(caps.size(), 0.0);
    for (std::size_t i = 0; i < transfers.size(); ++i) {
      for (LinkId l : routes[i].links) load[l] += transfers[i].bytes;
    }
    double worst = 0;
    for (std::size_t l = 0; l < load.size(); ++l) worst = std::max(worst, load[l] / caps[l]);
    out.time = out.max_latency + from_seconds_ceil(worst);
    return out;
  }
  Engine engine;
  FlowNetwork flows(engine, caps);
  for (std::size_t i = 0; i < transfers.size(); ++i) {
    const auto b = static_cast<std::int64_t>(std::ceil(transfers[i].bytes));
    flows.start(routes[i].links, Bytes(b), routes[i].latency, [] {});
  }
  engine.run();
  out.time = engine.now();
  return out;
}

LinkClass bottleneck_of(const LinkUsageByClass& u) {
  int best = 0;
  for (int c = 1; c < kNumLinkClasses; ++c) {
    if (u[static_cast<std::size_t>(c)].busiest_link_time >
        u[static_cast<std::size_t>(best)].busiest_link_time) {
      best = c;
    }
  }
  return static_cast<LinkClass>(best);
}

CollectiveResult finish(const Topology& topo, const std::vector<double>& caps,
                        const std::vector<double>& link_bytes, std::string name, int ranks,
                        Bytes bytes, Nanoseconds time, double bus_factor) {
  CollectiveResult r;
  r.algorithm = std::move(name);
  r.ranks = ranks;
  r.bytes_per_rank = bytes;
  r.time = time;
  r.per_class = summarize_usage(topo, caps, link_bytes, time);
  r.bottleneck = bottleneck_of(r.per_class);
  r.bottleneck_bandwidth = r.per_class[static_cast<std::size_t>(r.bottleneck)].effective_bandwidth;
  if (time > Nanoseconds(0)) {
    r.algorithm_bandwidth = rate(bytes, time);
    r.bus_bandwidth = r.algorithm_bandwidth * bus_factor;
  }
  return r;
}

void check_group(const Topology& topo, const GroupSpec& g) {
  if (g.gpus.empty()) throw PlanError("group: no GPUs");
  std::vector<int> seen(g.gpus);
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
    throw PlanError("group: a GPU appears twice");
  }
  for (int gpu : g.gpus) (void)topo.gpu_vertex(gpu);  // range check with a clear message
}

// Probability that a given GPU of a node holds at least one of the `k` experts a token picks in
// that node (sampling without replacement from `node_experts`, `per_gpu` experts per GPU).
// Non-integer k (balanced k / M) interpolates between the neighbouring integers.
double gpu_hit_probability(double node_experts, double per_gpu, double k) {
  auto untouched = [&](int kk) {
    double p = 1.0;
    for (int i = 0; i < kk; ++i)
      p *= std::max(0.0, (node_experts - per_gpu - i) / (node_experts - i));
    return p;
  };
  const int lo = static_cast<int>(std::floor(k));
  const double frac = k - lo;
  const double u = (1.0 - frac) * untouched(lo) + frac * untouched(lo + 1);
  return 1.0 - u;
}

enum class Direction { kDispatch, kCombine };

CollectiveResult moe(const ClusterProfile& cluster, const MoeCommSpec& s, const NetworkOptions& o,
                     Direction dir) {
  const Topology topo(cluster);
  const int n = s.ep_ranks;
  const int gpn = topo.gpus_per_node();
  if (n < 1) throw PlanError("moe.ep_ranks must be at least 1, got " + std::to_string(n));
  if (s.first_gpu < 0 || s.first_gpu + n > topo.num_gpus()) {
    throw PlanError("moe.ep_ranks = " + std::to_string(n) + " from gpu " +
                    std::to_string(s.first_gpu) + " exceeds the cluster's " +
                    std::to_string(topo.num_gpus()) + " GPUs");
  }
  if (n > gpn && (n % gpn != 0 || s.first_gpu % gpn != 0)) {
    throw PlanError("moe.ep_ranks = " + std::to_string(n) +
                    ": an internode EP group must span whole nodes of " + std::to_string(gpn) +
                    " GPUs");
  }
  if (s.num_experts < 1 || s.num_experts % n != 0) {
    throw PlanError("moe.num_experts = " + std::to_string(s.num_experts) +
                    " must be a positive multiple of ep_ranks = " + std::to_string(n));
  }
  if (s.top_k < 1 || s.top_k > s.num_experts)
    throw PlanError("moe.top_k must be in [1, num_experts]");
  if (s.tokens_per_rank < 0 || s.hidden < 1)
    throw PlanError("moe.tokens_per_rank / moe.hidden out of range");
  if (!(s.routing_skew >= 0.0 && s.routing_skew <= 1.0)) {
    throw PlanError("moe.routing_skew must be in [0, 1], got " + std::to_string(s.routing_skew));
  }
  if (s.comm_sms < 0 || s.comm_sms > cluster.gpu.sms) {
    throw PlanError("comm_sms = " + std::to_string(s.comm_sms) + " must be in [0, " +
                    std::to_string(cluster.gpu.sms) + "] (the GPU's SMs; 0 = not SM-limited)");
  }
  NetworkOptions opts = o;
  opts.comm_sms = s.comm_sms;
  const std::vector<double> caps = effective_capacities(topo, opts);

  const double token_bytes = dir == Direction::kDispatch
                                 ? static_cast<double>(s.hidden) * s.bytes_per_element +
                                       static_cast<double>(s.scale_bytes.value())
                                 : static_cast<double>(s.hidden) * s.combine_bytes_per_element;
  const double tokens = static_cast<double>(s.tokens_per_rank);
  std::vector<double> w(static_cast<std::size_t>(n), 1.0);
  if (n > 1) {
    for (int j = 0; j < n; ++j)
      w[static_cast<std::size_t>(j)] = 1.0 + s.routing_skew * (2.0 * j / (n - 1) - 1.0);
  }
  auto gpu = [&](int rank) { return s.first_gpu + rank; };
  std::vector<Transfer> ts;
  double delivered = 0;  // payload bytes delivered per rank, local share included
  // What DeepEP's tests count as a rank's bottleneck bytes (deepseek-ai/DeepEP tests
  // test_intranode.py / test_internode.py): NVLink tokens per destination rank, or RDMA tokens
  // per destination node, the rank's own node included although it is reached over NVLink.
  double reported = 0;
  const bool local = s.local_share_uses_link;

  if (n <= gpn) {
    // Intranode: NVLink straight to every target GPU.
    const double hit =
        gpu_hit_probability(s.num_experts, static_cast<double>(s.num_experts) / n, s.top_k);
    delivered = tokens * hit * n * token_bytes;
    reported = delivered;
    for (int src = 0; src < n; ++src) {
      for (int dst = 0; dst < n; ++dst) {
        const double b = tokens * hit * w[static_cast<std::size_t>(dst)] * token_bytes;
        if (src == dst) {
          if (local) ts.push_back({gpu(src), gpu(src), b, true, LinkClass::kNvlink});
        } else {
          ts.push_back({gpu(src), gpu(dst), b, false, LinkClass::kNvlink});
        }
      }
    }
  } else {
    const int nodes = n / gpn;
    const int m = s.node_limit > 0 ? std::min(s.node_limit, nodes) : nodes;
    const double k_node = static_cast<double>(s.top_k) / m;
    const double node_experts = static_cast<double>(s.num_experts) / nodes;
    const double hit =
        gpu_hit_probability(node_experts, static_cast<double>(s.num_experts) / n, k_node);
    delivered = tokens * m * hit * gpn * token_bytes;
    reported = tokens * m * token_bytes;
    std::vector<double> node_w(static_cast<std::size_t>(nodes), 0.0);
    for (int j = 0; j < n; ++j)
      node_w[static_cast<std::size_t>(j / gpn)] += w[static_cast<std::size_t>(j)] / gpn;
    for (int b = 0; b < nodes; ++b) {
      const double wb = node_w[static_cast<std::size_t>(b)];
      const double p_node = std::min(1.0, static_cast<double>(m) / nodes * wb);
      for (int l = 0; l < gpn; ++l) {
        const int fwd = b * gpn + l;
        // RDMA: each source of rail l sends its tokens bound for node b to the rail-l GPU there.
        for (int a = 0; a < nodes; ++a) {
          const int src = a * gpn + l;
          const double bytes = tokens * p_node * token_bytes;
          // DeepEP sends RDMA only to other nodes (`dst_rdma_rank != rdma_rank` in
          // deepseek-ai/DeepEP csrc/kernels/internode.cu): the own node's share goes straight to
          // the NVLink stage below.
          if (a != b) ts.push_back({gpu(src), gpu(fwd), bytes, false, LinkClass::kNic});
        }
        // NVLink forward to the target GPUs of node b.
        const double arriving = nodes * tokens * p_node;
        for (int mm = 0; mm < gpn; ++mm) {
          const int dst = b * gpn + mm;
          const double bytes =
              arriving * hit * (w[static_cast<std::size_t>(dst)] / wb) * token_bytes;
          if (mm == l) {
            if (local) ts.push_back({gpu(fwd), gpu(fwd), bytes, true, LinkClass::kNvlink});
          } else {
            ts.push_back({gpu(fwd), gpu(dst), bytes, false, LinkClass::kNvlink});
          }
        }
      }
    }
  }
  if (dir == Direction::kCombine) {
    for (auto& t : ts) std::swap(t.src, t.dst);
  }
  Router router(topo);
  std::vector<double> link_bytes(topo.num_links(), 0.0);
  const PhaseOutcome ph = run_phase(topo, router, caps, opts.fidelity, ts, link_bytes);
  const auto bytes = Bytes(static_cast<std::int64_t>(std::llround(delivered)));
  CollectiveResult r =
      finish(topo, caps, link_bytes, dir == Direction::kDispatch ? "moe_dispatch" : "moe_combine",
             n, bytes, ph.time, 1.0);
  r.bus_bandwidth = r.bottleneck_bandwidth;
  if (ph.time > Nanoseconds(0))
    r.reported_bandwidth = BytesPerSecond(reported / to_seconds(ph.time));
  return r;
}

// Ring: `steps` identical steps in which every rank sends `chunk` to the next. By symmetry one step
// is simulated and the time multiplied (the alpha-beta ring model).
CollectiveResult ring(const ClusterProfile& cluster, const GroupSpec& g, Bytes bytes,
                      int steps_per_rank, double bus_factor, const std::string& name,
                      const NetworkOptions& opts) {
  const Topology topo(cluster);
  check_group(topo, g);
  const int n = static_cast<int>(g.gpus.size());
  if (bytes < Bytes(0)) throw PlanError(name + ": negative size");
  const std::vector<double> caps = effective_capacities(topo, opts);
  std::vector<double> link_bytes(topo.num_links(), 0.0);
  if (n == 1) return finish(topo, caps, link_bytes, name, n, bytes, Nanoseconds(0), 0.0);
  const double chunk = std::ceil(static_cast<double>(bytes.value()) / n);
  std::vector<Transfer> ts;
  for (int i = 0; i < n; ++i) {
    ts.push_back({g.gpus[static_cast<std::size_t>(i)],
                  g.gpus[static_cast<std::size_t>((i + 1) % n)], chunk});
  }
  Router router(topo);
  const int steps = steps_per_rank * (n - 1);
  const PhaseOutcome ph = run_phase(topo, router, caps, opts.fidelity, ts, link_bytes, steps);
  return finish(topo, caps, link_bytes, name, n, bytes, ph.time * steps, bus_factor);
}

}  // namespace

GroupSpec GroupSpec::contiguous(int n, int first) {
  return strided(n, first, 1);
}

GroupSpec GroupSpec::rail_aligned(int n, int gpus_per_node) {
  const int per_node = std::max(1, gpus_per_node);
  GroupSpec g;
  for (int first = 0; first < n; first += per_node) {
    const int count = std::min(per_node, n - first);
    const bool reverse = (first / per_node) % 2 == 1;
    for (int i = 0; i < count; ++i) g.gpus.push_back(first + (reverse ? count - 1 - i : i));
  }
  return g;
}

GroupSpec GroupSpec::strided(int n, int first, int stride) {
  if (n < 1 || stride < 1) throw PlanError("group: size and stride must be positive");
  GroupSpec g;
  for (int i = 0; i < n; ++i) g.gpus.push_back(first + i * stride);
  return g;
}

CollectiveResult moe_dispatch(const ClusterProfile& cluster, const MoeCommSpec& spec,
                              const NetworkOptions& opts) {
  return moe(cluster, spec, opts, Direction::kDispatch);
}

CollectiveResult moe_combine(const ClusterProfile& cluster, const MoeCommSpec& spec,
                             const NetworkOptions& opts) {
  return moe(cluster, spec, opts, Direction::kCombine);
}

CollectiveResult all_reduce(const ClusterProfile& cluster, const GroupSpec& group, Bytes bytes,
                            Algorithm algorithm, const NetworkOptions& opts) {
  const int n = static_cast<int>(group.gpus.size());
  const double bus = n > 1 ? 2.0 * (n - 1) / n : 0.0;
  if (algorithm == Algorithm::kRing)
    return ring(cluster, group, bytes, 2, bus, "all_reduce_ring", opts);

  // Tree: a binary tree over the group order; reduce (children -> parent) then broadcast
  // (parent -> children), each pipelined so every tree edge carries the full buffer once and the
  // pipeline adds (depth - 1) hop latencies.
  const Topology topo(cluster);
  check_group(topo, group);
  const std::vector<double> caps = effective_capacities(topo, opts);
  std::vector<double> link_bytes(topo.num_links(), 0.0);
  if (n == 1)
    return finish(topo, caps, link_bytes, "all_reduce_tree", n, bytes, Nanoseconds(0), 0.0);
  std::vector<Transfer> up;
  std::vector<Transfer> down;
  const auto b = static_cast<double>(bytes.value());
  for (int i = 1; i < n; ++i) {
    const int child = group.gpus[static_cast<std::size_t>(i)];
    const int parent = group.gpus[static_cast<std::size_t>((i - 1) / 2)];
    up.push_back({child, parent, b});
    down.push_back({parent, child, b});
  }
  int depth = 0;
  while ((2 << depth) - 1 < n) ++depth;  // levels below the root
  Router router(topo);
  const PhaseOutcome r1 = run_phase(topo, router, caps, opts.fidelity, up, link_bytes);
  const PhaseOutcome r2 = run_phase(topo, router, caps, opts.fidelity, down, link_bytes);
  const Nanoseconds t = r1.time + r2.time + (r1.max_latency + r2.max_latency) * (depth - 1);
  return finish(topo, caps, link_bytes, "all_reduce_tree", n, bytes, t, bus);
}

CollectiveResult reduce_scatter(const ClusterProfile& cluster, const GroupSpec& group, Bytes bytes,
                                const NetworkOptions& opts) {
  const int n = static_cast<int>(group.gpus.size());
  return ring(cluster, group, bytes, 1, n > 1 ? (n - 1.0) / n : 0.0, "reduce_scatter_ring", opts);
}

CollectiveResult all_gather(const ClusterProfile& cluster, const GroupSpec& group, Bytes bytes,
                            const NetworkOptions& opts) {
  const int n = static_cast<int>(group.gpus.size());
  return ring(cluster, group, bytes, 1, n > 1 ? (n - 1.0) / n : 0.0, "all_gather_ring", opts);
}

CollectiveResult p2p(const ClusterProfile& cluster, int src, int dst, Bytes bytes,
                     const NetworkOptions& opts) {
  const Topology topo(cluster);
  (void)topo.gpu_vertex(src);
  (void)topo.gpu_vertex(dst);
  if (src == dst) throw PlanError("p2p: src and dst are the same gpu " + std::to_string(src));
  const std::vector<double> caps = effective_capacities(topo, opts);
  std::vector<double> link_bytes(topo.num_links(), 0.0);
  Router router(topo);
  const PhaseOutcome ph =
      run_phase(topo, router, caps, opts.fidelity,
                {Transfer{src, dst, static_cast<double>(bytes.value())}}, link_bytes);
  return finish(topo, caps, link_bytes, "p2p", 2, bytes, ph.time, 1.0);
}

}  // namespace hopsim::sim
