// Workers take configurations from a shared counter and write each result under one mutex: the
// simulation dominates, so a single SQLite connection is not the bottleneck, and a result is
// committed before the progress line that reports it is printed.

#include "hopsim/planner/sweep.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/format.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/planner/canonical.hpp"
#include "hopsim/sim/runner/result_json.hpp"
#include "hopsim/sim/runner/runner.hpp"

namespace hopsim::planner {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

std::string gib(double bytes) {
  return fmt("%.1f", bytes / kGiB);
}

}  // namespace

const char* hopsim_version() {
  return HOPSIM_VERSION;
}

StoredResult evaluate_scenario(const Scenario& s, const EvaluateOptions& options,
                               sim::SimResult* sim_result) {
  StoredResult r = empty_result();
  r.hopsim_version = hopsim_version();
  r.calibration_hash = options.calibration.hash;
  r.scenario_hash = scenario_hash(s);
  r.num_gpus = s.cluster.num_gpus();
  r.price_per_gpu_hour = s.cost.price_per_gpu_hour;
  r.training_tokens = s.cost.training_tokens;
  r.pue = s.cost.pue;
  r.memory_capacity_gib = static_cast<double>(s.cluster.gpu.hbm_capacity.value()) / kGiB;
  try {
    // Cheap checks first: divisibility and memory prune most bad plans without simulating.
    if (auto errors = plan_errors(s); !errors.empty()) {
      r.status = "infeasible";
      r.reason = join(errors);
      return r;
    }
    const MemoryBreakdown mem = worst_rank(sim::rank_memory(s));
    r.memory_gib = static_cast<double>(mem.total.value()) / kGiB;
    const double limit = options.max_memory_fraction * static_cast<double>(mem.capacity.value());
    if (!mem.fits || static_cast<double>(mem.total.value()) > limit) {
      r.status = "infeasible";
      r.reason = "out of memory: pipeline rank " + std::to_string(mem.rank) + " needs " +
                 gib(static_cast<double>(mem.total.value())) + " GiB per GPU, limit " + gib(limit) +
                 " GiB (" + gib(static_cast<double>(mem.capacity.value())) + " GiB HBM)";
      return r;
    }
    sim::RunOptions ro;
    ro.mode = options.mode;
    if (options.calibration.cost_for) ro.cost = options.calibration.cost_for(s.cluster.gpu);
    ro.stop_after = options.stop_after;
    sim::SimResult res = sim::run_scenario(s, ro);
    if (res.stopped) {
      r.status = "stopped";
      r.reason = "stopped at " + std::to_string(to_ms(res.step_time)) +
                 " ms of simulated time: slower than plans already found";
      r.step_time_ms = to_ms(res.step_time);
      return r;
    }
    r.status = "ok";
    r.step_time_ms = to_ms(res.step_time);
    r.tokens_per_second_per_gpu = res.tokens_per_second_per_gpu;
    r.mfu_bf16 = res.mfu_bf16;
    r.mfu_fp8 = res.mfu_fp8;
    r.bubble_fraction = res.bubble_fraction;
    r.exposed_comm_fraction = res.exposed_comm_fraction;
    r.gpu_hours_per_trillion = res.gpu_hours_per_trillion;
    r.days_per_trillion = res.days_per_trillion;
    r.dollars_per_trillion = res.dollars_per_trillion;
    r.energy_kwh_per_trillion = res.energy_kwh_per_trillion;
    r.avg_power_watts = res.avg_power_watts;
    r.result_json = sim::to_json(res).dump();
    if (sim_result != nullptr) *sim_result = std::move(res);
  } catch (const PlanError& e) {
    r.status = "infeasible";
    r.reason = e.what();
  } catch (const ConfigError& e) {
    r.status = "invalid";
    r.reason = e.what();
  } catch (const std::exception& e) {
    r.status = "error";
    r.reason = e.what();
  }
  return r;
}

StoredResult evaluate_config(const ScenarioTemplate& base, const SweepConfig& config,
                             const EvaluateOptions& options) {
  StoredResult r;
  try {
    r = evaluate_scenario(base.instantiate(config.overrides), options);
  } catch (const ConfigError& e) {
    r = empty_result();
    r.status = "invalid";
    r.reason = e.what();
    r.hopsim_version = hopsim_version();
    r.calibration_hash = options.calibration.hash;
  }
  r.key = config.key;
  r.index = static_cast<std::int64_t>(config.index);
  r.config = overrides_json(config.overrides);
  return r;
}

std::map<std::string, std::string> sweep_meta(const SweepSpec& spec,
                                              const std::string& calibration_hash) {
  return {{"sweep_hash", sweep_hash(spec)},
          {"sweep_name", spec.name},
          {"hopsim_version", hopsim_version()},
          {"calibration_hash", calibration_hash},
          {"mode", spec.mode},
          {"base", spec.base}};
}

SweepSummary run_sweep(const SweepSpec& spec, ResultsStore& store, const SweepOptions& options) {
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count) {
    throw ConfigError(SourceLocation{}, "--shard I/N needs 0 <= I < N");
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Expansion ex = expand(spec);
  auto meta = sweep_meta(spec, options.calibration.hash);
  // How many configurations the whole sweep has: `results merge` reports what its shards miss.
  meta["configurations"] = std::to_string(ex.configs.size());
  store.claim(meta);
  const auto done = store.done_keys();

  SweepSummary sum;
  sum.candidates = ex.candidates;
  sum.excluded = ex.excluded;
  sum.configs = ex.configs.size();
  std::vector<const SweepConfig*> todo;
  for (const auto& c : ex.configs) {
    if (c.index % static_cast<std::size_t>(options.shard_count) !=
        static_cast<std::size_t>(options.shard_index)) {
      continue;
    }
    ++sum.in_shard;
    if (done.count(c.key) != 0) {
      ++sum.skipped;
    } else {
      todo.push_back(&c);
    }
  }

  EvaluateOptions eo;
  eo.mode = spec.mode == "full" ? sim::SimMode::kFull : sim::SimMode::kSymmetry;
  eo.max_memory_fraction = options.max_memory_fraction;
  eo.calibration = options.calibration;
  std::atomic<std::size_t> next{0};
  std::mutex write;
  std::exception_ptr failure;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= todo.size()) return;
      const StoredResult r = evaluate_config(spec.base_scenario, *todo[i], eo);
      const std::lock_guard<std::mutex> lock(write);
      if (failure) return;
      try {
        store.insert(r);
        ++sum.ran;
        ++sum.by_status[r.status];
        if (options.on_result) {
          SweepProgress p;
          p.done = sum.ran;
          p.to_run = todo.size();
          p.skipped = sum.skipped;
          p.elapsed_s =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          p.last = &r;
          options.on_result(p);
        }
      } catch (...) {
        failure = std::current_exception();
        return;
      }
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(todo.size())));
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  sum.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace hopsim::planner
