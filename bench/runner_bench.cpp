// Runner benchmarks: one full training step of DeepSeek-V3 on 2048 GPUs (the published plan).
#include <benchmark/benchmark.h>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace {

using namespace hopsim;

void BM_DeepSeekV3Step_Symmetry(benchmark::State& state) {
  const Scenario sc = load_scenario_spec("deepseek-v3-h800");
  std::uint64_t events = 0;
  for (auto _ : state) {
    const sim::SimResult r = sim::run_scenario(sc);
    events = r.execution.engine_events;
    benchmark::DoNotOptimize(r.step_time);
  }
  state.counters["engine_events"] = static_cast<double>(events);
}
BENCHMARK(BM_DeepSeekV3Step_Symmetry)->Unit(benchmark::kMillisecond);

void BM_DeepSeekV3Step_Full(benchmark::State& state) {
  const Scenario sc = load_scenario_spec("deepseek-v3-h800");
  sim::RunOptions o;
  o.mode = sim::SimMode::kFull;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const sim::SimResult r = sim::run_scenario(sc, o);
    events = r.execution.engine_events;
    benchmark::DoNotOptimize(r.step_time);
  }
  state.counters["engine_events"] = static_cast<double>(events);
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DeepSeekV3Step_Full)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
