#include "hopsim/sim/collective/collective.hpp"

#include <catch2/catch.hpp>

#include "cluster_presets.hpp"
#include "hopsim/core/error.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {
double gbps(BytesPerSecond b) {
  return b.value() / 1e9;
}
const LinkClassUsage& use(const CollectiveResult& r, LinkClass c) {
  return r.per_class[static_cast<std::size_t>(c)];
}
}  // namespace

TEST_CASE("DeepEP normal kernels on H800: published bandwidths by EP size",
          "[collective][moe][deepep]") {
  // deepseek-ai/DeepEP README, normal kernels on H800 with one CX7 400 Gb/s NIC per GPU, 4096
  // tokens, hidden 7168, top-4 groups, top-8 experts, FP8 dispatch, BF16 combine, bandwidth as
  // its tests count it (own node included). Figures after the IBGDA/multi-QP change (3b1045d):
  //   intranode EP8: dispatch 153, combine 158 GB/s (NVLink; unchanged since ebfe47e)
  //   internode EP16/32/64: dispatch 43/58/51, combine 43/57/50 GB/s (RDMA)
  // Which figures set constants: EP8 is consistency, not prediction: NVLink efficiency 0.8 comes
  // from DeepSeek-V3 §3.2.2's "160 GB/s" (the same measurement family). EP32 and EP64 are
  // predictions: the NIC efficiency 0.9 is an assumption and no constant was set from them.
  // EP16 is a prediction too: with the own node on NVLink only (DeepEP sends RDMA only to other
  // nodes) the model finds EP16 NVLink-bound (the rail GPU forwards its own node's tokens and
  // the remote node's), 47.8 against 43 GB/s measured on 2025-04-22.
  struct Row {
    int ep;
    double dispatch;
    double combine;
    LinkClass cls;
    double tolerance;
  };
  const Row rows[] = {{8, 153, 158, LinkClass::kNvlink, 0.15},
                      {16, 43, 43, LinkClass::kNvlink, 0.15},
                      {32, 58, 57, LinkClass::kNic, 0.15},
                      {64, 51, 50, LinkClass::kNic, 0.15}};
  for (Fidelity f : {Fidelity::kFlow, Fidelity::kAnalytical}) {
    NetworkOptions o;
    o.fidelity = f;
    for (const Row& row : rows) {
      MoeCommSpec spec;
      spec.ep_ranks = row.ep;
      const ClusterProfile c = test::h800_cluster(std::max(1, row.ep / 8));
      const CollectiveResult d = moe_dispatch(c, spec, o);
      const CollectiveResult k = moe_combine(c, spec, o);
      INFO("EP" << row.ep << " fidelity " << static_cast<int>(f) << ": dispatch "
                << gbps(d.reported_bandwidth) << " GB/s, combine " << gbps(k.reported_bandwidth)
                << " GB/s");
      CHECK(d.bottleneck == row.cls);
      CHECK(k.bottleneck == row.cls);
      CHECK(gbps(d.reported_bandwidth) == Approx(row.dispatch).epsilon(row.tolerance));
      CHECK(gbps(k.reported_bandwidth) == Approx(row.combine).epsilon(row.tolerance));
    }
  }
}

TEST_CASE("MoE dispatch bytes: EP64 RDMA traffic per rank by hand", "[collective][moe]") {
  // EP64 = 8 nodes, node limit 4: a token goes to 4 of 8 nodes (balanced); RDMA carries only the
  // other nodes' share (DeepEP csrc/kernels/internode.cu: dst_rdma_rank != rdma_rank), 4 x 7/8 =
  // 3.5 nodes on average. FP8 token = 7168 + 7168/128 x 4 = 7392 B.
  // Per rank: 4096 x 3.5 x 7392 = 105,971,712 B on its NIC port.
  MoeCommSpec spec;
  const CollectiveResult d = moe_dispatch(test::h800_cluster(8), spec, NetworkOptions{});
  CHECK(use(d, LinkClass::kNic).busiest_link_bytes.value() ==
        Approx(4096.0 * 3.5 * 7392).epsilon(1e-6));
  // At 45 GB/s the NIC alone needs 2.35 ms; the kernel time is that plus latency.
  CHECK(to_ms(d.time) == Approx(4096.0 * 3.5 * 7392 / 45e9 * 1e3).epsilon(0.01));
  // DeepEP would report 4 nodes' worth over that time: 4/3.5 x 45 = 51.4 GB/s.
  CHECK(gbps(d.reported_bandwidth) == Approx(45.0 * 4 / 3.5).epsilon(0.01));
}

TEST_CASE("H800 vs H100: NVLink-bound EP8 gains 2.25x, IB-bound EP64 does not",
          "[collective][moe]") {
  MoeCommSpec spec;
  spec.ep_ranks = 8;
  const NetworkOptions o;
  const auto h800 = moe_dispatch(test::h800_cluster(1), spec, o);
  const auto h100 = moe_dispatch(test::h100_cluster(1), spec, o);
  // 450 / 200 GB/s per direction (third-party: tumgag.com, philisun.com), both at 0.8
  // efficiency, latency aside.
  CHECK(to_seconds(h800.time) / to_seconds(h100.time) == Approx(2.25).epsilon(0.02));
  spec.ep_ranks = 64;
  const auto h800_64 = moe_dispatch(test::h800_cluster(8), spec, o);
  const auto h100_64 = moe_dispatch(test::h100_cluster(8), spec, o);
  CHECK(h800_64.bottleneck == LinkClass::kNic);
  CHECK(to_seconds(h800_64.time) / to_seconds(h100_64.time) == Approx(1.0).epsilon(0.01));
  // NVLink's own lower bound shrinks on H100 even though the kernel time does not.
  CHECK(use(h100_64, LinkClass::kNvlink).busiest_link_time <
        use(h800_64, LinkClass::kNvlink).busiest_link_time);
}

