#include <catch2/catch.hpp>
#include <string>

#include "hopsim/core/error.hpp"
#include "hopsim/core/workload/parameters.hpp"
#include "hopsim/core/workload/workload.hpp"
#include "model_presets.hpp"

namespace {

const hopsim::Op& find(const std::vector<hopsim::Op>& ops, const std::string& name) {
  for (const auto& op : ops) {
    if (op.name == name) return op;
  }
  FAIL("no op named " << name);
  return ops.front();
}

hopsim::WorkloadShape v3_shape(hopsim::Precision p = hopsim::Precision::kBf16) {
  hopsim::WorkloadShape s;
  s.tokens = 4096;  // one 4096-token sequence per micro-batch (assumed; as in DeepSeek's profile)
  s.seq_len = 4096;
  s.tp = 1;
  s.ep = 64;  // DeepSeek-V3 report §3.2: EP64 over 8 nodes
  s.gemm_precision = p;
  s.node_limit = 4;  // DeepSeek-V3 report §3.2.2
  return s;
}

}  // namespace

TEST_CASE("Layer list: embedding, 61 layers, MTP, head", "[workload][ops]") {
  const auto w = hopsim::build_workload(hopsim::test::deepseek_v3(), v3_shape());
  REQUIRE(w.size() == 64);
  CHECK(w.front().kind == hopsim::LayerKind::kEmbedding);
  CHECK(w[1].kind == hopsim::LayerKind::kDense);
  CHECK(w[3].kind == hopsim::LayerKind::kDense);
  CHECK(w[4].kind == hopsim::LayerKind::kMoe);
  CHECK(w[4].layer == 3);
  CHECK(w[62].kind == hopsim::LayerKind::kMtp);
  CHECK(w.back().kind == hopsim::LayerKind::kHead);
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i].index == static_cast<int>(i));
}

