#include <catch2/catch.hpp>

#include "hopsim/core/workload/flops.hpp"
#include "hopsim/core/workload/parameters.hpp"
#include "model_presets.hpp"

TEST_CASE("DeepSeek-V3 training FLOPs per token at T=4096", "[workload][flops]") {
  const auto m = hopsim::test::deepseek_v3();
  const auto f = hopsim::training_flops(m, 4096);
  const auto p = hopsim::count_parameters(m);
  // Forward matmul FLOPs = 2 x (active params that are matmul weights): active minus the
  // embedding (a lookup) and the norm weights (not matmuls). Exact up to the router's top-k
  // elementwise work, which is counted as matmul here (4 FLOPs per score: < 0.01%).
  const double matmul_params = static_cast<double>(p.active_per_token - p.embedding - p.norms -
                                                   58 * 256 /* sigmoid bias, not a matmul */);
  CHECK(f.matmul_fwd.value() == Approx(2.0 * matmul_params).epsilon(1e-4));
  CHECK(f.matmul_bwd_input.value() == Approx(2.0 * matmul_params).epsilon(1e-4));
  CHECK(f.matmul_bwd_weight.value() == Approx(2.0 * matmul_params).epsilon(1e-4));
  // Derived: ~220 GFLOP per token for the matmuls (6 x 36.6B active parameters).
  CHECK(f.matmul().value() == Approx(220e9).epsilon(0.005));
  // Attention core forward: 61 layers * 2 * 128 heads * (192 + 128) * 4096/2 = 10.234 GFLOP.
  CHECK(f.attention_fwd.value() == Approx(61.0 * 2 * 128 * 320 * 2048).epsilon(1e-12));
  // A derived estimate gives ~31 GFLOP for training attention cores, which is fwd + 2x fwd
  // (30.7 GFLOP). Our backward recomputes S and counts dQ, dK over d_qk = 192 and dV, dP over
  // d_v = 128: (3 * 192 + 2 * 128) / (192 + 128) = 2.6x forward, giving 3.6 x 10.23 = 36.8.
  CHECK(f.attention_fwd.value() * 3.0 == Approx(31e9).epsilon(0.015));
  CHECK(f.attention().value() == Approx(3.6 * f.attention_fwd.value()).epsilon(1e-12));
  // Norms, RoPE, SwiGLU and the loss are a small fraction.
  CHECK(f.other_fwd.value() < 0.01 * f.matmul_fwd.value());
}

TEST_CASE("MTP adds its block, projection and head", "[workload][flops]") {
  const auto m = hopsim::test::deepseek_v3();
  const auto with = hopsim::training_flops(m, 4096, true);
  const auto without = hopsim::training_flops(m, 4096, false);
  // MTP forward matmuls: attention 187.1M - norms 2048 + 9 experts + gate + eh_proj 2*7168^2
  // + head 129280*7168, times 2 FLOPs.
  const double mtp_params =
      187'107'328.0 - 2048 + 9 * 44'040'192.0 + 256 * 7168.0 + 2.0 * 7168 * 7168 + 129280.0 * 7168;
  CHECK((with.matmul_fwd - without.matmul_fwd).value() == Approx(2 * mtp_params).epsilon(1e-4));
}

TEST_CASE("KV cache per token", "[workload][kv]") {
  const auto v3 = hopsim::kv_cache_per_token(hopsim::test::deepseek_v3(), 2);
  // MLA caches kv_lora_rank + qk_rope_head_dim = 512 + 64 elements per layer:
  // 576 * 61 * 2 bytes = 70,272 B per token in BF16.
  CHECK(v3.elements_per_layer == 576);
  CHECK(v3.per_token.value() == 70'272);
  // MHA equivalent: 128 heads * (192 + 128) * 61 * 2 = 4,997,120 B; GQA-8: 8*320*61*2 = 312,320.
  CHECK(v3.mha_equivalent.value() == 4'997'120);
  CHECK(v3.gqa_equivalent.value() == 312'320);
  // Llama-3-70B GQA with 8 KV heads: 8 * (128 + 128) * 80 layers * 2 B = 327,680 B.
  const auto ll = hopsim::kv_cache_per_token(hopsim::test::llama3_70b(), 2);
  CHECK(ll.per_token.value() == 327'680);
  CHECK(ll.per_token == ll.gqa_equivalent);
  CHECK(ll.mha_equivalent.value() == 64LL * 256 * 80 * 2);
}
