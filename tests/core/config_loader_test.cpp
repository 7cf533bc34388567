// Shipped hardware profiles, models and scenarios load with their published values; the
// H800 and H100 differ only where the chips do; plan validation and warnings.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "../common/temp_path.hpp"
#include "hopsim/core/config/loader.hpp"
#include "hopsim/core/config/overrides.hpp"
#include "hopsim/core/config/scenario_keys.hpp"

using namespace hopsim;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(HOPSIM_TEST_DATA_DIR) / "config";

//! Every field, so two configs compare equal only if they are (and a failure shows which).
std::string dump(const ModelConfig& m) {
  std::ostringstream o;
  o << "name=" << m.name << " layers=" << m.n_layers << " hidden=" << m.hidden
    << " vocab=" << m.vocab << " heads=" << m.n_heads << " kv=" << m.n_kv_heads
    << " head_dim=" << m.head_dim << " att=" << static_cast<int>(m.attention)
    << " inter=" << m.dense_inter_dim << " mtp=" << m.mtp_depth << " tie=" << m.tie_embeddings;
  if (m.mla) {
    o << " mla(" << m.mla->q_lora_rank << "," << m.mla->kv_lora_rank << ","
      << m.mla->qk_nope_head_dim << "," << m.mla->qk_rope_head_dim << "," << m.mla->v_head_dim
      << ")";
  }
  if (m.moe) {
    const auto& e = *m.moe;
    o << " moe(" << e.n_routed_experts << "," << e.n_shared_experts << "," << e.n_activated_experts
      << "," << e.moe_inter_dim << "," << e.n_expert_groups << "," << e.n_limited_groups << ","
      << e.first_k_dense << "," << e.route_scale << "," << static_cast<int>(e.score_func) << ")";
  }
  return o.str();
}

std::string dump(const GpuProfile& g) {
  std::ostringstream o;
  o.precision(17);
  o << "sms=" << g.sms << " boost=" << g.boost_clock_mhz << " sustained=" << g.sustained_clock_mhz
    << " bf16=" << g.bf16_dense.value() << " fp8=" << g.fp8_dense.value()
    << " fp32=" << g.fp32_cuda_core.value() << " hbm=" << g.hbm_capacity.value()
    << " hbm_bw=" << g.hbm_bandwidth.value() << " l2=" << g.l2_cache.value()
    << " pcie=" << g.pcie_unidirectional.value() << " tdp=" << g.tdp_watts
    << " gran=" << g.sm_partition_granularity;
  return o.str();  // name and NVLink are deliberately left out: see the H800/H100 test
}

std::string dump(const NodeProfile& n) {
  std::ostringstream o;
  o << "gpus=" << n.gpus_per_node << " nvswitch=" << n.nvswitch << " nics=" << n.nics_per_node
    << " nic=" << n.nic_unidirectional.value() << " nvl_lat=" << n.nvlink_latency.value()
    << " nic_lat=" << n.nic_latency.value();
  return o.str();
}

}  // namespace

TEST_CASE("data_dir and the shipped lists", "[config][loader]") {
  CHECK(shipped_models() == std::vector<std::string>{"campaign-block-large", "campaign-block-small",
                                                     "deepseek-v2-lite", "deepseek-v3",
                                                     "llama3-70b"});
  CHECK(shipped_profiles("gpus") == std::vector<std::string>{"h100-sxm5", "h200-sxm", "h800-sxm5"});
  CHECK(shipped_profiles("nodes") ==
        std::vector<std::string>{"h200-1gpu", "hgx-h100-8gpu", "hgx-h200-8gpu", "hgx-h800-8gpu"});
  CHECK(shipped_profiles("fabrics") ==
        std::vector<std::string>{"ib-ndr-fat-tree-2to1", "ib-ndr-rail-optimized"});
  // scenarios/ may also hold sweep specs and other examples: check the three shipped ones.
  const auto scenarios = shipped_scenarios();
  for (const char* name : {"deepseek-v2-lite-16gpu", "deepseek-v3-h100", "deepseek-v3-h800"}) {
    INFO(name);
    CHECK(std::find(scenarios.begin(), scenarios.end(), name) != scenarios.end());
  }
}

