// Engine throughput: simple events per second on one core.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "hopsim/sim/engine/engine.hpp"

namespace {

using hopsim::Nanoseconds;
using hopsim::sim::Engine;

// K independent processes, each rescheduling itself after a pseudo-random delay, until the
// engine has run `total` events: the queue holds K events throughout.
struct Procs {
  Engine engine;
  std::uint64_t rng = 88172645463325252ULL;
  std::uint64_t left = 0;
  std::int64_t delay() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<std::int64_t>(rng % 1000) + 1;
  }
  void fire() {
    if (left == 0) return;
    --left;
    Procs* self = this;
    engine.schedule_after(Nanoseconds(delay()), [self] { self->fire(); });
  }
};

void BM_EngineSimpleEvents(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  constexpr std::uint64_t kEvents = 1'000'000;
  std::uint64_t processed = 0;
  for (auto _ : state) {
    Procs p;
    p.left = kEvents;
    for (int i = 0; i < k; ++i) p.fire();
    p.engine.run();
    processed += p.engine.events_processed();
    benchmark::DoNotOptimize(p.engine.now());
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(processed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineSimpleEvents)
    ->Arg(1)
    ->Arg(64)
    ->Arg(4096)
    ->Arg(65536)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
