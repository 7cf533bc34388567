// hopsim-measure's schedule and --dry-run listing for the shipped DeepSeek-V3 plan. Every count
// and shape below is derived by hand from kernels/plans/deepseek-v3-kernels.yaml (derivation in
// the comments), not from the code under test.

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hopsim/core/error.hpp"
#include "hopsim/measure/schedule.hpp"

namespace hm = hopsim::measure;
namespace cal = hopsim::profiler::calibrate;

namespace {

const std::string kPlan =
    std::string(HOPSIM_SOURCE_DIR) + "/kernels/plans/deepseek-v3-kernels.yaml";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

// Hand count of the YAML (compute_partitions has 5 sizes, copy_partitions 5):
//   8 MLA/shared-FFN FP8 GEMMs x m in {1024, 4096}  16 entries x 5 partitions   80
//   dense_up, dense_down                              2 entries x 5               10
//   6 BF16 GEMMs + router_gemm                        7 entries x 5               35
//   6 cuBLAS + 6 cuBLASLt, partitions: [132]         12 entries x 1               12
//   4 grouped GEMMs                                   4 entries x 5               20
//   attn_fwd, attn_bwd x seq in {2048, 4096}          4 entries x 5               20
//   router, permute, combine x tokens {1024, 4096}    6 entries x 5               30
//   rmsnorm x 3 cols, quant x 3 cols                  6 entries x 5               30
//   hbm x 2 sizes                                     2 entries x 5               10
//   comm x 2 sizes, copy partitions                   2 entries x 5               10
//   = 61 entries, 257 alone measurements; concurrent: 5 copy sizes x 3 compute entries = 15
//   pairs of two measurements each: 257 + 30 = 287 rows of the trace's measurements table.
TEST_CASE("the shipped plan's schedule: counts, order and pairs by hand", "[kernels][measure]") {
  const auto s = hm::make_schedule(cal::load_plan(kPlan));
  CHECK(s.plan_name == "deepseek-v3-kernels");
  CHECK(s.warmup == 3);
  CHECK(s.repeats == 10);
  REQUIRE(s.runs.size() == 287);
  std::map<hm::Role, int> by_role;
  for (std::size_t i = 0; i < s.runs.size(); ++i) {
    CHECK(s.runs[i].id == static_cast<long long>(i) + 1);
    ++by_role[s.runs[i].role];
  }
  CHECK(by_role[hm::Role::kAlone] == 257);
  CHECK(by_role[hm::Role::kComputeConcurrent] == 15);
  CHECK(by_role[hm::Role::kCopyConcurrent] == 15);

  // First entry: wq_a, m = 1024, over the five compute partitions in YAML order.
  const std::vector<int> compute_parts{132, 128, 112, 96, 64};
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& r = s.runs[i];
    CHECK(r.entry.label == "wq_a_m1024");
    CHECK(r.entry.kernel_class == "gemm_fp8");
    CHECK(r.entry.shape == std::map<std::string, long long>{{"m", 1024}, {"n", 1536}, {"k", 7168}});
    CHECK(r.sms == compute_parts[i]);
    CHECK(r.role == hm::Role::kAlone);
    CHECK(r.concurrent_with == 0);
  }
  CHECK(s.runs[5].entry.label == "wq_a_m4096");
  // Ids 1..80 are the 16 MLA/shared GEMM entries, 81..90 dense_up and dense_down, 91..125
  // the seven BF16 GEMMs; 126 is cublas_wqkv_a, on the whole GPU only.
  CHECK(s.runs[80].entry.label == "dense_up");
  CHECK(s.runs[125].entry.label == "cublas_wqkv_a");
  CHECK(s.runs[125].sms == 132);
  CHECK(s.runs[126].entry.label == "cublas_wq_b");
  // The last alone run: comm at 256 MiB on the largest copy partition, 32 SMs (id 257).
  CHECK(s.runs[256].entry.label == "comm_bytes268435456");
  CHECK(s.runs[256].entry.shape.at("bytes") == 268435456);
  CHECK(s.runs[256].sms == 32);

