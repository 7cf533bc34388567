// Measurement plans (the CPU half of hopsim measure): the shipped plan parses, its shapes are the
// DeepSeek-V3 ones, its work counts are right, and malformed plans are rejected by name.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/temp_path.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/profiler/calibrate/measure_plan.hpp"

namespace cal = hopsim::profiler::calibrate;

namespace {

const cal::PlanEntry& find(const cal::Plan& p, const std::string& label) {
  for (const auto& e : p.entries)
    if (e.label == label) return e;
  FAIL("no entry " << label);
  throw std::logic_error("unreachable");
}

std::string plan_error(const std::string& text) {
  const auto path = hopsim::test::unique_temp_path("bad_plan.yaml");
  std::ofstream(path) << text;
  try {
    (void)cal::load_plan(path.string());
  } catch (const hopsim::ConfigError& e) {
    std::filesystem::remove(path);
    return e.what();
  }
  std::filesystem::remove(path);
  return "no error";
}

}  // namespace

TEST_CASE("the shipped DeepSeek-V3 plan parses with config-derived shapes",
          "[profiler][calibrate]") {
  const auto p =
      cal::load_plan(std::string(HOPSIM_SOURCE_DIR) + "/kernels/plans/deepseek-v3-kernels.yaml");
  CHECK(p.repeats == 10);
  // wq_b: q_lora_rank 1536 -> 128 heads x (128 + 64) = 24576 (config_671B.json).
  const auto& wq_b = find(p, "wq_b_m4096");
  CHECK(wq_b.at("n") == 128 * (128 + 64));
  CHECK(wq_b.at("k") == 1536);
  // wkv_b: kv_lora_rank 512 -> 128 x (qk_nope 128 + v 128) = 32768.
  CHECK(find(p, "wkv_b_m4096").at("n") == 128 * (128 + 128));
  // wo: 2 * 4096 * 7168 * 16384 FLOPs; FP8 bytes MK + NK + 2MN.
  const auto w = cal::work_of(find(p, "wo_m4096"));
  CHECK(w.flops == 2.0 * 4096 * 7168 * 16384);
  CHECK(w.bytes == 4096.0 * 16384 + 7168.0 * 16384 + 2.0 * 4096 * 7168);
  CHECK(w.flops_basis);
  // Causal attention forward at seq 4096: 2 * 128 * (4096 * 4097 / 2) * (192 + 128).
  CHECK(cal::work_of(find(p, "attn_fwd_seq4096")).flops == 2.0 * 128 * (4096.0 * 4097 / 2) * 320);
  // 4096 tokens x top-8 over 256 experts = 128 rows per expert.
  CHECK(find(p, "experts_up_256x128").at("m_per_group") == 4096 * 8 / 256);
  CHECK(find(p, "comm_bytes268435456").partitions == std::vector<int>{8, 16, 20, 24, 32});
  CHECK(find(p, "lt_wo").partitions == std::vector<int>{132});
  CHECK(p.concurrent_copy_sms == std::vector<int>{8, 16, 20, 24, 32});
}

TEST_CASE("malformed plans are rejected with the key named", "[profiler][calibrate]") {
  const std::string head = "hopsim_measure_plan: 1\nentries:\n";
  CHECK_THAT(plan_error(head + "  - {label: a, class: gemm_fp9, m: 1, n: 1, k: 128}\n"),
             Catch::Contains("entries[0].class") && Catch::Contains("unknown kernel class"));
  CHECK_THAT(plan_error(head + "  - {label: a, class: gemm_fp8, m: 1, n: 1, kk: 128}\n"),
             Catch::Contains("entries[0].kk") && Catch::Contains("not a shape key"));
  CHECK_THAT(plan_error(head + "  - {label: a, class: gemm_fp8, m: 1, n: 1}\n"),
             Catch::Contains("entries[0].k") && Catch::Contains("missing shape key"));
  CHECK_THAT(plan_error("hopsim_measure_plan: 1\nentries: []\nconcurrent: {copy_sms: [8], "
                        "copy_bytes: 1, compute: [nope]}\n"),
             Catch::Contains("no entry labelled 'nope'"));
  CHECK_THAT(plan_error("hopsim_measure_plan: 2\nentries: []\n"),
             Catch::Contains("hopsim_measure_plan"));
  CHECK_THAT(plan_error("hopsim_measure_plan: 1\nentrys: []\n"), Catch::Contains("unknown key"));
}
