// Flow-level network cost vs the number of concurrent flows, and collective end-to-end cost.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "hopsim/core/hardware.hpp"
#include "hopsim/sim/collective/collective.hpp"
#include "hopsim/sim/network/flow_model.hpp"

namespace {

using namespace hopsim;
using namespace hopsim::sim;

// N flows kept alive: whenever one ends, a new one starts on the same path. In "disjoint" mode
// flow i uses only its own link (each event touches 1 flow); in "shared" mode every flow also
// crosses link 0, so each event re-rates all N flows.
struct Churn {
  Engine engine;
  FlowNetwork* net = nullptr;
  std::vector<std::vector<LinkId>> paths;
  std::uint64_t rng = 88172645463325252ULL;
  std::uint64_t left = 0;
  Bytes size() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return Bytes(static_cast<std::int64_t>(rng % 1'000'000) + 1000);
  }
  void restart(std::uint32_t i) {
    if (left == 0) return;
    --left;
    Churn* self = this;
    net->start(paths[i], size(), Nanoseconds(0), [self, i] { self->restart(i); });
  }
};

void run_churn(benchmark::State& state, bool shared) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  constexpr std::uint64_t kFlows = 20'000;
  std::uint64_t touched = 0;
  std::uint64_t flows = 0;
  for (auto _ : state) {
    Churn c;
    std::vector<double> caps(n + 1, 50e9);
    FlowNetwork net(c.engine, caps);
    c.net = &net;
    for (std::uint32_t i = 0; i < n; ++i) {
      c.paths.push_back(shared ? std::vector<LinkId>{0, i + 1} : std::vector<LinkId>{i + 1});
    }
    c.left = kFlows;
    for (std::uint32_t i = 0; i < n; ++i) c.restart(i);
    c.engine.run();
    touched += net.flows_touched();
    flows += kFlows;
  }
  state.counters["flows_per_s"] =
      benchmark::Counter(static_cast<double>(flows), benchmark::Counter::kIsRate);
  state.counters["touched_per_flow"] = static_cast<double>(touched) / static_cast<double>(flows);
  state.counters["ns_per_touched"] = benchmark::Counter(
      static_cast<double>(touched), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_FlowChurnDisjoint(benchmark::State& state) {
  run_churn(state, false);
}
void BM_FlowChurnShared(benchmark::State& state) {
  run_churn(state, true);
}
BENCHMARK(BM_FlowChurnDisjoint)->RangeMultiplier(4)->Range(16, 4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlowChurnShared)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);

ClusterProfile h800(int nodes) {
  ClusterProfile c;
  c.gpu.name = "H800";
  c.gpu.sms = 132;
  c.gpu.nvlink_bidirectional = gb_per_s(400);
  c.gpu.pcie_unidirectional = gb_per_s(64);
  c.node.nic_unidirectional = gb_per_s(50);
  c.node.nvlink_latency = us(1);
  c.node.nic_latency = us(2);
  c.fabric.link_unidirectional = gb_per_s(50);
  c.fabric.switch_latency = ns(500);
  c.num_nodes = nodes;
  return c;
}

void BM_MoeDispatch(benchmark::State& state) {
  MoeCommSpec spec;
  spec.ep_ranks = static_cast<int>(state.range(0));
  NetworkOptions o;
  o.fidelity = state.range(1) == 0 ? Fidelity::kAnalytical : Fidelity::kFlow;
  const ClusterProfile c = h800(std::max(1, spec.ep_ranks / 8));
  for (auto _ : state) benchmark::DoNotOptimize(moe_dispatch(c, spec, o).time);
}
BENCHMARK(BM_MoeDispatch)->ArgsProduct({{8, 64, 256}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
