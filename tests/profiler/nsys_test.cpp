// Tests for profiler/src/import/nsys.cpp on the SYNTHETIC fixture
// tests/data/traces/nsys/synthetic_nsys.sql (hand-written; expected values worked out from it).

#include "hopsim/profiler/import/nsys.hpp"

#include <catch2/catch.hpp>

#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "trace_test_util.hpp"

using hopsim::profiler::import::import_nsys;
using hopsim::profiler::trace::ActivityKind;
using hopsim::profiler::trace::CollectingSink;
using hopsim::profiler::trace::TraceError;
namespace t = hopsim::profiler::test;

TEST_CASE("the synthetic nsys export imports completely", "[nsys]") {
  t::TempDir dir;
  const auto db = t::make_synthetic_nsys(dir);
  CHECK(hopsim::profiler::import::detect_format(db) ==
        hopsim::profiler::import::TraceFormat::kNsysSqlite);
  CollectingSink sink;
  const auto st = import_nsys(db, sink);
  const auto tr = sink.finish();
  CHECK(st.kernels == 4);
  CHECK(st.memcpys == 1);
  CHECK(st.memsets == 1);
  CHECK(st.runtime_calls == 5);
  CHECK(st.annotations == 2);  // the third NVTX row is a marker (eventType 34), not a range
  CHECK(st.format == hopsim::profiler::import::TraceFormat::kNsysSqlite);
  CHECK(st.input_bytes == static_cast<std::int64_t>(std::filesystem::file_size(db)));
  CHECK(st.events == 0);
  CHECK(st.skipped.empty());
  REQUIRE(tr.devices.size() == 1);
  CHECK(tr.devices[0].name == "NVIDIA H800");
  CHECK(tr.devices[0].sm_count == 132);
  CHECK(tr.devices[0].clock_khz == 1980000);  // clockRate 1980000000 Hz
  const auto& k = tr.activities[0];
  CHECK(k.name == "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64");  // demangledName
  CHECK(k.start.value() == 2000);
  CHECK(k.end.value() == 6000);
  CHECK(k.stream == 7);
  CHECK(k.grid.x == 66);
  CHECK(k.block.x == 384);
  const auto& copy = tr.activities[4];
  CHECK(copy.kind == ActivityKind::kMemcpy);
  CHECK(copy.name == "Memcpy HtoD");
  CHECK(copy.bytes == 1048576);
  // globalTid 4294967596 = 256 << 24 | 300.
  CHECK(tr.runtime[0].pid == 256);
  CHECK(tr.runtime[0].tid == 300);
  CHECK(tr.annotations[0].name == "ProfilerStep#0");
  CHECK(tr.links.size() == 5);  // correlation ids 101..105; the memset (106) has no launch row
}

TEST_CASE("nsys exports with missing tables or columns give a clear error", "[nsys][hostile]") {
  t::TempDir dir;
  auto err = [&](const std::string& sql) {
    const auto db = t::make_synthetic_nsys(dir, sql);
    CollectingSink sink;
    try {
      (void)import_nsys(db, sink);
    } catch (const TraceError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(err("").empty());
  CHECK_THAT(err("DROP TABLE CUPTI_ACTIVITY_KIND_KERNEL;"),
             Catch::Contains("CUPTI_ACTIVITY_KIND_KERNEL is missing"));
  CHECK_THAT(err("DROP TABLE StringIds;"), Catch::Contains("'StringIds' is missing"));
  CHECK_THAT(err("ALTER TABLE CUPTI_ACTIVITY_KIND_KERNEL DROP COLUMN streamId;"),
             Catch::Contains("column 'streamId' is missing"));
  CHECK_THAT(err("UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET end = 10 WHERE start = 4000;"),
             Catch::Contains("table CUPTI_ACTIVITY_KIND_KERNEL row 2: end before start"));
  CHECK_THAT(err("UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET demangledName = 99 WHERE start = 2000;"),
             Catch::Contains("name id not found"));
  CHECK_THAT(err("UPDATE CUPTI_ACTIVITY_KIND_RUNTIME SET start = -5 WHERE correlationId = 101;"),
             Catch::Contains("negative start"));
  // Not a database at all.
  t::write_bytes(dir / "junk.sqlite", "SQLite format 3" + std::string(200, '\x07'));
  CollectingSink sink;
  CHECK_THROWS_AS(import_nsys(dir / "junk.sqlite", sink), TraceError);
}

TEST_CASE("nsys import progress counts rows and ends at the rows read", "[nsys][progress]") {
  t::TempDir dir;
  // 70,000 more kernels: past the 65,536 rows after which progress is reported.
  const auto db = t::make_synthetic_nsys(
      dir,
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000) "
      "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL SELECT 20000 + i, 20001 + i, 0, 1, 7, NULL, "
      "4294967296000, 1, 2, NULL, 0, 0, 128, 66, 1, 1, 384, 1, 1 FROM n;");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  hopsim::profiler::import::ImportOptions opt;
  opt.progress = [&](std::uint64_t d, std::uint64_t total, std::string_view unit) {
    CHECK(unit == "rows");
    calls.emplace_back(d, total);
  };
  CollectingSink sink;
  (void)hopsim::profiler::import::import_into(db, sink, opt);
  // Rows in the fixture: 70,004 kernels, 1 memcpy, 1 memset, 5 runtime calls, 3 NVTX rows of
  // which 2 are ranges (the import reads only those): 70,013 rows read, 70,014 in the tables.
  REQUIRE(calls.size() == 2);
  CHECK(calls[0] == std::pair<std::uint64_t, std::uint64_t>{65536, 70014});
  CHECK(calls[1] == std::pair<std::uint64_t, std::uint64_t>{70013, 70013});
}
