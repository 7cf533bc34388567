// Regression pins: key predictions of every shipped scenario, kept as data
// (tests/data/pins/predictions.csv) so that every change of a prediction is a reviewed diff.
// Regenerate with scripts/update-pins.sh (runs this test with HOPSIM_UPDATE_PINS=1), then read
// the diff and say in the commit why the numbers moved. Pins are not validation: they say
// "unchanged", not "right" (docs/VALIDATION.md holds the comparisons with published figures).

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/sim/runner/runner.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {

namespace fs = std::filesystem;

const fs::path kPins = fs::path(HOPSIM_TEST_DATA_DIR) / "pins" / "predictions.csv";
constexpr double kTolerance = 1e-3;  // relative: predictions are deterministic

std::vector<std::pair<std::string, double>> key_predictions(const Scenario& sc) {
  const CheckedRun run = run_checked(sc);
  const SimResult& r = run.result;
  std::vector<std::pair<std::string, double>> v = {
      {"step_time_ms", to_ms(r.step_time)},
      {"pipeline_time_ms", to_ms(r.pipeline_time)},
      {"dp_exposed_ms", to_ms(r.dp_exposed)},
      {"optimizer_ms", to_ms(r.optimizer_time)},
      {"gpu_hours_per_trillion", r.gpu_hours_per_trillion},
      {"mfu_bf16", r.mfu_bf16},
      {"bubble_fraction", r.bubble_fraction},
      {"exposed_comm_fraction", r.exposed_comm_fraction},
      {"worst_rank_memory_gib", static_cast<double>(run.memory.total.value()) / (1 << 30)},
      {"dispatch_us", to_us(r.comm.dispatch)},
      {"combine_us", to_us(r.comm.combine)},
  };
  for (const LayerComponents& l : r.layers) {
    if (l.kind != "moe" && l.kind != "dense") continue;
    const std::string p = l.kind + ".";
    bool seen = false;
    for (const auto& [k, x] : v) seen = seen || k.rfind(p, 0) == 0;
    if (seen) continue;  // one layer of each kind
    v.push_back({p + "attention_fbw_us", to_us(l.attention_f + l.attention_b + l.attention_w)});
    v.push_back({p + "mlp_fbw_us", to_us(l.mlp_f + l.mlp_b + l.mlp_w)});
    v.push_back({p + "non_gemm_us", to_us(l.non_gemm)});
    v.push_back({p + "kernels", static_cast<double>(l.kernels)});
  }
  if (!r.pair_time_per_rank.empty() && r.pair_time_per_rank.front().value() > 0) {
    v.push_back({"pair_time_rank0_ms", to_ms(r.pair_time_per_rank.front())});
  }
  return v;
}

}  // namespace

TEST_CASE("every shipped scenario predicts a physically plausible step", "[sim][runner]") {
  // Independent of the pins (which say "unchanged", not "sane"): the step is no shorter than
  // the model's FLOPs at the nominal FP8 peak of every GPU, and no longer than 1000x their time
  // at the BF16 peak (a broken model, such as a port running at a placeholder capacity).
  for (const std::string& name : shipped_scenarios()) {
    for (const SimMode mode : {SimMode::kSymmetry, SimMode::kFull}) {
      INFO(name << (mode == SimMode::kFull ? " (full mode)" : ""));
      RunOptions o;
      o.mode = mode;
      const SimResult r = run_checked(load_scenario_spec(name), o).result;
      CHECK(r.mfu_fp8 <= 1.0);
      CHECK(r.mfu_bf16 >= 1e-3);
      CHECK(r.step_time >= r.pipeline_time);
    }
  }
}

TEST_CASE("prediction pins: every shipped scenario predicts what the pins say",
          "[sim][runner][pins]") {
  std::map<std::string, double> now;
  std::vector<std::string> order;
  for (const std::string& name : shipped_scenarios()) {
    for (const auto& [k, x] : key_predictions(load_scenario_spec(name))) {
      const std::string key = name + "," + k;
      now[key] = x;
      order.push_back(key);
    }
  }
  const char* update = std::getenv("HOPSIM_UPDATE_PINS");
  if (update != nullptr && std::string(update) == "1") {
    const fs::path tmp = kPins.string() + ".tmp";
    {
      std::ofstream out(tmp);
      out << "# Key predictions of the shipped scenarios (tests/sim/prediction_pins_test.cpp).\n"
             "# Regenerate: scripts/update-pins.sh. Relative tolerance "
          << kTolerance << ".\nscenario,quantity,value\n";
      out << std::setprecision(10);
      for (const auto& k : order) out << k << "," << now[k] << "\n";
      REQUIRE(out.good());
    }
    fs::rename(tmp, kPins);
    WARN("pins rewritten: " << kPins);
    return;
  }
  std::ifstream in(kPins);
  REQUIRE(in.good());
  std::map<std::string, double> pinned;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("scenario,", 0) == 0) continue;
    const auto cut = line.rfind(',');
    pinned[line.substr(0, cut)] = std::stod(line.substr(cut + 1));
  }
  for (const auto& [k, x] : now) {
    INFO(k << ": now " << x);
    REQUIRE(pinned.count(k) == 1);
    CHECK(x == Approx(pinned[k]).epsilon(kTolerance).margin(1e-9));
  }
  CHECK(pinned.size() == now.size());
}
