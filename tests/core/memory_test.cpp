#include "hopsim/core/workload/memory.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/parameters.hpp"

namespace {

// 4 layers, hidden 64, 4 heads of 16 (MHA), FFN 128, vocab 100.
hopsim::Scenario tiny() {
  hopsim::Scenario s;
  s.model.name = "tiny";
  s.model.n_layers = 4;
  s.model.hidden = 64;
  s.model.vocab = 100;
  s.model.n_heads = 4;
  s.model.n_kv_heads = 4;
  s.model.head_dim = 16;
  s.model.attention = hopsim::AttentionKind::kMha;
  s.model.dense_inter_dim = 128;
  s.plan.pp = 2;
  s.plan.dp = 2;
  s.plan.micro_batches = 4;
  s.plan.seq_len = 8;
  s.plan.zero_stage = 1;
  s.cluster.gpu.hbm_capacity = hopsim::Bytes(2 << 20);
  return s;
}

// The published DeepSeek-V3 plan as shipped (scenarios/deepseek-v3-h800.yaml, every line citing
// the report), with schedule `k`: loaded, so the fixture cannot drift from the scenario.
hopsim::Scenario v3(hopsim::ScheduleKind k) {
  hopsim::Scenario s =
      hopsim::load_scenario(std::string(HOPSIM_SOURCE_DIR) + "/scenarios/deepseek-v3-h800.yaml");
  s.plan.schedule = k;
  return s;
}

}  // namespace