TEST_CASE("MoE: fewer comm SMs and routing skew slow the kernel", "[collective][moe]") {
  MoeCommSpec spec;
  spec.ep_ranks = 8;
  const ClusterProfile c = test::h800_cluster(1);
  const auto base = moe_dispatch(c, spec, NetworkOptions{});
  spec.comm_sms = 10;  // half the saturation point: half the NVLink bandwidth
  const auto half = moe_dispatch(c, spec, NetworkOptions{});
  CHECK(to_seconds(half.time) / to_seconds(base.time) == Approx(2.0).epsilon(0.01));
  spec.comm_sms = 20;
  spec.routing_skew = 0.5;  // the hottest rank receives 1.5x the mean
  const auto skewed = moe_dispatch(c, spec, NetworkOptions{});
  CHECK(to_seconds(skewed.time) / to_seconds(base.time) == Approx(1.5).epsilon(0.01));
  spec.comm_sms = 200;
  CHECK_THROWS_WITH(moe_dispatch(c, spec, NetworkOptions{}), Catch::Contains("comm_sms"));
  spec.comm_sms = 20;
  spec.ep_ranks = 12;
  CHECK_THROWS_WITH(moe_dispatch(test::h800_cluster(2), spec, NetworkOptions{}),
                    Catch::Contains("ep_ranks"));
}

TEST_CASE("Ring all-reduce in one node: alpha-beta by hand, nccl-tests busbw", "[collective]") {
  // 8 GPUs, 1 GiB: 2 x 7 steps, each sending 1 GiB / 8 over NVLink at 160 GB/s plus 1 us.
  const Bytes size(1LL << 30);
  const auto r = all_reduce(test::h800_cluster(1), GroupSpec::contiguous(8), size, Algorithm::kRing,
                            NetworkOptions{});
  const std::int64_t step = 1000 + static_cast<std::int64_t>(std::ceil((1LL << 27) / 160e9 * 1e9));
  CHECK(r.time.value() == 14 * step);
  CHECK(r.algorithm_bandwidth.value() ==
        Approx(static_cast<double>(1LL << 30) / (14 * step * 1e-9)));
  CHECK(r.bus_bandwidth.value() == Approx(r.algorithm_bandwidth.value() * 2 * 7 / 8));
  CHECK(gbps(r.bus_bandwidth) == Approx(160).epsilon(0.01));  // latency is < 1% here
  CHECK(r.bottleneck == LinkClass::kNvlink);
}

TEST_CASE("Reduce-scatter / all-gather over a rail: NIC-bound busbw", "[collective]") {
  // One GPU per node on rail 0 of 4 nodes: every ring hop crosses the rail-0 leaf.
  const GroupSpec rail = GroupSpec::strided(4, 0, 8);
  const Bytes size(1LL << 30);
  const auto rs = reduce_scatter(test::h800_cluster(4), rail, size, NetworkOptions{});
  const auto ag = all_gather(test::h800_cluster(4), rail, size, NetworkOptions{});
  CHECK(rs.time == ag.time);
  CHECK(rs.bus_bandwidth.value() == Approx(rs.algorithm_bandwidth.value() * 3 / 4));
  CHECK(gbps(rs.bus_bandwidth) == Approx(45).epsilon(0.01));
  CHECK(rs.bottleneck == LinkClass::kNic);
}

TEST_CASE("Tree vs ring all-reduce: tree wins small messages, ring large ones", "[collective]") {
  const ClusterProfile c = test::h800_cluster(1);
  const GroupSpec g = GroupSpec::contiguous(8);
  const NetworkOptions o;
  const auto ring_small = all_reduce(c, g, Bytes(1024), Algorithm::kRing, o);
  const auto tree_small = all_reduce(c, g, Bytes(1024), Algorithm::kTree, o);
  CHECK(tree_small.time < ring_small.time);
  // Tree, depth 3: 2 phases x (1 us + data) + 2 x 2 pipeline hops of 1 us; a parent receives from
  // two children over one NVLink port, so each phase moves 2 x 1 KiB at 160 GB/s (13 ns).
  CHECK(tree_small.time.value() == 2 * (1000 + 13) + 4 * 1000);
  const auto ring_big = all_reduce(c, g, Bytes(1LL << 30), Algorithm::kRing, o);
  const auto tree_big = all_reduce(c, g, Bytes(1LL << 30), Algorithm::kTree, o);
  CHECK(ring_big.time < tree_big.time);
}

TEST_CASE("p2p reports time, bandwidth and per-class bytes; errors name the GPU", "[collective]") {
  const ClusterProfile c = test::h800_cluster(2);
  const auto r = p2p(c, 0, 8, Bytes(45'000'000), NetworkOptions{});
  CHECK(r.time.value() == 2500 + 1'000'000);
  CHECK(use(r, LinkClass::kNic).bytes.value() == 2 * 45'000'000);  // NIC -> leaf and leaf -> NIC
  CHECK(use(r, LinkClass::kNic).busiest_link_bytes.value() == 45'000'000);
  CHECK(use(r, LinkClass::kNvlink).bytes.value() == 0);
  CHECK_THROWS_WITH(p2p(c, 0, 99, Bytes(1), NetworkOptions{}), Catch::Contains("gpu index 99"));
}
