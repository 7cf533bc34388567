#include "hopsim/planner/sweep_spec.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "hopsim/core/error.hpp"

using namespace hopsim;
using namespace hopsim::planner;

namespace {
const std::string kDir = std::string(HOPSIM_TEST_DATA_DIR) + "/sweep/";
}

TEST_CASE("a grid expands to the product, minus what the constraints reject", "[planner][sweep]") {
  const SweepSpec spec = load_sweep_spec(kDir + "tiny-sweep.yaml");
  REQUIRE(spec.grid.size() == 4);
  const Expansion ex = expand(spec);
  // 3 pp x 3 dp x 2 schedules x 2 ep = 36 combinations.
  CHECK(ex.candidates == 36);
  // pp*dp*1 == 2 nodes * 8 keeps (1,16), (2,8), (4,4): 3 x 2 x 2 = 12.
  CHECK(ex.configs.size() == 12);
  CHECK(ex.excluded == 24);
  // First axis slowest, last fastest; indexes are positions after filtering.
  CHECK(ex.configs[0].overrides[0].value == "1");
  CHECK(ex.configs[0].overrides[3].value == "8");
  CHECK(ex.configs[1].overrides[3].value == "3");
  CHECK(ex.configs[11].index == 11);
  std::set<std::string> keys;
  for (const auto& c : ex.configs) keys.insert(c.key);
  CHECK(keys.size() == 12);
  // Keys are a pure function of the configuration.
  CHECK(expand(spec).configs[5].key == ex.configs[5].key);
}

TEST_CASE("a list is crossed with the grid and constraints see base values", "[planner][sweep]") {
  const std::string text = R"(
name: lst
base: tiny.yaml
list:
  - {plan.pp: 2, plan.dp: 8}
  - {plan.pp: 4, plan.dp: 4, plan.ep: 4}
  - {plan.pp: 4, plan.dp: 8}
grid:
  plan.micro_batches: [8, 16]
constraints: "pp * dp * tp == 16 && micro_batches >= pp * 2"
)";
  const SweepSpec spec = parse_sweep_spec(text, kDir + "inline.yaml");
  const Expansion ex = expand(spec);
  // 3 entries x 2 = 6 combinations; PP4 DP8 is 32 GPUs (rejected twice); all others have
  // micro_batches (8 or 16) >= 2*pp (4 or 8): 4 configurations.
  CHECK(ex.candidates == 6);
  CHECK(ex.configs.size() == 4);
  CHECK(ex.configs[2].overrides.size() == 4);  // pp, dp, ep from the entry + micro_batches
}

TEST_CASE("sweep spec mistakes are reported clearly", "[planner][sweep]") {
  auto error = [](const std::string& text) {
    try {
      (void)expand(parse_sweep_spec(text, kDir + "bad.yaml"));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error("base: tiny.yaml\ngird: {plan.pp: [1]}\n"), Catch::Contains("did you mean"));
  CHECK_THAT(error("base: tiny.yaml\n"), Catch::Contains("needs a 'grid'"));
  CHECK_THAT(error("base: tiny.yaml\ngrid: {plan.pp: []}\n"), Catch::Contains("at least one"));
  CHECK_THAT(error("base: tiny.yaml\ngrid: {plan.pp: [1]}\nconstraints: [ppx == 1]\n"),
             Catch::Contains("unknown name 'ppx'"));
  CHECK_THAT(error("base: tiny.yaml\ngrid: {plan.pp.x: [1]}\n"),
             Catch::Contains("'plan.pp' is a value"));
  CHECK_THAT(error("grid: {plan.pp: [1]}\n"), Catch::Contains("needs 'base'"));
  // A misspelt axis key is refused before anything runs, at the key in the spec, with the
  // nearest key (it used to run with every configuration invalid and exit 0).
  const std::string misspelt =
      error("base: tiny.yaml\ngrid:\n  plan.pp: [1, 2]\n  plan.micro_batchs: [8]\n");
  CHECK_THAT(misspelt, Catch::Contains("bad.yaml:4:3: grid.plan.micro_batchs:"));
  CHECK_THAT(misspelt, Catch::Contains("did you mean 'micro_batches'"));
  CHECK_THAT(error("base: tiny.yaml\nlist:\n  - {plan.pp: 1, plann.dp: 16}\n"),
             Catch::Contains("'plann.dp' is not a key of the base scenario"));
  // A value no configuration can use is refused at the value.
  CHECK_THAT(error("base: tiny.yaml\ngrid:\n  plan.ep: [8, x]\n"),
             Catch::Contains("bad.yaml:3:16: grid.plan.ep[1]: value 'x' of 'plan.ep'"));
  // Constraint errors name the file and line of the constraint, and the column inside it (they
  // had a column but no file or line).
  CHECK_THAT(
      error("base: tiny.yaml\ngrid: {plan.pp: [1]}\nconstraints:\n  - pp >= 1\n  - ppx == 1\n"),
      Catch::Contains("bad.yaml:5:5: constraints[1]: constraint 'ppx == 1': column 1: "
                      "unknown name 'ppx'"));
  CHECK_THAT(error("base: tiny.yaml\ngrid: {plan.pp: [1]}\nconstraints: pp *\n"),
             Catch::Contains("bad.yaml:3:14: constraints: constraint 'pp *': column 5:"));
  CHECK_THAT(error("base: tiny.yaml\ngrid: {plan.pp: [1]}\nconstraints: [[pp]]\n"),
             Catch::Contains("a constraint is an expression"));
  // A grid too large to run is refused at 'grid' before anything is built (the product of the
  // axes used to be computed in a size_t that could wrap).
  std::string huge = "base: tiny.yaml\ngrid:\n";
  for (const char* k : {"plan.pp", "plan.dp", "plan.ep", "plan.tp", "plan.micro_batches",
                        "plan.comm_sms", "plan.seq_len", "hardware.nodes"}) {
    huge += std::string("  ") + k + ": [1, 2, 4, 8, 16, 32, 64, 128]\n";
  }
  CHECK_THAT(error(huge), Catch::Contains("bad.yaml:3:3: grid: the grid has more than 10000000"));
}

TEST_CASE("overrides reach into referenced profiles and keep the loader's checks",
          "[planner][sweep][overrides]") {
  const ScenarioTemplate t(kDir + "tiny.yaml");
  const Scenario base = t.instantiate({});
  const Scenario s = t.instantiate({{"hardware.gpu.nvlink_bidirectional_gb_per_s", "900"},
                                    {"hardware.nodes", "4"},
                                    {"plan.recompute", "[rmsnorm]"},
                                    {"cost.price_per_gpu_hour", "3.5"}});
  CHECK(base.cluster.gpu.nvlink_bidirectional.value() == Approx(400e9));
  CHECK(s.cluster.gpu.nvlink_bidirectional.value() == Approx(900e9));
  CHECK(s.cluster.gpu.sms == base.cluster.gpu.sms);  // the rest of the profile is kept
  CHECK(s.cluster.num_nodes == 4);
  CHECK(s.plan.recompute.rmsnorm);
  CHECK(s.cost.price_per_gpu_hour == 3.5);
  const Scenario h100 = t.instantiate({{"hardware.gpu", "h100-sxm5"}});
  CHECK(h100.cluster.gpu.nvlink_bidirectional.value() == Approx(900e9));
  CHECK_THROWS_WITH(t.instantiate({{"plan.ppp", "2"}}), Catch::Contains("did you mean 'pp'"));
}
