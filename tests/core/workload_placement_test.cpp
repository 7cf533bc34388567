#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <limits>
#include <numeric>

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/placement.hpp"
#include "hopsim/core/workload/workload.hpp"
#include "model_presets.hpp"

using namespace hopsim;

namespace {

ParallelPlan plan_for(int pp) {
  ParallelPlan p;
  p.pp = pp;
  p.dp = 8;
  p.ep = 8;
  p.gemm_precision = Precision::kFp8;
  return p;
}

// Training FLOPs of each unit (embedding, blocks, head), computed here from the workload tables.
std::vector<double> unit_costs(const ModelConfig& m, const ParallelPlan& p) {
  std::vector<double> c;
  for (const LayerWorkload& u : build_workload(m, shape_from_plan(p))) {
    c.push_back(u.fwd_flops().value() + u.bwd_input_flops().value() + u.bwd_weight_flops().value());
  }
  return c;
}

// The bottleneck of a placement given as main layers per stage (MTP and head on the last stage).
double bottleneck(const ModelConfig& m, const std::vector<double>& c, const std::vector<int>& n) {
  double worst = 0;
  int next = 1;  // c[0] is the embedding
  for (std::size_t s = 0; s < n.size(); ++s) {
    double t = s == 0 ? c.front() : 0.0;
    for (int i = 0; i < n[s]; ++i) t += c[static_cast<std::size_t>(next++)];
    if (s + 1 == n.size()) {
      for (int d = 0; d < m.mtp_depth; ++d) t += c[static_cast<std::size_t>(next + d)];
      t += c.back();
    }
    worst = std::max(worst, t);
  }
  return worst;
}

}  // namespace

TEST_CASE("placement: equal layers and negligible ends split evenly", "[core][placement]") {
  // Hand derivation: 16 identical dense layers on 4 stages, a 16-entry vocabulary (the embedding
  // and head cost almost nothing): 4 layers each.
  ModelConfig m = test::llama3_70b();
  m.n_layers = 16;
  m.vocab = 16;
  const StagePlacement p = place_stages(m, plan_for(4), 4, training_flops);
  CHECK(p.count == std::vector<int>{4, 4, 4, 4});
  CHECK(p.first == std::vector<int>{0, 4, 8, 12});
}

TEST_CASE("placement: minimises the costliest stage (brute force oracle)", "[core][placement]") {
  // DeepSeek-V3 cut to 11 layers (3 dense, 8 MoE) with its MTP module, on 4 stages: every
  // composition of the main layers is tried; none has a cheaper bottleneck than place_stages'.
  ModelConfig m = test::deepseek_v3();
  m.n_layers = 11;
  const ParallelPlan plan = plan_for(4);
  const std::vector<double> c = unit_costs(m, plan);
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> n(4);
  for (n[0] = 1; n[0] <= 11; ++n[0])
    for (n[1] = 1; n[0] + n[1] <= 11; ++n[1])
      for (n[2] = 1; n[0] + n[1] + n[2] <= 11; ++n[2]) {
        n[3] = 11 - n[0] - n[1] - n[2];  // the last stage may hold the MTP module only
        best = std::min(best, bottleneck(m, c, n));
      }
  const StagePlacement p = place_stages(m, plan, 4, training_flops);
  std::vector<int> main = p.count;
  main.back() -= m.mtp_depth;
  CHECK(bottleneck(m, c, main) == Approx(best).epsilon(1e-12));
  CHECK(std::accumulate(p.count.begin(), p.count.end(), 0) == 12);
}

TEST_CASE("placement: DeepSeek-V3's head and MTP module make the last stage light in layers",
          "[core][placement]") {
  // The output head (129280 x 7168, BF16) costs more than a transformer block, and the MTP module
  // is a block plus a second head: the last of 16 stages gets fewer main layers than the middle.
  const ModelConfig m = test::deepseek_v3();
  const StagePlacement p = place_stages(m, plan_for(16), 16, training_flops);
  REQUIRE(p.stages() == 16);
  CHECK(std::accumulate(p.count.begin(), p.count.end(), 0) == 62);
  CHECK(p.count.back() - m.mtp_depth < p.count[8]);
  for (int s = 1; s < 16; ++s) CHECK(p.first[s] == p.first[s - 1] + p.count[s - 1]);
}

TEST_CASE("placement: more stages than blocks is a plan error", "[core][placement]") {
  ModelConfig m = test::llama3_70b();
  m.n_layers = 3;
  CHECK_THROWS_AS(place_stages(m, plan_for(4), 4, training_flops), PlanError);
}

TEST_CASE("placement: an explicit layout is taken as given, and checked", "[core][placement]") {
  // Megatron-Core's "Et|(tt|)*30mL" for DeepSeek-V3 on 32 stages (NVIDIA-NeMo/Megatron-Bridge
  // scripts/performance/configs/deepseek/deepseek_llm_pretrain.py @01328424): 1 layer with the
  // embedding, 30 stages of 2, MTP and the head alone. Blocks by hand: stage s >= 1 starts at
  // layer 2s - 1; the last holds block 61, the MTP module.
  const ModelConfig m = test::deepseek_v3();
  ParallelPlan plan = plan_for(8);
  plan.layers_per_stage.assign(32, 2);
  plan.layers_per_stage.front() = 1;
  plan.layers_per_stage.back() = 0;
  const StagePlacement p = place_stages(m, plan, 32, training_flops);
  REQUIRE(p.stages() == 32);
  CHECK(p.first[0] == 0);
  CHECK(p.count[0] == 1);
  for (int s = 1; s < 31; ++s) {
    CHECK(p.first[s] == 2 * s - 1);
    CHECK(p.count[s] == 2);
  }
  CHECK(p.first[31] == 61);
  CHECK(p.count[31] == 1);
  CHECK(layout_problem(m, plan.layers_per_stage, 32).empty());
  // Broken layouts say what is wrong, and placing one is a plan error.
  CHECK_THAT(layout_problem(m, plan.layers_per_stage, 16),
             Catch::Matchers::Contains("lists 32 stages but the plan has 16"));
  plan.layers_per_stage[5] = 0;
  CHECK_THAT(layout_problem(m, plan.layers_per_stage, 32),
             Catch::Matchers::Contains("layers_per_stage[5] = 0: every stage needs a layer"));
  CHECK_THROWS_AS(place_stages(m, plan, 32, training_flops), PlanError);
  plan.layers_per_stage[5] = 3;
  CHECK_THAT(layout_problem(m, plan.layers_per_stage, 32),
             Catch::Matchers::Contains("adds up to 62 layers but the model 'DeepSeek-V3' has 61"));
  // Without MTP the last stage needs a layer too.
  ModelConfig no_mtp = m;
  no_mtp.mtp_depth = 0;
  plan.layers_per_stage[5] = 2;
  CHECK_THAT(layout_problem(no_mtp, plan.layers_per_stage, 32),
             Catch::Matchers::Contains("only a last stage holding MTP modules may have none"));
}
