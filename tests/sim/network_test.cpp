#include "hopsim/sim/network/network.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "cluster_presets.hpp"
#include "hopsim/sim/network/flow_model.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {
// Records completion times by index.
struct Done {
  Engine* e;
  std::vector<std::int64_t> at;
  Callback mark(std::size_t i) {
    if (at.size() <= i) at.resize(i + 1, -1);
    Done* self = this;
    return [self, i] { self->at[i] = self->e->now().value(); };
  }
};

struct Transfer {
  int src;
  int dst;
  Bytes size;
};

// Starts `transfers` together at t = 0 on a fresh network over `topo` and runs them to the end:
// each one's completion time (ns), in order.
std::vector<std::int64_t> completion_times(const Topology& topo, const NetworkOptions& o,
                                           const std::vector<Transfer>& transfers) {
  Engine e;
  Network net(e, topo, o);
  Done d{&e, {}};
  for (std::size_t i = 0; i < transfers.size(); ++i)
    net.transfer(transfers[i].src, transfers[i].dst, transfers[i].size, d.mark(i));
  e.run();
  return d.at;
}

NetworkOptions with_fidelity(Fidelity f) {
  NetworkOptions o;
  o.fidelity = f;
  return o;
}
}  // namespace

TEST_CASE("Flow model: two flows on one link each get half", "[network][flow]") {
  Engine e;
  FlowNetwork net(e, {1e9});  // 1 byte per ns
  Done d{&e, {}};
  const std::vector<LinkId> path{0};
  net.start(path, Bytes(1000), ns(0), d.mark(0));
  net.start(path, Bytes(1000), ns(0), d.mark(1));
  e.run();
  // 1000 B each at 0.5 B/ns.
  CHECK(d.at == std::vector<std::int64_t>{2000, 2000});
}

TEST_CASE("Flow model: a flow crossing two bottlenecks (progressive filling)", "[network][flow]") {
  // L0 = 1 B/ns shared by X and Y; L1 = 3 B/ns shared by X and Z.
  // Filling: L0's share 0.5 < L1's 1.5, so X = Y = 0.5; Z takes L1's remaining 2.5.
  Engine e;
  FlowNetwork net(e, {1e9, 3e9});
  Done d{&e, {}};
  const std::vector<LinkId> x{0, 1};
  const std::vector<LinkId> y{0};
  const std::vector<LinkId> z{1};
  const auto fx = net.start(x, Bytes(1000), ns(0), d.mark(0));
  const auto fy = net.start(y, Bytes(500), ns(0), d.mark(1));
  const auto fz = net.start(z, Bytes(5000), ns(0), d.mark(2));
  e.run_until(ns(0));
  CHECK(net.rate(fx) == Approx(0.5e9));
  CHECK(net.rate(fy) == Approx(0.5e9));
  CHECK(net.rate(fz) == Approx(2.5e9));
  e.run();
  // Y: 500 B at 0.5 -> t = 1000. Then X alone on L0 at 1 B/ns (L1 gives Z 2): X's remaining
  // 500 B -> t = 1500. Z: 5000 - 2500 = 2500 left at t = 1000, 1000 B by t = 1500, then 3 B/ns
  // for the last 1500 B -> t = 2000.
  CHECK(d.at == std::vector<std::int64_t>{1500, 1000, 2000});
  CHECK(net.active_flows() == 0);
}

TEST_CASE("Flow model: a flow's latency is added after its data", "[network][flow]") {
  Engine e;
  FlowNetwork net(e, {1e9});
  Done d{&e, {}};
  const std::vector<LinkId> path{0};
  net.start(path, Bytes(100), ns(40), d.mark(0));
  net.start({}, Bytes(100), ns(7), d.mark(1));  // no links: latency only
  e.run();
  CHECK(d.at == std::vector<std::int64_t>{140, 7});
}