  // Pairs: copy sizes outer, compute entries inner; compute half first, then its copy.
  const std::vector<int> copy_sms{8, 16, 20, 24, 32};
  const std::vector<std::string> compute{"wo_m4096", "experts_up_4x8192", "attn_fwd_seq4096"};
  long long id = 258;
  for (int c : copy_sms)
    for (const auto& label : compute) {
      const auto& mc = s.runs[static_cast<std::size_t>(id - 1)];
      const auto& mk = s.runs[static_cast<std::size_t>(id)];
      CHECK(mc.id == id);
      CHECK(mc.role == hm::Role::kComputeConcurrent);
      CHECK(mc.entry.label == label);
      CHECK(mc.sms == c);
      CHECK(mc.concurrent_with == id + 1);
      CHECK(mk.role == hm::Role::kCopyConcurrent);
      CHECK(mk.entry.kernel_class == "comm_copy");
      CHECK(mk.entry.shape == std::map<std::string, long long>{{"bytes", 8589934592}});
      CHECK(mk.sms == c);
      CHECK(mk.concurrent_with == id);
      id += 2;
    }
  CHECK(id == 288);
}

TEST_CASE("only: one kernel class is kept and the pairs are dropped", "[kernels][measure]") {
  const auto plan = cal::load_plan(kPlan);
  // gemm_fp8: the 16 MLA/shared entries and dense_up/dense_down, 18 entries x 5 partitions.
  const auto s = hm::make_schedule(plan, "gemm_fp8");
  REQUIRE(s.runs.size() == 90);
  for (const auto& r : s.runs) {
    CHECK(r.entry.kernel_class == "gemm_fp8");
    CHECK(r.role == hm::Role::kAlone);
  }
  CHECK(s.runs.back().id == 90);
  CHECK(s.runs.back().entry.label == "dense_down");
  // cublaslt_gemm_fp8: six entries on the whole GPU.
  CHECK(hm::make_schedule(plan, "cublaslt_gemm_fp8").runs.size() == 6);
  try {
    (void)hm::make_schedule(plan, "gemm_fp16");
    FAIL("an --only class the plan lacks must be refused");
  } catch (const hopsim::ConfigError& e) {
    CHECK(e.where().key_path == "--only");
    CHECK_THAT(e.what(), Catch::Contains("gemm_fp16"));
  }
}

TEST_CASE("the dry-run listing: one line per measurement, work by hand", "[kernels][measure]") {
  const auto text = hm::describe_schedule(hm::make_schedule(cal::load_plan(kPlan)));
  const auto ls = lines(text);
  // A title line, a column header, 287 measurements and the count.
  REQUIRE(ls.size() == 290);
  CHECK(ls[0] == "plan deepseek-v3-kernels: each measurement is 3 warmup + 10 timed launches");
  // wq_a at m 1024: 2 * 1024 * 1536 * 7168 = 22548578304 FLOPs (6 significant digits).
  CHECK(words(ls[2]) == std::vector<std::string>{"1", "alone", "132", "wq_a_m1024", "gemm_fp8",
                                                 "k=7168", "m=1024", "n=1536", "work=2.25486e+10",
                                                 "flops"});
  // RMSNorm 4096 x 512, BF16 in and out: 2 * 4096 * 512 * 2 = 8388608 bytes; the first of
  // its 3 x 5 runs is id 80+10+35+12+20+20+30 + 1 = 208.
  CHECK(words(ls[2 + 207]) == std::vector<std::string>{"208", "alone", "132", "rmsnorm_cols512",
                                                       "rmsnorm", "cols=512", "rows=4096",
                                                       "work=8.38861e+06", "bytes"});
  // The first pair: wo at m 4096 (2 * 4096 * 7168 * 16384 = 962072674304 FLOPs) on the GPU
  // less 8 SMs, and the 8 GiB copy on 8 SMs (comm_copy counts the payload once).
  CHECK(words(ls[2 + 257]) == std::vector<std::string>{"258", "compute_concurrent", "all-8",
                                                       "wo_m4096", "gemm_fp8", "k=16384", "m=4096",
                                                       "n=7168", "work=9.62073e+11", "flops"});
  CHECK(words(ls[2 + 258]) ==
        std::vector<std::string>{"259", "copy_concurrent", "8", "concurrent_copy", "comm_copy",
                                 "bytes=8589934592", "work=8.58993e+09", "bytes"});
  CHECK(ls.back() ==
        "287 measurements: 257 alone, 15 concurrent pairs (compute beside a copy), x 10 repeats");
}

TEST_CASE("a repeat's CUPTI tag round-trips and keeps id and repeat apart", "[kernels][measure]") {
  // id in the bits above 16, repeat in the low 16: 5 << 16 | 3 = 327683.
  CHECK(hm::tag(5, 3) == 327683U);
  CHECK(hm::untag(327683U).id == 5);
  CHECK(hm::untag(327683U).repeat == 3);
  CHECK(hm::untag(hm::tag(287, 65535)).id == 287);
  CHECK(hm::untag(hm::tag(287, 65535)).repeat == 65535);
}