TEST_CASE("DeepSeek-V3 MLA layer FLOPs at T=4096", "[workload][ops]") {
  const auto w = hopsim::build_workload(hopsim::test::deepseek_v3(), v3_shape());
  const auto& a = w[4].attention;
  // GEMM (M,N,K) = 2MNK each for forward, B and W; M = 4096 tokens.
  // wq_a: 2 * 4096 * 1536 * 7168 = 90,194,313,216
  CHECK(find(a, "wq_a").fwd.value() == 90'194'313'216.0);
  CHECK(find(a, "wq_a").bwd_input.value() == 90'194'313'216.0);
  CHECK(find(a, "wq_a").bwd_weight.value() == 90'194'313'216.0);
  // wq_b: N = 128 heads * 192 = 24576, K = 1536: 2 * 4096 * 24576 * 1536 = 309,237,645,312
  CHECK(find(a, "wq_b").fwd.value() == 309'237'645'312.0);
  // wkv_a: N = 512 + 64: 2 * 4096 * 576 * 7168 = 33,822,867,456
  CHECK(find(a, "wkv_a").fwd.value() == 33'822'867'456.0);
  // wkv_b: N = 128 * (128 + 128) = 32768, K = 512: 2 * 4096 * 32768 * 512 = 137,438,953,472
  CHECK(find(a, "wkv_b").fwd.value() == 137'438'953'472.0);
  // wo: N = 7168, K = 128 * 128: 2 * 4096 * 7168 * 16384 = 962,072,674,304
  CHECK(find(a, "wo").fwd.value() == 962'072'674'304.0);
  // Causal core: 2 * 4096 q * 128 heads * (192 + 128) * 4096/2 keys = 687,194,767,360.
  // Backward, all input gradient: S = QK^T recomputed, dQ and dK over d_qk = 192, dV and dP
  // over d_v = 128: 2 * 4096 * 128 * (3 * 192 + 2 * 128) * 2048 = 1,786,706,395,136 (2.6x, not
  // the 2.5x of equal head dims).
  const auto& core = find(a, "attention_core");
  CHECK(core.fwd.value() == 687'194'767'360.0);
  CHECK(core.bwd_input.value() == 1'786'706'395'136.0);
  CHECK(core.bwd_weight.value() == 0.0);
  // BF16 wq_a bytes: X 4096*7168*2 + W 7168*1536*2 read, Y 4096*1536*2 written.
  CHECK(find(a, "wq_a").bytes_fwd.read.value() == 4096LL * 7168 * 2 + 7168LL * 1536 * 2);
  CHECK(find(a, "wq_a").bytes_fwd.written.value() == 4096LL * 1536 * 2);
  // W pass writes the FP32 weight gradient.
  CHECK(find(a, "wq_a").bytes_bwd_weight.written.value() == 7168LL * 1536 * 4);
}

TEST_CASE("DeepSeek-V3 MoE layer FLOPs at T=4096, EP64", "[workload][ops]") {
  const auto w = hopsim::build_workload(hopsim::test::deepseek_v3(), v3_shape());
  const auto& mlp = w[4].mlp;
  // Router: 2 * 4096 * 256 * 7168 = 15,032,385,536 (+ 4 FLOPs per score for sigmoid/top-k).
  CHECK(find(mlp, "router").fwd.value() == 15'032'385'536.0 + 4.0 * 4096 * 256);
  CHECK(find(mlp, "router").bwd_input.value() == 15'032'385'536.0);
  // Shared expert: gate_up 2 * 4096 * 4096 * 7168 = 240,518,168,576; down 2*4096*7168*2048.
  CHECK(find(mlp, "shared_gate_up").fwd.value() == 240'518'168'576.0);
  CHECK(find(mlp, "shared_down").fwd.value() == 120'259'084'288.0);
  // Routed experts on one rank: 256/64 = 4 experts, balanced routing sends 4096*8 = 32768 rows,
  // 8192 per expert. gate_up: 4 groups * 2 * 8192 * 4096 * 7168 = 1,924,145,348,608.
  const auto& gu = find(mlp, "experts_gate_up");
  CHECK(gu.kind == hopsim::OpKind::kGroupedGemm);
  CHECK(gu.groups == 4);
  CHECK(gu.m == 8192);
  CHECK(gu.n == 4096);
  CHECK(gu.k == 7168);
  CHECK(gu.fwd.value() == 1'924'145'348'608.0);
  CHECK(find(mlp, "experts_down").fwd.value() == 962'072'674'304.0);
}

TEST_CASE("The ops that follow a rank's routing are the routed experts' and their permute",
          "[workload][ops]") {
  // A rank's routed experts work on the token copies it receives (DeepEP dispatch), everything
  // else on the rank's own tokens: the router, the shared expert, the weighted sum of the
  // combined outputs. Hand list from the MoE layer's structure (DeepSeek-V3 report §2.1.2).
  const auto w =
      hopsim::build_workload(hopsim::test::deepseek_v3(), v3_shape(hopsim::Precision::kFp8));
  std::vector<std::string> routed;
  for (const auto& op : w[4].mlp) {
    if (op.routed) routed.push_back(op.name);
  }
  for (const auto& op : w[4].attention) CHECK_FALSE(op.routed);
  REQUIRE(routed.size() >= 5);
  CHECK(routed.front() == "experts_permute");
  for (const std::string& name : routed) {
    INFO(name);
    CHECK(name.rfind("experts_", 0) == 0);
  }
  for (const char* name :
       {"experts_gate_up", "experts_swiglu", "experts_swiglu_quant", "experts_down"}) {
    CHECK(find(w[4].mlp, name).routed);
  }
  // A dense layer routes nothing.
  for (const auto& op : w[1].mlp) CHECK_FALSE(op.routed);
}

TEST_CASE("MoE communication volumes", "[workload][ops]") {
  const auto w =
      hopsim::build_workload(hopsim::test::deepseek_v3(), v3_shape(hopsim::Precision::kFp8));
  const auto& c = w[4].comm;
  // FP8 hidden + one FP32 scale per 128 channels: 7168 + 56*4 = 7392 B (derived).
  CHECK(c.dispatch_bytes_per_copy.value() == 7392);
  CHECK(c.combine_bytes_per_copy.value() == 7168 * 2);
  // Node-limited to 4 of 8 nodes, 8 experts among the 128 experts of those nodes (32 per node):
  // expected distinct nodes = 4 * (1 - C(96,8)/C(128,8)) = 3.629.
  CHECK(c.nodes_per_token == Approx(3.629).epsilon(1e-3));
  CHECK(c.remote_nodes_per_token == Approx(3.629 * 7 / 8).epsilon(1e-3));
  CHECK(c.dispatch_internode_bytes.value() ==
        Approx(4096 * c.remote_nodes_per_token * 7392).margin(1.0));
  // Dense layers have no MoE traffic; no TP means no all-reduce.
  CHECK(w[1].comm.dispatch_bytes.value() == 0);
  CHECK(w[4].comm.tp_allreduces_fwd == 0);
  // FP8 switches the projection and expert GEMMs, not the router or the head (DeepSeek-V3 report
  // §3.3).
  CHECK(std::string(w[4].mlp.front().dtype) == "bf16");
  bool saw_fp8_expert = false;
  for (const auto& op : w[4].mlp) {
    if (op.name == "experts_gate_up") saw_fp8_expert = op.dtype == "fp8";
    if (op.name == "router") CHECK(op.dtype == "bf16");
  }
  CHECK(saw_fp8_expert);
  for (const auto& op : w.back().mlp) {
    if (op.name == "head") CHECK(op.dtype == "bf16");
  }
}

TEST_CASE("Expected distinct bins", "[workload][ops]") {
  CHECK(hopsim::expected_distinct_bins(8, 8, 1) == Approx(1.0));
  CHECK(hopsim::expected_distinct_bins(8, 8, 8) == Approx(8.0));
  // 2 of 4 items in 2 bins: P(bin empty) = C(2,2)/C(4,2) = 1/6; 2 * 5/6.
  CHECK(hopsim::expected_distinct_bins(4, 2, 2) == Approx(5.0 / 3.0));
}

TEST_CASE("Tensor parallelism splits heads and checks divisibility", "[workload][ops]") {
  auto s = v3_shape();
  s.tp = 2;
  s.ep = 1;
  const auto w = hopsim::build_workload(hopsim::test::llama3_70b(), s);
  // wq with 64/2 heads: N = 32 * 128 = 4096.
  CHECK(find(w[1].attention, "wq").n == 4096);
  CHECK(w[1].comm.tp_allreduces_fwd == 2);
  CHECK(w[1].comm.tp_allreduce_bytes.value() == 4096LL * 8192 * 2);
  s.tp = 3;
  CHECK_THROWS_AS(hopsim::build_workload(hopsim::test::llama3_70b(), s), hopsim::PlanError);
}

// Hand-derived HBM bytes (T = 4096 tokens, 128 heads, qk 128 + 64, v 128, BF16 = 2 B, FP32 = 4 B)
// of the kernels FlashAttention-3 and MLA's non-absorbed form add around the attention core
// (Dao-AILab/flash-attention hopper/flash_bwd_launch_template.h @000786d; deepseek-ai/DeepSeek-V3
// inference/model.py @1ea5a1a).
TEST_CASE("MLA key assembly and FlashAttention-3 backward pre/post-processing bytes",
          "[workload][ops]") {
  const auto w = hopsim::build_workload(hopsim::test::deepseek_v3(), v3_shape());
  const auto& a = w[4].attention;
  const auto& key = find(a, "mla_key_assembly");
  // Forward: read k_nope 4096*128*128*2 and k_pe 4096*64*2, write k 4096*128*192*2.
  CHECK(key.bytes_fwd.read.value() == 134'217'728 + 524'288);
  CHECK(key.bytes_fwd.written.value() == 201'326'592);
  // Backward: k_pe's gradient summed over heads: read 4096*128*64*2, write 4096*64*2.
  CHECK(key.bytes_bwd_input.read.value() == 67'108'864);
  CHECK(key.bytes_bwd_input.written.value() == 524'288);
  const auto& pre = find(a, "attention_bwd_preprocess");
  // Read O and dO (4096*128*128*2 each); write dP_sum and LSE_log2 (4096*128*4 each) and clear
  // the FP32 dQ accumulator 4096*128*192*4.
  CHECK(pre.bytes_bwd_input.read.value() == 268'435'456);
  CHECK(pre.bytes_bwd_input.written.value() == 4'194'304 + 402'653'184);
  const auto& post = find(a, "attention_bwd_postprocess");
  CHECK(post.bytes_bwd_input.read.value() == 402'653'184);
  CHECK(post.bytes_bwd_input.written.value() == 201'326'592);
  // Backward-only kernels launch nothing in forward or in the weight-gradient pass.
  for (const auto* op : {&pre, &post}) {
    CHECK(hopsim::launches(*op, 0) == 0);
    CHECK(hopsim::launches(*op, 1) == 1);
    CHECK(hopsim::launches(*op, 2) == 0);
  }
  // Routed plus shared expert output: read 2 x 4096*7168*2, write 4096*7168*2; nothing backward.
  const auto& add = find(w[4].mlp, "moe_shared_add");
  CHECK(add.bytes_fwd.total().value() == 3LL * 4096 * 7168 * 2);
  CHECK(hopsim::launches(add, 1) == 0);
}

TEST_CASE("Grouped-query attention adds FlashAttention-3's dK/dV accumulators", "[workload][ops]") {
  // Llama 3 70B: 64 query heads, 8 KV heads of 128 (T = 4096, TP 1).
  hopsim::WorkloadShape s = v3_shape();
  s.ep = 1;
  const auto w = hopsim::build_workload(hopsim::test::llama3_70b(), s);
  const auto& post = find(w[1].attention, "attention_bwd_postprocess");
  // dQ: read 4096*64*128*4 = 134,217,728, write 4096*64*128*2 = 67,108,864. dK and dV: read
  // 4096*8*256*4 = 33,554,432, write the same zeroed beforehand plus 4096*8*256*2 = 16,777,216.
  CHECK(post.bytes_bwd_input.read.value() == 134'217'728 + 33'554'432);
  CHECK(post.bytes_bwd_input.written.value() == 67'108'864 + 33'554'432 + 16'777'216);
  CHECK(hopsim::launches(post, 1) == 4);
}