TEST_CASE("Fidelities agree exactly for one uncontended flow", "[network]") {
  const Topology topo(test::h800_cluster(2));
  for (int dst : {1, 8, 9}) {
    const std::vector<Transfer> one{{0, dst, Bytes(123'456'789)}};
    const auto analytical = completion_times(topo, with_fidelity(Fidelity::kAnalytical), one);
    const auto flow = completion_times(topo, with_fidelity(Fidelity::kFlow), one);
    CHECK(analytical[0] == flow[0]);
  }
  // Hand check for the NVLink case: 1 us + 123456789 B / (200 GB/s x 0.8) = 1 us + 771605 ns.
  CHECK(completion_times(topo, NetworkOptions{}, {{0, 1, Bytes(123'456'789)}})[0] == 1000 + 771605);
}

TEST_CASE("Fidelities differ under contention; incast into one NIC", "[network]") {
  // Four senders on rail 0 of nodes 1-4 into GPU 0: all cross leaf -> NIC 0 (50 GB/s x 0.9).
  const Topology topo(test::h800_cluster(5));
  const Bytes size(45'000'000);  // 1 ms at 45 GB/s
  std::vector<Transfer> incast;
  for (int s = 1; s <= 4; ++s) incast.push_back({8 * s, 0, size});
  std::int64_t done[2] = {0, 0};
  for (int f = 0; f < 2; ++f) {
    const auto at = completion_times(
        topo, with_fidelity(f == 0 ? Fidelity::kAnalytical : Fidelity::kFlow), incast);
    for (auto v : at) CHECK(v == at[0]);  // symmetric
    done[f] = at[0];
  }
  const std::int64_t latency = 2500;      // NIC halves + leaf switch
  CHECK(done[0] == latency + 1'000'000);  // analytical: no sharing
  CHECK(done[1] == latency + 4'000'000);  // flow-level: 45 / 4 GB/s each
}

TEST_CASE("Rail vs cross-rail traffic on an oversubscribed leaf", "[network]") {
  // 2 nodes, 2:1 oversubscription: each leaf has ceil(2 / 2) = 1 uplink. Two same-rail flows use
  // only their rail's leaf; two cross-rail flows from rail 0 share rail-0 leaf's single uplink.
  ClusterProfile c = test::h800_cluster(2);
  c.fabric.oversubscription = 2.0;
  const Topology topo(c);
  const Bytes size(45'000'000);
  const auto rail = completion_times(topo, NetworkOptions{}, {{0, 8, size}, {8, 0, size}});
  const auto cross = completion_times(topo, NetworkOptions{}, {{0, 9, size}, {8, 1, size}});
  CHECK(rail == std::vector<std::int64_t>{2500 + 1'000'000, 2500 + 1'000'000});
  // 0 -> 9 and 8 -> 1 both leave rail 0's leaf through its one 45 GB/s uplink: 2 ms each.
  CHECK(cross == std::vector<std::int64_t>{3500 + 2'000'000, 3500 + 2'000'000});
}

TEST_CASE("Comm SMs scale GPU-attached links only", "[network]") {
  const Topology topo(test::h800_cluster(2));
  NetworkOptions o;
  o.comm_sms = 10;  // half of the 20-SM saturation point
  const auto caps = effective_capacities(topo, o);
  Router router(topo);
  const Route r = router.route(0, 9);
  CHECK(caps[r.links[0]] == Approx(64e9 * 0.9 * 0.5));  // PCIe, GPU-attached
  CHECK(caps[r.links[1]] == Approx(50e9 * 0.9));        // NIC port: not scaled
  o.efficiency.nic = 1.5;
  CHECK_THROWS_WITH(effective_capacities(topo, o), Catch::Contains("efficiency.nic"));
}