TEST_CASE("HOPSIM_DATA_DIR redirects shipped-name lookup", "[config][loader]") {
  const fs::path tmp = hopsim::test::unique_temp_path("config_data_dir_test");
  fs::create_directories(tmp / "models");
  std::ofstream(tmp / "models" / "tiny.yaml")
      << "name: tiny\nn_layers: 2\nhidden: 64\nvocab: 100\nn_heads: 4\nattention: mha\n"
         "dense_inter_dim: 256\n";
  const char* old = std::getenv("HOPSIM_DATA_DIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("HOPSIM_DATA_DIR", tmp.c_str(), 1);
  CHECK(data_dir() == tmp);
  CHECK(shipped_models() == std::vector<std::string>{"tiny"});
  CHECK(load_model("tiny").head_dim == 16);  // 64 / 4 heads
  CHECK_THROWS_AS(load_model("deepseek-v3"), ConfigError);
  if (old != nullptr) {
    ::setenv("HOPSIM_DATA_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("HOPSIM_DATA_DIR");
  }
  fs::remove_all(tmp);
}

TEST_CASE("H800 SXM5 profile carries the published figures", "[config][loader]") {
  const GpuProfile g = load_gpu_profile("h800-sxm5");
  CHECK(g.name == "H800 SXM5");
  CHECK(g.sms == 132);  // DeepSeek-V3 report §3.5.1, p.20
  CHECK(g.boost_clock_mhz ==
        1830.0);  // deepseek-ai/FlashMLA docs/20250929-hopper-fp8-sparse-deep-dive.md
  CHECK(g.sustained_clock_mhz ==
        1600.0);  // deepseek-ai/FlashMLA docs/20250422-new-kernel-deep-dive.md
  CHECK(g.bf16_dense.value() == Approx(989.4e12));
  // 4096 BF16 FLOP/clk/SM x 132 SMs x 1830 MHz (FlashMLA sparse deep dive @9241ae3) = 989.4 TFLOPS
  // to 0.01%.
  CHECK(g.bf16_dense.value() == Approx(4096.0 * 132 * 1830e6).epsilon(1e-4));
  CHECK(g.fp8_dense.value() == Approx(2 * g.bf16_dense.value()).epsilon(1e-4));
  CHECK(g.hbm_capacity.value() == 84'943'110'144);  // H800 trace deviceProperties
  CHECK(g.hbm_bandwidth.value() == Approx(3.35e12));
  CHECK(g.nvlink_bidirectional.value() == Approx(400e9));
  CHECK(g.nvlink_unidirectional().value() == Approx(200e9));
  CHECK(g.nvlink_links == 8);
  CHECK(g.pcie_unidirectional.value() == Approx(64e9));
  CHECK(g.tdp_watts == 700.0);
  CHECK(g.sm_partition_granularity == 8);
}

TEST_CASE("H800 and H100 differ exactly in NVLink", "[config][loader]") {
  // Third-party pages (tumgag.com, philisun.com; aliyun/SimAI calbusbw.h): same
  // GH100 die, SMs and HBM; NVLink 8 links / 400 GB/s on the H800 vs 18 / 900 GB/s on the H100.
  // (FP64 also differs but is not modelled.)
  const GpuProfile h800 = load_gpu_profile("h800-sxm5");
  const GpuProfile h100 = load_gpu_profile("h100-sxm5");
  CHECK(dump(h800) == dump(h100));
  CHECK(h800.nvlink_bidirectional.value() == Approx(400e9));
  CHECK(h100.nvlink_bidirectional.value() == Approx(900e9));
  CHECK(h800.nvlink_links == 8);
  CHECK(h100.nvlink_links == 18);
  CHECK(h100.nvlink_bidirectional.value() / h100.nvlink_links == Approx(50e9));  // 50 GB/s a link

  const NodeProfile n800 = load_node_profile("hgx-h800-8gpu");
  const NodeProfile n100 = load_node_profile("hgx-h100-8gpu");
  CHECK(dump(n800) == dump(n100));
  CHECK(n800.gpus_per_node == 8);
  CHECK(n800.nics_per_node == 8);
  CHECK(n800.nic_unidirectional.value() ==
        Approx(50e9));  // 400 Gb/s CX7, DeepSeek-V3 report p.13 / DeepEP README @ebfe47e
}

TEST_CASE("fabric profiles", "[config][loader]") {
  const FabricProfile rail = load_fabric_profile("ib-ndr-rail-optimized");
  CHECK(rail.topology == FabricTopology::kRailOptimized);
  CHECK(rail.oversubscription == 1.0);
  CHECK(rail.link_unidirectional.value() == Approx(50e9));
  const FabricProfile tree = load_fabric_profile("ib-ndr-fat-tree-2to1");
  CHECK(tree.topology == FabricTopology::kFatTree);
  CHECK(tree.oversubscription == 2.0);
}

TEST_CASE("DeepSeek-V3 model matches config_671B.json", "[config][loader]") {
  const ModelConfig m = load_model("deepseek-v3");  // config_671B.json @9b4e9788
  CHECK(m.n_layers == 61);
  CHECK(m.hidden == 7168);
  CHECK(m.vocab == 129280);
  CHECK(m.n_heads == 128);
  CHECK(m.attention == AttentionKind::kMla);
  REQUIRE(m.mla);
  CHECK(m.mla->q_lora_rank == 1536);
  CHECK(m.mla->kv_lora_rank == 512);
  CHECK(m.mla->qk_head_dim() == 192);
  CHECK(m.mla->v_head_dim == 128);
  CHECK(m.dense_inter_dim == 18432);
  REQUIRE(m.moe);
  CHECK(m.moe->n_routed_experts == 256);
  CHECK(m.moe->n_shared_experts == 1);
  CHECK(m.moe->n_activated_experts == 8);
  CHECK(m.moe->moe_inter_dim == 2048);
  CHECK(m.moe->n_expert_groups == 8);
  CHECK(m.moe->n_limited_groups == 4);
  CHECK(m.moe->first_k_dense == 3);
  CHECK(m.moe->route_scale == 2.5);
  CHECK(m.moe->score_func == ScoreFunc::kSigmoid);
  CHECK(m.mtp_depth == 1);
  CHECK_FALSE(m.tie_embeddings);
  CHECK_FALSE(m.is_moe_layer(2));
  CHECK(m.is_moe_layer(3));
}

TEST_CASE("a Hugging Face config.json gives the same ModelConfig as the shipped YAML",
          "[config][loader]") {
  for (const char* name : {"deepseek-v3", "llama3-70b", "deepseek-v2-lite"}) {
    INFO(name);
    const ModelConfig yaml = load_model(name);
    const ModelConfig hf = load_model((kData / "hf" / name / "config.json").string());
    CHECK(dump(hf) == dump(yaml));
    // A checkpoint folder stands for its config.json.
    CHECK(dump(load_model((kData / "hf" / name).string() + "/")) == dump(yaml));
  }
  const ModelConfig llama = load_model("llama3-70b");
  CHECK(llama.attention == AttentionKind::kGqa);
  CHECK(llama.n_kv_heads == 8);
  CHECK(llama.head_dim == 128);
  CHECK(llama.dense_inter_dim == 28672);
  CHECK_FALSE(llama.moe);
  const ModelConfig lite = load_model("deepseek-v2-lite");
  CHECK(lite.mla->q_lora_rank == 0);  // q_lora_rank: null in config.json
  CHECK(lite.moe->n_activated_experts == 6);
}

TEST_CASE("the price per GPU-hour: the scenario's, else the GPU profile's, else the default",
          "[config][loader]") {
  // The H800 profile cites the DeepSeek-V3 report's $2; the H100 profile cites none.
  CHECK(load_gpu_profile("h800-sxm5").price_per_gpu_hour == 2.0);
  CHECK(load_gpu_profile("h100-sxm5").price_per_gpu_hour == 0.0);
  const fs::path dir = hopsim::test::unique_temp_path("price");
  fs::create_directories(dir);
  // A profile of our own with a price: the H100's figures plus a sourced $3.10.
  std::ifstream h100_file(fs::path(HOPSIM_SOURCE_DIR) / "hwprofiles" / "gpus" / "h100-sxm5.yaml");
  std::stringstream profile;
  profile << h100_file.rdbuf() << "price_per_gpu_hour: {value: 3.1, source: \"our contract\"}\n";
  std::ofstream(dir / "h100-priced.yaml") << profile.str();
  const auto scenario = [&](const std::string& gpu, const std::string& cost) {
    std::ifstream base(fs::path(HOPSIM_SOURCE_DIR) / "scenarios" / "deepseek-v2-lite-16gpu.yaml");
    std::stringstream text;
    text << base.rdbuf();
    std::string t = text.str();
    t = t.substr(0, t.find("cost:"));  // the shipped file states its price: drop it
    const auto at = t.find("gpu: h800-sxm5");
    REQUIRE(at != std::string::npos);
    t.replace(at, std::string("gpu: h800-sxm5").size(), "gpu: " + gpu);
    const fs::path p = dir / ("s" + std::to_string(std::hash<std::string>{}(gpu + cost)) + ".yaml");
    std::ofstream(p) << t << cost;
    return load_scenario(p);
  };
  const Scenario from_profile = scenario((dir / "h100-priced.yaml").string(), "");
  CHECK(from_profile.cost.price_per_gpu_hour == 3.1);
  CHECK(from_profile.cost.price_from == "GPU profile");
  const Scenario stated =
      scenario((dir / "h100-priced.yaml").string(), "cost:\n  price_per_gpu_hour: 1.5\n");
  CHECK(stated.cost.price_per_gpu_hour == 1.5);
  CHECK(stated.cost.price_from == "scenario");
  const Scenario h800 = scenario("h800-sxm5", "cost:\n  pue: 1.2\n");
  CHECK(h800.cost.price_per_gpu_hour == 2.0);
  CHECK(h800.cost.price_from == "GPU profile");
  const Scenario h100 = scenario("h100-sxm5", "");
  CHECK(h100.cost.price_per_gpu_hour == CostInputs{}.price_per_gpu_hour);
  CHECK(h100.cost.price_from == "default");
  // A price without its source is refused like any other profile figure.
  std::ofstream(dir / "h100-unsourced.yaml") << std::regex_replace(
      profile.str(), std::regex("price_per_gpu_hour: .*"), "price_per_gpu_hour: 3.1");
  CHECK_THROWS_AS(load_gpu_profile((dir / "h100-unsourced.yaml").string()), ConfigError);
}

TEST_CASE("model files: by path, and model-level cross checks", "[config][loader]") {
  const auto via_path =
      load_model((fs::path(HOPSIM_SOURCE_DIR) / "models" / "llama3-70b.yaml").string());
  CHECK(dump(via_path) == dump(load_model("llama3-70b")));
  const auto err = [](const std::string& text) {
    const fs::path p = hopsim::test::unique_temp_path("model_check.yaml");
    std::ofstream(p) << text;
    try {
      (void)load_model(p.string());
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string base = "name: m\nn_layers: 2\nhidden: 64\nvocab: 10\nn_heads: 4\n";
  CHECK(
      err(base + "attention: gqa\ndense_inter_dim: 8\n").find("attention: gqa needs n_kv_heads") !=
      std::string::npos);
  CHECK(err(base + "attention: gqa\nn_kv_heads: 3\ndense_inter_dim: 8\n").find("do not divide") !=
        std::string::npos);
  CHECK(err(base + "attention: mla\nhead_dim: 16\n").find("not used with attention: mla") !=
        std::string::npos);
  CHECK(err(base + "attention: mha\n").find("dense_inter_dim is required") != std::string::npos);
  CHECK(err(base + "attention: mha\ndense_inter_dim: 8\nmoe: {n_routed_experts: 4, "
                   "n_activated_experts: 8, moe_inter_dim: 8}\n")
            .find("exceeds the 4 routed experts") != std::string::npos);
  CHECK(err(base + "attention: mha\ndense_inter_dim: 8\nmtp_depth: 1\nnum_layers: 3\n")
            .find("did you mean 'n_layers'") != std::string::npos);
}

TEST_CASE("the published DeepSeek-V3 scenario loads and is feasible", "[config][loader]") {
  const Scenario s = load_scenario_spec("deepseek-v3-h800");
  CHECK(s.name == "deepseek-v3-h800");
  CHECK(s.cluster.num_gpus() == 2048);  // DeepSeek-V3 report §3.1
  CHECK(s.cluster.gpu.name == "H800 SXM5");
  CHECK(s.model.name == "deepseek-v3");
  const ParallelPlan& p = s.plan;
  CHECK(p.pp == 16);
  CHECK(p.dp == 128);
  CHECK(p.tp == 1);
  CHECK(p.ep == 64);
  CHECK(p.world_size() == 2048);
  CHECK(p.schedule == ScheduleKind::kDualPipe);
  CHECK(p.comm_sms == 20);
  CHECK(p.zero_stage == 1);
  CHECK(p.gemm_precision == Precision::kFp8);
  CHECK(p.recompute.rmsnorm);
  CHECK(p.recompute.mla_up_projection);
  CHECK(p.recompute.swiglu);  // SwiGLU output recomputed (DeepSeek-V3 report §3.3.2)
  CHECK_FALSE(p.recompute.full);
  CHECK(p.optimizer.master_weights == StateDtype::kFp32);
  CHECK(p.optimizer.gradients == StateDtype::kFp32);
  CHECK(p.optimizer.moments == StateDtype::kBf16);
  CHECK(p.node_limit == 4);
  // 15360 sequences of 4096 tokens per step (DeepSeek-V3 report §4.2): 128 DP x 120 micro-batches x
  // 1 x 4096.
  CHECK(p.tokens_per_step() == 15360LL * 4096);
  CHECK(s.cost.price_per_gpu_hour == 2.0);
  CHECK(s.cost.training_tokens == 14.8e12);
  // Llama 3 (arXiv 2407.21783 §3.3.4): 466 interruptions in 54 days on 16,384 GPUs, >90% effective.
  REQUIRE(s.cost.interruptions.has_value());
  CHECK(s.cost.interruptions->gpu_hours_between == Approx(16384.0 * 54 * 24 / 466).epsilon(1e-4));
  CHECK(s.cost.interruptions->minutes_lost == Approx(0.1 * 54 * 24 * 60 / 466).epsilon(2e-3));
  // Hand arithmetic: 2048 GPUs / 45,566 GPU-hours = 0.04495 interruptions an hour, each losing
  // 16.7 / 60 h: 1.250% of the wall clock.
  CHECK(effective_training_time(s.cost, 2048) == Approx(1.0 - 2048.0 / 45566 * 16.7 / 60));
  CHECK(effective_training_time(s.cost, 2048) == Approx(0.98749).margin(1e-5));
  CHECK_NOTHROW(validate_plan(s));
  // 112 + 20 SMs is a split green contexts can make (112 = 14 x 8).
  CHECK(plan_warnings(s).empty());
}

TEST_CASE("the H100 scenario differs from the H800 one only in hardware", "[config][loader]") {
  const Scenario a = load_scenario_spec("deepseek-v3-h800");
  const Scenario b = load_scenario_spec("deepseek-v3-h100");
  CHECK(dump(a.model) == dump(b.model));
  CHECK(a.plan.world_size() == b.plan.world_size());
  CHECK(a.plan.micro_batches == b.plan.micro_batches);
  CHECK(a.plan.schedule == b.plan.schedule);
  CHECK(a.plan.comm_sms == b.plan.comm_sms);
  CHECK(a.plan.ep == b.plan.ep);
  CHECK(a.plan.node_limit == b.plan.node_limit);
  CHECK(a.cluster.num_nodes == b.cluster.num_nodes);
  CHECK(a.cluster.fabric.name == b.cluster.fabric.name);
  CHECK(b.cluster.gpu.nvlink_links == 18);
  CHECK_NOTHROW(validate_plan(b));
}

TEST_CASE("small scenario, inline model and relative paths", "[config][loader]") {
  const Scenario lite = load_scenario_spec("deepseek-v2-lite-16gpu");
  CHECK(lite.cluster.num_gpus() == 16);
  CHECK_NOTHROW(validate_plan(lite));

  const Scenario s = load_scenario(kData / "good" / "inline_model_relative_paths.yaml");
  CHECK(s.name == "inline_model_relative_paths");  // no name: the file stem
  CHECK(s.cluster.gpu.name == "H100 SXM5");
  CHECK(s.cluster.fabric.oversubscription == 2.0);
  CHECK(s.model.name == "tiny-gqa");
  CHECK(s.model.head_dim == 64);  // 1024 / 16
  const ParallelPlan d;           // defaults come from ParallelPlan
  CHECK(s.plan.tp == d.tp);
  CHECK(s.plan.seq_len == d.seq_len);
  CHECK(s.plan.schedule == d.schedule);
  CHECK(s.cost.price_per_gpu_hour == CostInputs{}.price_per_gpu_hour);
  CHECK_NOTHROW(validate_plan(s));
}

TEST_CASE("validate_plan lists every broken rule with its numbers", "[config][plan]") {
  Scenario s = load_scenario_spec("deepseek-v3-h800");
  s.plan.pp = 15;             // odd for DualPipe; world 15*128 != 2048
  s.plan.ep = 48;             // divides neither 128 nor 256
  s.plan.micro_batches = 27;  // odd, < 30
  s.plan.comm_sms = 132;
  s.plan.node_limit = 9;  // EP48 spans 6 nodes
  s.plan.tp = 3;          // 128 heads not divisible; world changes too
  const auto errors = plan_errors(s);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  INFO(all);
  CHECK(errors.size() == 8);
  CHECK(all.find("world size PP*DP*TP = 15*128*3 = 5760 must equal nodes*gpus_per_node = 256*8 = "
                 "2048") != std::string::npos);
  CHECK(all.find("EP = 48 must divide DP*TP = 128*3 = 384") == std::string::npos);  // 384 % 48 == 0
  CHECK(all.find("EP = 48 must divide the model's n_routed_experts = 256") != std::string::npos);
  CHECK(all.find("dualpipe needs an even PP, got 15") != std::string::npos);
  CHECK(all.find("dualpipe needs an even number of micro-batches, got 27") != std::string::npos);
  CHECK(all.find("micro_batches >= 2*PP: 27 < 2*15 = 30") != std::string::npos);
  CHECK(all.find("comm_sms = 132 must be >= 0 and < the GPU's 132 SMs") != std::string::npos);
  CHECK(all.find("node_limit = 9 exceeds the 6 node(s)") != std::string::npos);
  CHECK(all.find("TP = 3 must divide the model's 128 attention heads") != std::string::npos);
  CHECK(all.find("deepseek-v3-h800.yaml:") != std::string::npos);  // points into the file
  CHECK_THROWS_AS(validate_plan(s), PlanError);
}

TEST_CASE("schedule rules", "[config][plan]") {
  Scenario s = load_scenario_spec("deepseek-v2-lite-16gpu");  // PP2, 16 micro-batches
  s.plan.micro_batches = 1;
  CHECK(plan_errors(s).size() == 1);  // 1F1B needs micro_batches >= PP
  s.plan.schedule = ScheduleKind::kInterleaved1F1B;
  s.plan.micro_batches = 5;
  s.plan.virtual_stages = 2;
  CHECK(plan_errors(s).size() == 1);  // 5 % 2 != 0
  s.plan.micro_batches = 6;
  CHECK(plan_errors(s).empty());
  s.plan.virtual_stages = 20;  // 40 stages > 27 layers
  CHECK(plan_errors(s).size() == 1);
  {
    // One stage has nothing to interleave; Megatron-Core refuses it (arguments.py).
    Scenario one = s;
    one.plan.virtual_stages = 2;
    one.plan.pp = 1;
    one.plan.dp = 16;
    const auto e = plan_errors(one);
    REQUIRE(e.size() == 1);
    CHECK_THAT(e[0], Catch::Contains("interleaved-1f1b needs pp >= 2"));
  }
  s.plan.schedule = ScheduleKind::kDualPipeV;
  s.plan.virtual_stages = 1;
  s.plan.micro_batches = 3;  // < 2*PP
  CHECK(plan_errors(s).size() == 1);
  s.plan.micro_batches = 4;
  CHECK(plan_errors(s).empty());
  s.plan.schedule = ScheduleKind::k1F1B;
  s.plan.ep = 2;  // fine for MoE; a dense model needs ep 1
  CHECK(plan_errors(s).empty());
  s.model = load_model("llama3-70b");
  CHECK(plan_errors(s).size() == 1);
}

TEST_CASE("fb_overlap and layers_per_stage: read from the file, checked with located errors",
          "[config][plan]") {
  std::ostringstream file;
  file << std::ifstream(fs::path(HOPSIM_SOURCE_DIR) / "scenarios" / "deepseek-v2-lite-16gpu.yaml")
              .rdbuf();
  const std::string base = file.str();
  const auto with = [&](const std::string& name, const std::string& plan_lines) {
    std::string text = base;
    const auto at = text.find("plan:\n");
    REQUIRE(at != std::string::npos);
    text.insert(at + 6, plan_lines);
    const fs::path p = hopsim::test::unique_temp_path(name);
    std::ofstream(p) << text;
    return p.string();
  };
  Scenario s = load_scenario(with("a.yaml", "  fb_overlap: true\n"));
  CHECK(s.plan.fb_overlap);
  // With 1F1B it is refused, naming the key's line and what to do.
  const auto errors = plan_errors(s);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Matchers::Contains("a.yaml:12:15: plan.fb_overlap") &&
                            Catch::Matchers::Contains("interleaved-1f1b"));
  s.plan.schedule = ScheduleKind::kInterleaved1F1B;
  s.plan.virtual_stages = 2;
  CHECK(plan_errors(s).empty());
  // As Megatron-Core asserts: pairs need expert parallelism and no full recompute.
  s.plan.ep = 1;
  s.plan.recompute.full = true;
  const auto two = plan_errors(s);
  REQUIRE(two.size() == 2);
  CHECK_THAT(two[0], Catch::Matchers::Contains("needs ep >= 2"));
  CHECK_THAT(two[1], Catch::Matchers::Contains("drop full from plan.recompute"));
  s.plan.ep = load_scenario_spec("deepseek-v2-lite-16gpu").plan.ep;
  s.plan.recompute.full = false;
  s.plan.schedule = ScheduleKind::kDualPipe;
  s.plan.virtual_stages = 1;
  CHECK_THAT(plan_errors(s).at(0), Catch::Matchers::Contains("always overlaps its pairs"));
  // Megatron-Core's name for it is not a key, but the error points to this one.
  CHECK_THROWS_WITH(load_scenario(with("b.yaml", "  overlap_moe_expert_parallel_comm: true\n")),
                    Catch::Matchers::Contains("b.yaml:12:3") &&
                        Catch::Matchers::Contains("did you mean 'fb_overlap'"));
  CHECK_FALSE(load_scenario_spec("deepseek-v2-lite-16gpu").plan.fb_overlap);  // off by default
  // An explicit layout: 27 layers of DeepSeek-V2-Lite on its 2 stages, then the rules.
  Scenario laid = load_scenario(with("d.yaml", "  layers_per_stage: [12, 15]\n"));
  CHECK(laid.plan.layers_per_stage == std::vector<int>{12, 15});
  CHECK(config::scenario_value(laid, "plan.layers_per_stage") == "[12, 15]");
  CHECK(plan_errors(laid).empty());
  laid = load_scenario(with("e.yaml", "  layers_per_stage: [12, 14]\n"));
  REQUIRE(plan_errors(laid).size() == 1);
  CHECK_THAT(plan_errors(laid)[0],
             Catch::Matchers::Contains("e.yaml:12:21: plan.layers_per_stage") &&
                 Catch::Matchers::Contains("adds up to 26 layers"));
  CHECK_THROWS_WITH(load_scenario(with("f.yaml", "  layers_per_stage: [12, fifteen]\n")),
                    Catch::Matchers::Contains("f.yaml:12:26: plan.layers_per_stage[1]") &&
                        Catch::Matchers::Contains("expected an integer from 0"));
  // Not a boolean: a located error naming the key.
  try {
    (void)load_scenario(with("c.yaml", "  fb_overlap: sometimes\n"));
    FAIL("accepted fb_overlap: sometimes");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("c.yaml:") &&
                             Catch::Matchers::Contains("plan.fb_overlap"));
  }
}

TEST_CASE("plan warnings: SM splits green contexts cannot make", "[config][plan]") {
  Scenario s = load_scenario_spec("deepseek-v3-h800");
  s.plan.comm_sms = 21;  // 111 + 21: neither side a multiple of 8
  const auto w = plan_warnings(s);
  REQUIRE(w.size() == 2);
  CHECK(w[0].find("a 111 + 21 SM split cannot be made") != std::string::npos);
  CHECK(w[0].find("nearest realisable comm_sms: 20 or 24") != std::string::npos);
  CHECK(w[1].find("is odd") != std::string::npos);
  s.plan.comm_sms = 24;  // 108 + 24: the comm side is 3 x 8
  CHECK(plan_warnings(s).empty());
  CHECK(plan_errors(s).empty());  // a warning is never an error
}

TEST_CASE("every shipped scenario, model and profile loads", "[config][loader]") {
  for (const auto& name : shipped_scenarios()) {
    INFO(name);
    const Scenario s = load_scenario_spec(name);
    CHECK_NOTHROW(validate_plan(s));
  }
  for (const auto& name : shipped_models()) {
    INFO(name);
    CHECK_NOTHROW(load_model(name));
  }
  for (const auto& name : shipped_profiles("gpus")) CHECK_NOTHROW(load_gpu_profile(name));
  for (const auto& name : shipped_profiles("nodes")) CHECK_NOTHROW(load_node_profile(name));
  for (const auto& name : shipped_profiles("fabrics")) CHECK_NOTHROW(load_fabric_profile(name));
}

TEST_CASE("scenario keys: what the file says is what scenario_value reads back", "[config][keys]") {
  // Oracle: the shipped document's own scalars (its text), not the loader's structs.
  const ScenarioTemplate doc("deepseek-v3-h800");
  const Scenario s = doc.instantiate({});
  int checked = 0;
  for (const auto& [key, text] : doc.scalars({})) {
    if (!key.starts_with("plan.") && !key.starts_with("cost.") && key != "hardware.nodes") continue;
    if (key.starts_with("plan.recompute")) continue;  // a list: checked below
    INFO(key);
    const auto v = config::scenario_value(s, key);
    REQUIRE(v.has_value());
    char* end = nullptr;
    const double file_number = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0') {
      CHECK(std::stod(*v) == file_number);
    } else {
      CHECK(*v == text);
    }
    ++checked;
  }
  CHECK(checked >= 10);  // pp, dp, tp, ep, micro-batches, schedule, comm SMs, node limit, ...
  // recompute: [rmsnorm, mla_up_projection, swiglu] in the file, in the declaration's order.
  CHECK(config::scenario_value(s, "plan.recompute") == "[rmsnorm, mla_up_projection, swiglu]");
  // Defaults and inherited values: no PUE in the file; the price comes from the H800 profile.
  CHECK(config::scenario_value(s, "cost.pue") == "1");
  CHECK(config::scenario_value(s, "cost.price_per_gpu_hour") == "2");
  CHECK_FALSE(config::scenario_value(s, "hardware.gpu").has_value());  // a profile, not a setting
}

TEST_CASE("scenario keys: every setting is declared once with a meaning, and its value edits back",
          "[config][keys]") {
  const ScenarioTemplate doc("deepseek-v3-h800");
  const Scenario s = doc.instantiate({});
  int settings = 0;
  for (const char* mapping :
       {"plan", "plan.optimizer", "plan.variation", "cost", "cost.interruptions", "hardware"}) {
    for (const config::KeySpec& k : config::scenario_keys(mapping)) {
      const std::string dotted = std::string(mapping) + "." + k.name;
      INFO(dotted);
      CHECK(config::find_scenario_key(dotted) == &k);
      if (k.kind == config::ValueKind::kMapping || k.kind == config::ValueKind::kStringOrMapping) {
        continue;
      }
      ++settings;
      CHECK_FALSE(k.help.empty());  // an editor's label
      // Every scalar setting the loader reads has a value to show, and writing that value back
      // as an edit is accepted by the loader and reads back the same.
      const auto v = config::scenario_value(s, dotted);
      REQUIRE(v.has_value());
      const Scenario again = doc.instantiate({{dotted, *v}});
      CHECK(config::scenario_value(again, dotted) == v);
    }
  }
  CHECK(settings == 29);  // 17 plan, 3 optimizer, 3 variation, 3 cost, 2 interruptions, 1 hardware
  CHECK(config::find_scenario_key("plan.pipeline_parallel") == nullptr);  // aliases are not keys
  CHECK(config::find_scenario_key("nosuch.pp") == nullptr);
  // An edit shows: PP 8 reads back as "8".
  CHECK(config::scenario_value(doc.instantiate({{"plan.pp", "8"}}), "plan.pp") == "8");
}

TEST_CASE("scenario keys: a problem an override made, where the file has no line, names it",
          "[config][keys]") {
  // cost.interruptions is two keys; an override of one on a scenario without the map creates it
  // half-filled. The file has no line for that map: the message names the override.
  const ScenarioTemplate doc("deepseek-v2-lite-16gpu");
  REQUIRE_FALSE(doc.instantiate({}).cost.interruptions.has_value());
  try {
    (void)doc.instantiate({{"cost.interruptions.minutes_lost", "10"}});
    FAIL("half of cost.interruptions must not load");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).starts_with(
        "override cost.interruptions.minutes_lost=10: cost.interruptions: missing required key "
        "'cost.interruptions.gpu_hours_between'"));
  }
  // Both given, it loads: 1000 GPU-hours between, 30 minutes lost each.
  const Scenario both = doc.instantiate({{"cost.interruptions.gpu_hours_between", "1000"},
                                         {"cost.interruptions.minutes_lost", "30"}});
  REQUIRE(both.cost.interruptions.has_value());
  CHECK(both.cost.interruptions->minutes_lost == 30.0);
}
