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
  // Causal core: 2 * 4096 q * 128 heads * (192 + 128) * 4096/2 keys = 687,194,767,360;
  // backward 2.5x, all input gradient.
  const auto& core = find(a, "attention_core");
  CHECK(core.fwd.value() == 687'194'767'360.0);
  CHECK(core.bwd_input.value() == 2.5 * 687'194'767'360.0);
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