TEST_CASE("Flow model: recomputation touches only flows that share links", "[network][flow]") {
  Engine e;
  FlowNetwork net(e, {1e9, 1e9, 1e9});
  const std::vector<LinkId> a{0};
  const std::vector<LinkId> b{1};
  const std::vector<LinkId> c{2};
  net.start(a, Bytes(100), ns(0), {});
  net.start(b, Bytes(200), ns(0), {});
  net.start(c, Bytes(300), ns(0), {});
  e.run();
  // One batched recomputation at t = 0 rates all three; each completion leaves its link empty
  // and touches no other flow.
  CHECK(net.flows_touched() == 3);
  CHECK(e.now() == ns(300));
}

TEST_CASE("Flow model: a completion callback may start the next flow", "[network][flow]") {
  Engine e;
  FlowNetwork net(e, {1e9});
  struct Chain {
    Engine* e;
    FlowNetwork* net;
    int left;
    std::vector<std::int64_t> at;
    std::vector<LinkId> path{0};
    void next() {
      at.push_back(e->now().value());
      if (left-- > 0) {
        Chain* self = this;
        net->start(path, Bytes(500), ns(10), [self] { self->next(); });
      }
    }
  } chain{&e, &net, 3, {}};
  chain.next();
  e.run();
  // Each link of the chain: 500 B at 1 B/ns, then 10 ns latency.
  CHECK(chain.at == std::vector<std::int64_t>{0, 510, 1020, 1530});
}

TEST_CASE("Flow model: random flows get max-min fair rates (property test)", "[network][flow]") {
  // Oracle: the definition of max-min fairness, not the algorithm. A rate allocation is max-min
  // fair iff no link carries more than its capacity and every flow crosses a saturated link on
  // which no other flow gets a higher rate (Bertsekas & Gallager, Data Networks, §6.5.2).
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> cap(1e9, 10e9);
    std::uniform_int_distribution<int> nlinks(1, 4);
    constexpr int kLinks = 16, kFlows = 48;
    std::vector<double> caps(kLinks);
    for (auto& c : caps) c = cap(rng);
    Engine e;
    FlowNetwork net(e, caps);
    std::vector<std::vector<LinkId>> paths(kFlows);
    std::vector<FlowNetwork::FlowId> ids;
    for (auto& p : paths) {
      const int n = nlinks(rng);
      while (static_cast<int>(p.size()) < n) {
        const auto l = static_cast<LinkId>(rng() % kLinks);
        if (std::find(p.begin(), p.end(), l) == p.end()) p.push_back(l);
      }
      ids.push_back(net.start(p, Bytes(std::int64_t{1} << 40), ns(0), {}));
    }
    std::vector<double> rate(kFlows);
    struct Probe {
      FlowNetwork* net;
      std::vector<double>* rate;
      const std::vector<FlowNetwork::FlowId>* ids;
    } probe{&net, &rate, &ids};
    Probe* pp = &probe;
    e.schedule_at(ns(1), [pp] {
      for (std::size_t i = 0; i < pp->ids->size(); ++i)
        (*pp->rate)[i] = pp->net->rate((*pp->ids)[i]);
    });
    e.run();
    std::vector<double> load(kLinks, 0.0);
    for (int f = 0; f < kFlows; ++f) {
      for (LinkId l : paths[f]) load[l] += rate[f];
    }
    INFO("seed " << seed);
    for (int l = 0; l < kLinks; ++l) CHECK(load[l] <= caps[l] * (1 + 1e-9));
    for (int f = 0; f < kFlows; ++f) {
      CHECK(rate[f] > 0);
      bool bottlenecked = false;
      for (LinkId l : paths[f]) {
        if (load[l] < caps[l] * (1 - 1e-9)) continue;  // not saturated
        bool highest = true;
        for (int g = 0; g < kFlows; ++g) {
          const bool shares = std::find(paths[g].begin(), paths[g].end(), l) != paths[g].end();
          if (shares && rate[g] > rate[f] * (1 + 1e-9)) highest = false;
        }
        bottlenecked = bottlenecked || highest;
      }
      CHECK(bottlenecked);
    }
  }
}