TEST_CASE("Memory of a small 1F1B plan, by hand", "[memory]") {
  const auto s = tiny();
  const auto ranks = hopsim::memory_per_rank(s, hopsim::Bytes(0));
  REQUIRE(ranks.size() == 2);
  const auto& r0 = ranks[0];
  // Per layer: attention 4*64*64 = 16384, FFN 3*64*128 = 24576, 2 norms 128 -> 41088.
  // Rank 0: layers 0-1 and the embedding 100*64 = 6400 -> 88576 parameters.
  CHECK(r0.layers == 2);
  CHECK(r0.has_embedding);
  CHECK_FALSE(r0.has_head);
  CHECK(r0.dense_parameters == 88'576);
  CHECK(r0.weights.value() == 2 * 88'576);             // BF16
  CHECK(r0.gradients.value() == 4 * 88'576);           // FP32, not sharded at ZeRO-1
  CHECK(r0.master_weights.value() == 4 * 88'576 / 2);  // FP32, sharded over DP 2
  CHECK(r0.optimizer_moments.value() == 8 * 88'576 / 2);
  // Activations per token per layer (BF16, no recompute):
  //   attention: input 128 + norm out 128 + q,k,v 3*4*16*2 = 384 + out 4*16*2 = 128 + LSE 16 = 784
  //   MLP: input 128 + norm out 128 + gate/up 2*128*2 = 512 + SwiGLU out 256 = 1024
  // 1808 B * 8 tokens * 2 layers = 28928 B per micro-batch; 1F1B rank 0 holds PP = 2.
  CHECK(hopsim::activation_bytes_per_layer(s.model, s.plan, 0).value() == 1808 * 8);
  CHECK(r0.activation_per_micro_batch.value() == 28'928);
  CHECK(r0.in_flight == 2.0);
  CHECK(r0.activations.value() == 2 * 28'928);
  CHECK(r0.total.value() == 2 * 88'576 + 4 * 88'576 + 2 * 88'576 + 4 * 88'576 + 2 * 28'928);
  CHECK(r0.fits);
  // Rank 1: layers 2-3, head 6400 and final norm 64; one micro-batch in flight; the loss keeps
  // the final-norm input (64*2) and BF16 logits (100*2) per token: 8 * 328 = 2624 B.
  const auto& r1 = ranks[1];
  CHECK(r1.dense_parameters == 88'640);
  CHECK(r1.in_flight == 1.0);
  CHECK(r1.loss_activations.value() == 2624);
  CHECK(r1.activations.value() == 28'928 + 2624);
  // The default reserve is a modelling default of 2 GiB.
  CHECK(hopsim::memory_per_gpu(s).reserve.value() == 2LL * 1024 * 1024 * 1024);
  CHECK_FALSE(hopsim::memory_per_gpu(s).fits);  // 2 MiB of HBM cannot hold the reserve
}

TEST_CASE("ZeRO stages shard more state", "[memory]") {
  auto s = tiny();
  s.plan.zero_stage = 3;
  const auto r0 = hopsim::memory_per_rank(s, hopsim::Bytes(0))[0];
  CHECK(r0.weights.value() == 88'576);  // 2 B / DP 2
  CHECK(r0.gradients.value() == 2 * 88'576);
  s.plan.zero_stage = 4;
  CHECK_THROWS_AS(hopsim::memory_per_gpu(s), hopsim::PlanError);
}

TEST_CASE("Recompute and full recompute shrink activations", "[memory]") {
  auto s = tiny();
  const auto base = hopsim::activation_bytes_per_layer(s.model, s.plan, 0);
  s.plan.recompute.rmsnorm = true;
  // Two normalised inputs of 64 * 2 B no longer kept: 1808 - 256 = 1552 B per token.
  CHECK(hopsim::activation_bytes_per_layer(s.model, s.plan, 0).value() == 1552 * 8);
  s.plan.recompute.full = true;
  CHECK(hopsim::activation_bytes_per_layer(s.model, s.plan, 0).value() == 64 * 2 * 8);
  CHECK(hopsim::activation_bytes_per_layer(s.model, s.plan, 0) < base);
}

TEST_CASE("DualPipe holds 2x parameters and PP+1 activations vs 1F1B", "[memory]") {
  const auto one = hopsim::memory_per_rank(v3(hopsim::ScheduleKind::k1F1B));
  const auto dual = hopsim::memory_per_rank(v3(hopsim::ScheduleKind::kDualPipe));
  // (61 + 1 MTP) / 16 -> 4 layers per stage. Rank 1: 1F1B stage 1 (layers 4-7); DualPipe
  // stages 1 and 14 (layers 56-59): eight MoE layers instead of four (DeepSeek-V3 report Table 2:
  // 2x params).
  CHECK(one[1].layers == 4);
  CHECK(dual[1].layers == 8);
  CHECK(dual[1].dense_parameters == 2 * one[1].dense_parameters);
  CHECK(dual[1].expert_parameters == 2 * one[1].expert_parameters);
  CHECK(dual[1].weights.value() == 2 * one[1].weights.value());
  // Per MoE layer on one GPU: attention 187,107,328 + shared 44,040,192 + gate 1,835,264
  // + norms 14,336 dense, and 4 of 256 experts = 176,160,768 expert parameters.
  CHECK(one[1].dense_parameters == 4LL * (187'107'328 + 44'040'192 + 1'835'264 + 14'336));
  CHECK(one[1].expert_parameters == 4LL * 176'160'768);
  // Same layers per stage on rank 1, so the same activation per micro-batch; in flight:
  // 1F1B rank 0 = PP = 16, DualPipe = PP + 1 = 17 (DeepSeek-V3 report Table 2).
  CHECK(dual[1].activation_per_micro_batch == one[1].activation_per_micro_batch);
  CHECK(one[0].in_flight == 16.0);
  CHECK(dual[0].in_flight == 17.0);
  // DualPipe rank 0 holds stage 0 and stage 15, so the embedding and the head (DeepSeek-V3 report
  // §3.2.3).
  CHECK(dual[0].has_embedding);
  CHECK(dual[0].has_head);
  CHECK_FALSE(one[0].has_head);
}

TEST_CASE("interleaved 1F1B: warm-up micro-batches in flight, one more with F&B pairs",
          "[memory]") {
  // Megatron-LM's warm-up on rank r is 2(PP-r-1) + (v-1)PP virtual micro-batches, plus the one in
  // progress; overlap_moe_expert_parallel_comm schedules one more warm-up forward
  // (NVIDIA/Megatron-LM megatron/core/pipeline_parallel/schedules.py, get_pp_rank_microbatches).
  // By hand for PP 16, v 2, 128 micro-batches: rank 0 2*15 + 16 + 1 = 47, rank 15 0 + 16 + 1 = 17.
  hopsim::Scenario s = v3(hopsim::ScheduleKind::kInterleaved1F1B);
  s.plan.virtual_stages = 2;
  s.plan.micro_batches = 128;
  const auto plain = hopsim::memory_per_rank(s);
  CHECK(plain[0].in_flight == 47.0);
  CHECK(plain[15].in_flight == 17.0);
  s.plan.fb_overlap = true;
  const auto pairs = hopsim::memory_per_rank(s);
  CHECK(pairs[0].in_flight == 48.0);
  CHECK(pairs[15].in_flight == 18.0);
  CHECK(pairs[0].activations.value() > plain[0].activations.value());
}

TEST_CASE("DualPipeV: half-size stages, 1x parameters, 2PP+1 half units", "[memory]") {
  auto s = v3(hopsim::ScheduleKind::kDualPipeV);
  s.plan.pp = 8;  // 8 ranks, 16 stages of 4 layers
  const auto r = hopsim::memory_per_rank(s);
  CHECK(hopsim::pipeline_stages(s.plan) == 16);
  CHECK(r[1].stages == std::vector<int>{1, 14});
  CHECK(r[1].layers == 8);
  CHECK(r[1].in_flight == 17.0);
  CHECK(r[0].has_embedding);
  CHECK(r[0].has_head);
  // Expert parameters are sharded over DP*TP/EP = 2 ranks at ZeRO-1: master FP32 + BF16 moments.
  const double dense = static_cast<double>(r[1].dense_parameters);
  const double expert = static_cast<double>(r[1].expert_parameters);
  CHECK(static_cast<double>(r[1].master_weights.value()) ==
        Approx(4.0 * (dense / 128 + expert / 2)).margin(1.0));
  CHECK(static_cast<double>(r[1].optimizer_moments.value()) ==
        Approx(4.0 * (dense / 128 + expert / 2)).margin(1.0));
}

TEST_CASE("EP must divide DP*TP", "[memory]") {
  auto s = tiny();
  s.plan.ep = 3;
  CHECK_THROWS_AS(hopsim::memory_per_gpu(s), hopsim::PlanError);
}
