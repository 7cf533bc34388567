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
  SECTION("a bad value or key: at its node, with its key path") {
    struct Case {
      const char* about;
      std::string yaml;
      int line, column;
      const char* key_path;
      const char* message;  // what the message says ("": not checked)
    };
    const Case c = GENERATE(values<Case>({
        {"a shape value that is not an integer",
         kHead + "  - label: a\n"
                 "    class: gemm_bf16\n"
                 "    m: 64\n"
                 "    n: sixty-four\n"  // line 6, value at column 8
                 "    k: 64\n",
         6, 8, "entries[0].n", "positive integer"},
        // "  - {label: a, class: rmsnorm, rows: 8, cols: [512, -5]}": -5 starts at column 53.
        {"a non-positive value inside a list",
         kHead + "  - {label: a, class: rmsnorm, rows: 8, cols: [512, -5]}\n", 3, 53,
         "entries[0].cols", ""},
        // "rows" starts at column 44.
        {"a key that is no shape key of the class",
         kHead + "  - {label: a, class: hbm_copy, bytes: 64, rows: 2}\n", 3, 44, "entries[0].rows",
         "not a shape key of class hbm_copy"},
        {"a missing shape key: at the entry",
         kHead + "  - {label: a, class: gemm_fp8, m: 1, n: 1}\n", 3, 5, "entries[0].k",
         "missing shape key"},
        {"repeats that is not a number", "hopsim_measure_plan: 1\nrepeats: ten\nentries: []\n", 2,
         10, "repeats", ""},
        {"negative warmup", "hopsim_measure_plan: 1\nwarmup: -1\nentries: []\n", 2, 9, "warmup",
         ""},
        {"a misspelt top-level key", "hopsim_measure_plan: 1\nentrys: []\n", 2, 1, "entrys",
         "unknown key"},
        {"a wrong format version", "hopsim_measure_plan: 2\nentries: []\n", 1, 22,
         "hopsim_measure_plan", ""},
        // The first entry expands to a_m1 and a_m2, so a second entry labelled a_m2 collides.
        {"a label that an expanded entry already has",
         kHead + "  - {label: a, class: gemm_bf16, m: [1, 2], n: 8, k: 8}\n"
                 "  - {label: a_m2, class: gemm_bf16, m: 4, n: 8, k: 8}\n",
         4, 13, "entries[1].label", "duplicate label 'a_m2'"},
        {"a concurrent compute label no entry has: at that label",
         kHead + "  - {label: g, class: gemm_bf16, m: 8, n: 8, k: 8}\n"
                 "concurrent:\n"
                 "  copy_sms: [8]\n"
                 "  copy_bytes: 1024\n"
                 "  compute: [g, h]\n",  // line 7, h at column 16
         7, 16, "concurrent.compute", "no entry labelled 'h'"},
        {"concurrent without copy_bytes: at the mapping",
         kHead + "  - {label: g, class: gemm_bf16, m: 8, n: 8, k: 8}\n"
                 "concurrent:\n"
                 "  copy_sms: [8]\n"  // the mapping starts at line 5, column 3
                 "  compute: [g]\n",
         5, 3, "concurrent.copy_bytes", ""},
    }));
    INFO(c.about);
    const auto r = refusal(c.yaml);
    check_at(r, c.line, c.column, c.key_path);
    if (*c.message != '\0') CHECK_THAT(r.message, Catch::Contains(c.message));
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
