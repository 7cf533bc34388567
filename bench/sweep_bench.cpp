// Sweep throughput: configurations per second of scenarios/sweeps/deepseek-v3-10k.yaml
// (DeepSeek-V3 on 2048 GPUs), end to end per configuration (YAML overrides, load, plan and
// memory checks, simulation, JSON) and with the store, on 1 and 2 worker threads.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "hopsim/planner/sweep.hpp"

namespace {

namespace fs = std::filesystem;
using namespace hopsim::planner;

const std::string kSpec = std::string(HOPSIM_SOURCE_DIR) + "/scenarios/sweeps/deepseek-v3-10k.yaml";

// Expanding the 10,000-configuration grid (overrides + configuration hashes).
void BM_Expand10k(benchmark::State& state) {
  const SweepSpec spec = load_sweep_spec(kSpec);
  for (auto _ : state) {
    benchmark::DoNotOptimize(expand(spec).configs.size());
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_Expand10k)->Unit(benchmark::kMillisecond);

// One configuration on one thread, cycling through the grid.
void BM_EvaluateConfig(benchmark::State& state) {
  const SweepSpec spec = load_sweep_spec(kSpec);
  const Expansion ex = expand(spec);
  std::size_t i = 0;
  for (auto _ : state) {
    const StoredResult r = evaluate_config(spec.base_scenario, ex.configs[i], EvaluateOptions{});
    benchmark::DoNotOptimize(r.step_time_ms);
    i = (i + 997) % ex.configs.size();  // stride through different axis values
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateConfig)->Unit(benchmark::kMillisecond);

// A whole shard of the sweep into a fresh database: shard 1/N of 10,000 with `jobs` threads.
void BM_SweepShard(benchmark::State& state) {
  const SweepSpec spec = load_sweep_spec(kSpec);
  const int shards = static_cast<int>(state.range(0));
  const int jobs = static_cast<int>(state.range(1));
  std::size_t ran = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path db = fs::temp_directory_path() / "hopsim-sweep-bench.db";
    fs::remove(db);
    fs::remove(db.string() + "-wal");
    fs::remove(db.string() + "-shm");
    state.ResumeTiming();
    ResultsStore store(db);
    SweepOptions o;
    o.jobs = jobs;
    o.shard_count = shards;
    ran += run_sweep(spec, store, o).ran;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ran));
}
BENCHMARK(BM_SweepShard)->Args({100, 1})->Args({100, 2})->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
