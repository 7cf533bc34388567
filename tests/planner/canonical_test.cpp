// The canonical form behind a result's scenario hash: the same configuration written
// differently hashes the same, and every field that changes a prediction changes the hash.
// The expected field values come from the YAML text below, not from the code under test.

#include "hopsim/planner/canonical.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>

#include "hopsim/core/config/loader.hpp"
#include "hopsim/planner/hash.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim;
using namespace hopsim::planner;

namespace {

// tests/data/sweep/tiny.yaml in block style, keys in the usual order.
const char* kBlock = R"(name: tiny-a
description: first spelling
hardware:
  gpu: h800-sxm5
  node: hgx-h800-8gpu
  fabric: ib-ndr-rail-optimized
  nodes: 2
model:
  name: tiny-moe
  n_layers: 4
  hidden: 512
  vocab: 8192
  n_heads: 8
  attention: mla
  mla:
    q_lora_rank: 0
    kv_lora_rank: 128
    qk_nope_head_dim: 32
    qk_rope_head_dim: 16
    v_head_dim: 32
  dense_inter_dim: 1024
  moe:
    n_routed_experts: 16
    n_shared_experts: 1
    n_activated_experts: 2
    moe_inter_dim: 256
    n_expert_groups: 1
    n_limited_groups: 1
    first_k_dense: 1
    route_scale: 1.0
    score_func: softmax
  mtp_depth: 0
  tie_embeddings: false
plan:
  pp: 2
  dp: 8
  tp: 1
  ep: 8
  micro_batch_size: 1
  micro_batches: 8
  seq_len: 1024
  schedule: 1f1b
  comm_sms: 16
  zero_stage: 1
  precision: bf16
cost:
  price_per_gpu_hour: 2.0
  training_tokens: 1.0e12
)";

// The same configuration: other name and description, sections and keys in another order,
// flow style, comments, quoted strings and numbers written another way.
const char* kShuffled = R"(# a comment
cost: {training_tokens: 1000000000000, price_per_gpu_hour: 2}
plan:
  precision: "bf16"   # quoted
  zero_stage: 1
  comm_sms: 16
  schedule: '1f1b'
  seq_len: 1024
  micro_batches: 8
  micro_batch_size: 1
  ep: 8
  tp: 1
  dp: 8
  pp: 2
model:
  tie_embeddings: false
  mtp_depth: 0
  moe: {score_func: softmax, route_scale: 1, first_k_dense: 1, n_limited_groups: 1,
        n_expert_groups: 1, moe_inter_dim: 256, n_activated_experts: 2, n_shared_experts: 1,
        n_routed_experts: 16}
  dense_inter_dim: 1024
  mla: {v_head_dim: 32, qk_rope_head_dim: 16, qk_nope_head_dim: 32, kv_lora_rank: 128,
        q_lora_rank: 0}
  attention: mla
  n_heads: 8
  vocab: 8192
  hidden: 512
  n_layers: 4
  name: another-name-for-the-same-model
hardware: {nodes: 2, fabric: ib-ndr-rail-optimized, node: hgx-h800-8gpu, gpu: h800-sxm5}
description: second spelling
name: tiny-b
)";

Scenario load_text(const hopsim::test::TempDir& dir, const std::string& file,
                   const std::string& text) {
  const auto path = dir / file;
  std::ofstream(path) << text;
  return load_scenario(path);
}

