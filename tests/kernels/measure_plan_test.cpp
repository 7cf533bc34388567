// Measurement plans that cannot be run are refused with a located error: the file, the 1-based
// line and column of the offending YAML node, and the key path. Lines and columns are counted
// by hand in the YAML texts below.

#include "hopsim/profiler/calibrate/measure_plan.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/temp_path.hpp"
#include "hopsim/core/error.hpp"

namespace cal = hopsim::profiler::calibrate;

namespace {

struct Refusal {
  hopsim::SourceLocation where;
  std::string message;
  std::string what;
  std::string file;  // the path the plan was written to
};

Refusal refusal(const std::string& text) {
  const auto path = hopsim::test::unique_temp_path("measure_plan.yaml");
  std::ofstream(path) << text;
  Refusal r;
  r.file = path.string();
  try {
    (void)cal::load_plan(path.string());
    r.message = "accepted";
  } catch (const hopsim::ConfigError& e) {
    r.where = e.where();
    r.message = e.message();
    r.what = e.what();
  }
  std::filesystem::remove(path);
  return r;
}

const std::string kHead = "hopsim_measure_plan: 1\nentries:\n";

// The refusal points at `line`:`column` of the plan and at `key_path`.
void check_at(const Refusal& r, int line, int column, const std::string& key_path) {
  CHECK(r.where.line == line);
  CHECK(r.where.column == column);
  CHECK(r.where.key_path == key_path);
}

}  // namespace

TEST_CASE("plan errors name file, line, column and key", "[kernels][measure]") {
  SECTION("unknown class: at the class value") {
    const auto r = refusal(kHead +
                           "  - label: a\n"
                           "    class: gemm_fp9\n"  // line 4, value at column 12
                           "    m: 1\n");
    CHECK(r.where.file == r.file);
    check_at(r, 4, 12, "entries[0].class");
    CHECK_THAT(r.message, Catch::Contains("unknown kernel class"));
    CHECK_THAT(r.what, Catch::Contains(r.file + ":4:12"));
  }
  SECTION("a shape value that is not an integer") {
    const auto r = refusal(kHead +
                           "  - label: a\n"
                           "    class: gemm_bf16\n"
                           "    m: 64\n"
                           "    n: sixty-four\n"  // line 6, value at column 8
                           "    k: 64\n");
    check_at(r, 6, 8, "entries[0].n");
    CHECK_THAT(r.message, Catch::Contains("positive integer"));
  }
  SECTION("a non-positive value inside a list") {
    const auto r = refusal(kHead + "  - {label: a, class: rmsnorm, rows: 8, cols: [512, -5]}\n");
    // "  - {label: a, class: rmsnorm, rows: 8, cols: [512, -5]}": -5 starts at column 53.
    check_at(r, 3, 53, "entries[0].cols");
  }
  SECTION("a key that is no shape key of the class") {
    const auto r = refusal(kHead + "  - {label: a, class: hbm_copy, bytes: 64, rows: 2}\n");
    // "rows" starts at column 44.
    check_at(r, 3, 44, "entries[0].rows");
    CHECK_THAT(r.message, Catch::Contains("not a shape key of class hbm_copy"));
  }
  SECTION("a missing shape key: at the entry") {
    const auto r = refusal(kHead + "  - {label: a, class: gemm_fp8, m: 1, n: 1}\n");
    check_at(r, 3, 5, "entries[0].k");
    CHECK_THAT(r.message, Catch::Contains("missing shape key"));
  }
  SECTION("repeats that is not a number") {
    const auto r = refusal("hopsim_measure_plan: 1\nrepeats: ten\nentries: []\n");
    check_at(r, 2, 10, "repeats");
  }
  SECTION("negative warmup") {
    const auto r = refusal("hopsim_measure_plan: 1\nwarmup: -1\nentries: []\n");
    check_at(r, 2, 9, "warmup");
  }
  SECTION("a misspelt top-level key") {
    const auto r = refusal("hopsim_measure_plan: 1\nentrys: []\n");
    check_at(r, 2, 1, "entrys");
    CHECK_THAT(r.message, Catch::Contains("unknown key"));
  }
  SECTION("a wrong format version") {
    const auto r = refusal("hopsim_measure_plan: 2\nentries: []\n");
    check_at(r, 1, 22, "hopsim_measure_plan");
  }
  SECTION("a label that an expanded entry already has") {
    // The first entry expands to a_m1 and a_m2, so a second entry labelled a_m2 collides.
    const auto r = refusal(kHead +
                           "  - {label: a, class: gemm_bf16, m: [1, 2], n: 8, k: 8}\n"
                           "  - {label: a_m2, class: gemm_bf16, m: 4, n: 8, k: 8}\n");
    check_at(r, 4, 13, "entries[1].label");
    CHECK_THAT(r.message, Catch::Contains("duplicate label 'a_m2'"));
  }
  SECTION("a concurrent compute label no entry has: at that label") {
    const auto r = refusal(kHead +
                           "  - {label: g, class: gemm_bf16, m: 8, n: 8, k: 8}\n"
                           "concurrent:\n"
                           "  copy_sms: [8]\n"
                           "  copy_bytes: 1024\n"
                           "  compute: [g, h]\n");  // line 7, h at column 16
    check_at(r, 7, 16, "concurrent.compute");
    CHECK_THAT(r.message, Catch::Contains("no entry labelled 'h'"));
  }
  SECTION("concurrent without copy_bytes: at the mapping") {
    const auto r = refusal(kHead +
                           "  - {label: g, class: gemm_bf16, m: 8, n: 8, k: 8}\n"
                           "concurrent:\n"
                           "  copy_sms: [8]\n"  // the mapping starts at line 5, column 3
                           "  compute: [g]\n");
    check_at(r, 5, 3, "concurrent.copy_bytes");
  }
  SECTION("YAML syntax errors carry the parser's position") {
    const auto r = refusal(kHead + "  - {label: a, class: gemm_bf16\n");
    CHECK(r.where.file == r.file);
    CHECK(r.where.line >= 3);
    CHECK_THAT(r.message, Catch::Contains("YAML syntax error"));
  }
}

