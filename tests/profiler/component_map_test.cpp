// Tests for profiler/src/attribute/component_map.cpp: the shipped rules on phase names of the
// kind DeepSeek-style training code records, and the errors for bad maps.

#include "hopsim/profiler/attribute/component_map.hpp"

#include <catch2/catch.hpp>

#include "hopsim/core/error.hpp"

namespace at = hopsim::profiler::attribute;

TEST_CASE("component map: shipped rules on phase names", "[profiler][attribute]") {
  const auto m = at::ComponentMap::shipped();
  const std::pair<const char*, const char*> cases[] = {
      {"layer3.attn.forward", "attention_f"},
      {"attn_fwd", "attention_f"},
      {"MLA forward", "attention_f"},
      {"attn.backward", "attention_b"},
      {"attention_bwd", "attention_b"},
      {"attn.backward_weight", "attention_w"},
      {"attn_wgrad", "attention_w"},
      {"attn/w", "attention_w"},
      {"mlp.forward", "mlp_f"},
      {"moe_fwd", "mlp_f"},
      {"expert.dgrad", "mlp_b"},
      {"mlp.b", "mlp_b"},
      {"mlp.weight", "mlp_w"},
      {"moe.dispatch.forward", "dispatch_f"},
      {"dispatch_fwd", "dispatch_f"},
      {"dispatch(B)", "dispatch_b"},
      {"combine_bwd", "combine_b"},
      {"combine.forward", "combine_f"},
      {"attn(F)", "attention_f"},  // DeepSeek-V3 §3.2.1 Figure 4's notation
      {"mlp(W)", "mlp_w"},
      {"combine(F)", "combine_f"},
  };
  for (const auto& [name, component] : cases) {
    INFO(name);
    const auto c = m.component_of(name);
    REQUIRE(c.has_value());
    CHECK(*c == component);
  }
  // No direction word, or no part word: nothing. "buffer" and "Bwd"-less words must not match.
  for (const char* name : {"attn", "dispatch", "## forward ##", "Optimizer.step#SGD.step",
                           "nccl:all_reduce", "ProfilerStep#3", "waiting"}) {
    INFO(name);
    CHECK_FALSE(m.component_of(name).has_value());
  }
}

TEST_CASE("component map: user rules come first, bad maps are located errors",
          "[profiler][attribute]") {
  const auto user = at::ComponentMap::from_yaml(
      "version: 1\nrules:\n  - component: mlp_f\n    pattern: '^my_experts$'\n", "user.yaml");
  const auto m = user.followed_by(at::ComponentMap::shipped());
  CHECK(m.component_of("my_experts") == std::optional<std::string>("mlp_f"));
  CHECK(m.component_of("attn_fwd") == std::optional<std::string>("attention_f"));

  CHECK_THROWS_WITH(at::ComponentMap::from_yaml(
                        "rules:\n  - component: atention_f\n    pattern: attn\n", "m.yaml"),
                    Catch::Contains("m.yaml:2") && Catch::Contains("rules[0].component") &&
                        Catch::Contains("did you mean 'attention_f'"));
  CHECK_THROWS_WITH(
      at::ComponentMap::from_yaml("rules:\n  - component: mlp_f\n    pattern: '('\n", "m.yaml"),
      Catch::Contains("invalid regex"));
  CHECK_THROWS_WITH(
      at::ComponentMap::from_yaml("rules:\n  - component: mlp_f\n    patern: mlp\n", "m.yaml"),
      Catch::Contains("pattern"));
  CHECK_THROWS_AS(at::ComponentMap::from_yaml("version: 2\nrules: []\n", "m.yaml"),
                  hopsim::ConfigError);
}