//! kBlock with the first occurrence of `from` replaced by `to` (which must occur).
std::string edited(const std::string& from, const std::string& to) {
  std::string s = kBlock;
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("canonical form: key order, formatting, names and paths do not matter",
          "[planner][canonical]") {
  const auto dir = hopsim::test::scratch_dir("canonical");
  const Scenario a = load_text(dir, "a.yaml", kBlock);
  const Scenario b = load_text(dir, "b.yaml", kShuffled);
  REQUIRE(a.name != b.name);
  REQUIRE(a.source_path != b.source_path);
  CHECK(canonical_json(a).dump() == canonical_json(b).dump());
  CHECK(scenario_hash(a) == scenario_hash(b));
  // Names, descriptions and paths are not part of it.
  const std::string text = canonical_json(a).dump();
  for (const char* absent : {"tiny-a", "tiny-moe", "first spelling", "a.yaml", "h800-sxm5"}) {
    INFO(absent);
    CHECK(text.find(absent) == std::string::npos);
  }
}

TEST_CASE("canonical form holds the values of the file", "[planner][canonical]") {
  const auto dir = hopsim::test::scratch_dir("canonical-values");
  const auto j = canonical_json(load_text(dir, "a.yaml", kBlock));
  CHECK(j.at("nodes") == 2);
  CHECK(j.at("node").at("gpus_per_node") == 8);
  CHECK(j.at("model").at("n_layers") == 4);
  CHECK(j.at("model").at("hidden") == 512);
  CHECK(j.at("model").at("vocab") == 8192);
  CHECK(j.at("model").at("mla").at("kv_lora_rank") == 128);
  CHECK(j.at("model").at("moe").at("n_routed_experts") == 16);
  CHECK(j.at("model").at("moe").at("moe_inter_dim") == 256);
  CHECK(j.at("plan").at("pp") == 2);
  CHECK(j.at("plan").at("dp") == 8);
  CHECK(j.at("plan").at("ep") == 8);
  CHECK(j.at("plan").at("micro_batches") == 8);
  CHECK(j.at("plan").at("seq_len") == 1024);
  CHECK(j.at("plan").at("schedule") == "1f1b");
  CHECK(j.at("plan").at("comm_sms") == 16);
  CHECK(j.at("cost").at("price_per_gpu_hour") == 2.0);
  CHECK(j.at("cost").at("training_tokens") == 1e12);
}

TEST_CASE("canonical form: every input that changes a prediction changes the hash",
          "[planner][canonical]") {
  const auto dir = hopsim::test::scratch_dir("canonical-edits");
  const std::pair<const char*, const char*> edits[] = {
      {"  gpu: h800-sxm5", "  gpu: h100-sxm5"},
      {"  nodes: 2", "  nodes: 4"},
      {"  fabric: ib-ndr-rail-optimized", "  fabric: ib-ndr-fat-tree-2to1"},
      {"  n_layers: 4", "  n_layers: 6"},
      {"  hidden: 512", "  hidden: 768"},
      {"  vocab: 8192", "  vocab: 16384"},
      {"  kv_lora_rank: 128", "  kv_lora_rank: 64"},
      {"  dense_inter_dim: 1024", "  dense_inter_dim: 2048"},
      {"  n_activated_experts: 2", "  n_activated_experts: 4"},
      {"  moe_inter_dim: 256", "  moe_inter_dim: 128"},
      {"  route_scale: 1.0", "  route_scale: 2.5"},
      {"  score_func: softmax", "  score_func: sigmoid"},
      {"  tie_embeddings: false", "  tie_embeddings: true"},
      {"  pp: 2\n  dp: 8", "  pp: 4\n  dp: 4"},
      {"  micro_batch_size: 1", "  micro_batch_size: 2"},
      {"  micro_batches: 8", "  micro_batches: 16"},
      {"  seq_len: 1024", "  seq_len: 2048"},
      {"  schedule: 1f1b", "  schedule: zb-h1"},
      {"  comm_sms: 16", "  comm_sms: 24"},
      {"  zero_stage: 1", "  zero_stage: 2"},
      {"  precision: bf16", "  precision: fp8"},
      {"  precision: bf16", "  precision: bf16\n  fb_overlap: true"},
      {"  precision: bf16", "  precision: bf16\n  variation:\n    kernel_time_cv: 0.1"},
      {"  precision: bf16", "  precision: bf16\n  variation:\n    routing_cv: 0.1"},
      {"  precision: bf16",
       "  precision: bf16\n  variation:\n    kernel_time_cv: 0.1\n    seed: 7"},
      {"  price_per_gpu_hour: 2.0", "  price_per_gpu_hour: 2.5"},
      {"  training_tokens: 1.0e12", "  training_tokens: 2.0e12"},
      {"  training_tokens: 1.0e12", "  training_tokens: 1.0e12\n  pue: 1.2"},
  };
  std::set<std::string> hashes = {scenario_hash(load_text(dir, "base.yaml", kBlock))};
  int i = 0;
  for (const auto& [from, to] : edits) {
    INFO(from << " -> " << to);
    const Scenario s = load_text(dir, "edit" + std::to_string(i++) + ".yaml", edited(from, to));
    CHECK(hashes.insert(scenario_hash(s)).second);
  }
  // The HGX H800 and H100 node profiles differ in name and sources only: same configuration.
  CHECK(scenario_hash(load_text(dir, "node.yaml",
                                edited("  node: hgx-h800-8gpu", "  node: hgx-h100-8gpu"))) ==
        scenario_hash(load_text(dir, "base3.yaml", kBlock)));
  // A seed without variation draws nothing, so it does not make another configuration.
  const Scenario seed_only =
      load_text(dir, "seed.yaml",
                edited("  precision: bf16", "  precision: bf16\n  variation:\n    seed: 7"));
  CHECK(scenario_hash(seed_only) == scenario_hash(load_text(dir, "base2.yaml", kBlock)));
}

TEST_CASE("scenario hash is the short SHA-256 of the canonical text", "[planner][canonical]") {
  const auto dir = hopsim::test::scratch_dir("canonical-hash");
  const Scenario a = load_text(dir, "a.yaml", kBlock);
  const std::string h = scenario_hash(a);
  CHECK(h.size() == 16);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(h == sha256_hex(canonical_json(a).dump()).substr(0, 16));
}