TEST_CASE("a missing plan file is named", "[kernels][measure]") {
  const auto path = hopsim::test::unique_temp_path("no_such_plan.yaml");
  try {
    (void)cal::load_plan(path.string());
    FAIL("a missing file must be refused");
  } catch (const hopsim::ConfigError& e) {
    CHECK(e.where().file == path.string());
    CHECK_THAT(e.what(), Catch::Contains("cannot open measurement plan"));
  }
}

TEST_CASE("a small plan expands list-valued keys into the cartesian product",
          "[kernels][measure]") {
  const auto path = hopsim::test::unique_temp_path("small_plan.yaml");
  std::ofstream(path) << "hopsim_measure_plan: 1\n"
                         "name: small\n"
                         "warmup: 0\n"
                         "repeats: 2\n"
                         "compute_partitions: [132, 66]\n"
                         "entries:\n"
                         "  - {label: g, class: gemm_bf16, m: [1, 2], n: [8, 16], k: 4}\n"
                         "  - {label: c, class: comm_copy, bytes: 64}\n";
  const auto p = cal::load_plan(path.string());
  std::filesystem::remove(path);
  CHECK(p.name == "small");
  CHECK(p.warmup == 0);
  CHECK(p.repeats == 2);
  // m x n = 2 x 2 entries, in YAML key order (m outer, n inner), then c.
  REQUIRE(p.entries.size() == 5);
  CHECK(p.entries[0].label == "g_m1_n8");
  CHECK(p.entries[1].label == "g_m1_n16");
  CHECK(p.entries[2].label == "g_m2_n8");
  CHECK(p.entries[3].label == "g_m2_n16");
  CHECK(p.entries[3].shape == std::map<std::string, long long>{{"m", 2}, {"n", 16}, {"k", 4}});
  CHECK(p.entries[3].partitions == std::vector<int>{132, 66});
  // comm_copy entries default to copy_partitions, whose default is [20].
  CHECK(p.entries[4].label == "c");
  CHECK(p.entries[4].partitions == std::vector<int>{20});
}
