// Tests for the import problem catalogue (profiler/import/import_problems.hpp) and the findings of
// the issue "nothing lost, nothing silently wrong" it answers: event-level damage in Kineto and
// Nsight files is recorded by name, count and first location, stored in the trace database and
// the import goes on; before, each was accepted silently (or failed the whole import).

#include "hopsim/profiler/import/import_problems.hpp"

#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../common/endless_query.hpp"
#include "duplicate_filter.hpp"
#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/profiler/classify/classifier.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/summary/summary.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "trace_test_util.hpp"

namespace imp = hopsim::profiler::import;
namespace tr = hopsim::profiler::trace;
namespace t = hopsim::profiler::test;
using imp::Problem;

namespace {

const std::string kKernel =
    R"({"ph":"X","cat":"kernel","name":"gemm","pid":0,"tid":7,"ts":10,"dur":5,)"
    R"("args":{"device":0,"stream":7,"correlation":1,"grid":[66,1,1],"block":[384,1,1]}})";

std::string with(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

std::string doc(const std::string& events, const std::string& top = "") {
  return "{" + top + R"("traceEvents":[)" + events + "]}";
}

struct Imported {
  imp::ImportStats stats;
  tr::Trace trace;  // read back from the database the import wrote
};

Imported import_text(const t::TempDir& dir, const std::string& text, const char* name) {
  const auto in = dir / name;
  t::write_bytes(in, text);
  const auto out = dir / (std::string(name) + ".sqlite");
  Imported r;
  r.stats = imp::import_trace(in, out);
  r.trace = tr::load_trace(out);
  return r;
}

const tr::ImportProblem* find(const tr::Trace& t, std::string_view name) {
  for (const auto& p : t.problems) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the problem catalogue: one entry per problem, in order, unique names", "[import]") {
  std::set<std::string_view> names;
  for (int i = 0; i < static_cast<int>(Problem::kCount); ++i) {
    const auto p = static_cast<Problem>(i);
    const auto& s = imp::spec(p);
    CAPTURE(i, s.name);
    CHECK(names.insert(s.name).second);
    CHECK(imp::problem_named(s.name) == p);
    CHECK_FALSE(s.action.empty());
    CHECK(std::all_of(s.name.begin(), s.name.end(),
                      [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '8'; }));
  }
  CHECK_FALSE(imp::problem_named("no_such_problem").has_value());
  CHECK(imp::spec(Problem::kInvalidUtf8).name == "invalid_utf8");
  CHECK(imp::spec(Problem::kDuplicateKey).severity == imp::Severity::kDataLoss);
}

TEST_CASE("the problem log counts and keeps the first location", "[import]") {
  imp::ProblemLog log;
  int built = 0;
  for (int i = 0; i < 3; ++i) {
    log.record(Problem::kDuplicateDevice, [&] {
      ++built;
      return "at " + std::to_string(i);
    });
  }
  CHECK(built == 1);  // the location is built only for the first occurrence
  imp::ProblemLog other;
  other.add(Problem::kDuplicateDevice, 2, "elsewhere");
  other.add(Problem::kInvalidUtf8, 4, "byte 9");
  other.add(Problem::kBadLaunchDims, 0, "never");  // nothing recorded
  log.merge(other);
  const auto e = log.entries();
  REQUIRE(e.size() == 2);
  CHECK(e[0] == tr::ImportProblem{"invalid_utf8", "info", 4, "byte 9",
                                  std::string(imp::spec(Problem::kInvalidUtf8).action)});
  CHECK(e[1].name == "duplicate_device");
  CHECK(e[1].count == 5);
  CHECK(e[1].first_location == "at 0");
}

TEST_CASE("Kineto: an event listed twice is stored once and counted", "[import][hostile]") {
  t::TempDir dir;
  const auto r = import_text(dir, doc(kKernel + "," + kKernel), "dup.json");
  CHECK(r.stats.kernels == 1);
  CHECK(r.trace.activities.size() == 1);
  const auto* p = find(r.trace, "duplicate_gpu_activity");
  REQUIRE(p != nullptr);
  CHECK(p->count == 1);
  CHECK(p->first_location == "'gemm' on device 0 stream 7 at 10000 ns");
  // Same kernel, another start: a different event, kept.
  const auto r2 =
      import_text(dir, doc(kKernel + "," + with(kKernel, R"("ts":10)", R"("ts":20)")), "two.json");
  CHECK(r2.trace.activities.size() == 2);
  CHECK(r2.trace.problems.empty());
  // Runtime calls: one call per correlation id.
  const std::string launch =
      R"({"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":0,"tid":3,"ts":9,)"
      R"("dur":1,"args":{"correlation":1}})";
  const auto r3 = import_text(dir, doc(launch + "," + launch + "," + kKernel), "launch.json");
  CHECK(r3.stats.runtime_calls == 1);
  CHECK(r3.trace.runtime.size() == 1);
  REQUIRE(find(r3.trace, "duplicate_runtime_call") != nullptr);
  CHECK(r3.trace.links.size() == 1);  // the kernel is not linked twice
}

TEST_CASE("Kineto: an event naming a field twice is dropped and counted", "[import][hostile]") {
  t::TempDir dir;
  const std::string twice = with(kKernel, R"("ts":10,)", R"("ts":10,"ts":500,)");
  const std::string args_twice = with(with(kKernel, R"("ts":10)", R"("ts":30)"), R"("stream":7,)",
                                      R"("stream":7,"stream":8,)");
  const auto r = import_text(dir, doc(twice + "," + args_twice + "," + kKernel), "keys.json");
  CHECK(r.trace.activities.size() == 1);  // only the clean one
  CHECK(r.trace.activities[0].start.value() == 10000);
  const auto* p = find(r.trace, "duplicate_key");
  REQUIRE(p != nullptr);
  CHECK(p->count == 2);
  CHECK(p->severity == "data_loss");
  CHECK(p->first_location ==
        "byte " + std::to_string(std::string(R"({"traceEvents":[)").size() + 1));
}

TEST_CASE("Kineto: launch sizes that are not three positive integers are stored as unknown",
          "[import][hostile]") {
  t::TempDir dir;
  const std::string five = with(kKernel, "[66,1,1]", "[1,2,3,4,5]");
  const std::string one = with(with(kKernel, R"("ts":10)", R"("ts":30)"), "[384,1,1]", "[1]");
  const std::string negative =
      with(with(kKernel, R"("ts":10)", R"("ts":50)"), "[66,1,1]", "[-1,1,1]");
  const auto r = import_text(dir, doc(five + "," + one + "," + negative), "dims.json");
  REQUIRE(r.trace.activities.size() == 3);
  CHECK(r.trace.activities[0].grid == tr::Dim3{});
  CHECK(r.trace.activities[0].block == tr::Dim3{384, 1, 1});  // the good one is kept
  CHECK(r.trace.activities[1].grid == tr::Dim3{66, 1, 1});
  CHECK(r.trace.activities[1].block == tr::Dim3{});
  CHECK(r.trace.activities[2].grid == tr::Dim3{});
  const auto* p = find(r.trace, "bad_launch_dims");
  REQUIRE(p != nullptr);
  CHECK(p->count == 3);
}

TEST_CASE("Kineto: a device listed twice is stored and counted once", "[import][hostile]") {
  t::TempDir dir;
  const std::string dev = R"({"id":0,"name":"NVIDIA H800","numSms":132})";
  const auto r =
      import_text(dir,
                  doc(kKernel, R"("deviceProperties":[)" + dev + R"(],"deviceProperties":[)" +
                                   with(dev, "H800", "H100") + "],"),
                  "devices.json");
  CHECK(r.stats.devices == 1);
  REQUIRE(r.trace.devices.size() == 1);
  CHECK(r.trace.devices[0].name == "NVIDIA H800");
  REQUIRE(find(r.trace, "duplicate_device") != nullptr);
  CHECK(find(r.trace, "duplicate_device")->first_location == "deviceProperties id 0");
}

TEST_CASE("Kineto: a non-UTF-8 name is repaired, counted, and every JSON output stays valid",
          "[import][hostile]") {
  t::TempDir dir;
  const std::string bad = with(kKernel, R"("name":"gemm")", "\"name\":\"gemm\xff\xfe\"");
  const auto r = import_text(dir, doc(bad), "utf8.json");
  REQUIRE(r.trace.activities.size() == 1);
  CHECK(r.trace.activities[0].name == "gemm??");
  const auto* p = find(r.trace, "invalid_utf8");
  REQUIRE(p != nullptr);
  CHECK(p->count == 2);
  CHECK(p->first_location == "byte " + std::to_string(doc(bad).find('\xff')));
  // `trace summary --json` used to fail on such names; it now parses, problems included.
  const auto s = hopsim::profiler::summary::summarize(
      r.trace, hopsim::profiler::classify::KernelClassifier::shipped(), {});
  const auto j = nlohmann::json::parse(hopsim::profiler::summary::to_json(s));
  REQUIRE(j["import_problems"].size() == 1);
  CHECK(j["import_problems"][0]["name"] == "invalid_utf8");
}

TEST_CASE("problems survive re-importing a hopsim trace", "[import]") {
  t::TempDir dir;
  const auto first = import_text(dir, doc(kKernel + "," + kKernel), "twice.json");
  const auto again = imp::import_trace(dir / "twice.json.sqlite", dir / "again.sqlite");
  CHECK(again.problems.entries() == first.trace.problems);
  CHECK(tr::load_trace(dir / "again.sqlite").problems == first.trace.problems);
}

TEST_CASE("a trace written before the catalogue loads with no problems", "[import]") {
  t::TempDir dir;
  const auto r = import_text(dir, doc(kKernel), "old.json");
  t::run_sql(dir / "old.json.sqlite", "DROP TABLE import_problems;");
  CHECK(tr::load_trace(dir / "old.json.sqlite").problems.empty());
}

TEST_CASE("Nsight: text in an integer column drops the row instead of a phantom 0-0 activity",
          "[import][nsys][hostile]") {
  t::TempDir dir;
  const auto in = t::make_synthetic_nsys(
      dir,
      "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES ('late', 30000, 0, 1, 7, 105, 4294967296000, "
      "1, 2, NULL, 0, 0, 128, 66, 1, 1, 384, 1, 1);"
      "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (31000, 32000, 0, 1, 7, 106, 4294967296000, "
      "1, 2, NULL, 0, 0, 128, 1.5, 1, 1, 384, 1, 1);");
  const auto out = dir / "out.sqlite";
  const auto stats = imp::import_trace(in, out);
  CHECK(stats.kernels == 4);  // the synthetic export's four, not the two damaged rows
  const auto t = tr::load_trace(out);
  for (const auto& a : t.activities) CHECK(a.start.value() > 0);
  const auto* p = find(t, "non_integer_value");
  REQUIRE(p != nullptr);
  CHECK(p->count == 2);
  CHECK_THAT(p->first_location, Catch::StartsWith("table CUPTI_ACTIVITY_KIND_KERNEL row "));
  // Rows are read in start order, and SQLite sorts text after numbers: the fraction comes first.
  CHECK_THAT(p->first_location, Catch::EndsWith(" column gridX"));
}

TEST_CASE("Nsight: non-UTF-8 names are repaired and counted", "[import][nsys][hostile]") {
  t::TempDir dir;
  const auto in = t::make_synthetic_nsys(
      dir, "UPDATE StringIds SET value = CAST(X'67656D6DFF' AS TEXT) WHERE id = 1;");
  const auto t = [&] {
    (void)imp::import_trace(in, dir / "out.sqlite");
    return tr::load_trace(dir / "out.sqlite");
  }();
  CHECK(std::any_of(t.activities.begin(), t.activities.end(),
                    [](const tr::GpuActivity& a) { return a.name == "gemm?"; }));
  const auto* p = find(t, "invalid_utf8");
  REQUIRE(p != nullptr);
  CHECK_THAT(p->first_location, Catch::StartsWith("table CUPTI_ACTIVITY_KIND_KERNEL row "));
}

TEST_CASE("Nsight: a kernel table that is a view is refused at once", "[import][nsys][hostile]") {
  // Finding 3: a recursive view made `hopsim import` run forever while SQLite's temporary file
  // filled the disk.
  t::TempDir dir;
  const auto in = t::make_synthetic_nsys(
      dir,
      "ALTER TABLE CUPTI_ACTIVITY_KIND_KERNEL RENAME TO k0;"
      "CREATE VIEW CUPTI_ACTIVITY_KIND_KERNEL AS WITH RECURSIVE c(start) AS (SELECT 1 UNION ALL "
      "SELECT start + 1 FROM c) SELECT start, start + 1 AS end, 0 AS deviceId, 7 AS streamId, "
      "start AS correlationId, 1 AS demangledName FROM c;");
  try {
    (void)imp::import_trace(in, dir / "out.sqlite");
    FAIL("a view was imported");
  } catch (const tr::TraceError& e) {
    CHECK_THAT(e.what(), Catch::Contains("is a view, not a table"));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "out.sqlite"));
}

TEST_CASE("a bounded SQLite reader stops an endless query and says why", "[import][nsys]") {
  // Through the profiler's error handler, as the importer and the trace reader open files.
  t::TempDir dir;
  t::run_sql(dir / "db.sqlite", "CREATE TABLE x(a);");
  hopsim::sqlite::Db db(dir / "db.sqlite", hopsim::sqlite::Open::kReadOnly, tr::throw_trace_error);
  db.limit_work(1'000'000, "too much work");
  const auto e = hopsim::test::endless_query_error<tr::TraceError>(db);
  REQUIRE(e);  // the endless query did not finish
  CHECK_THAT(e->what(), Catch::Contains("stopped after 10"));
  CHECK_THAT(e->what(), Catch::Contains("(limit 1000000): too much work"));
}

TEST_CASE("fingerprint set: inserts, finds and grows", "[import]") {
  imp::FingerprintSet set;
  for (std::uint64_t i = 0; i < 5000; ++i) CHECK(set.insert(i * 0x9E3779B97F4A7C15ULL));
  for (std::uint64_t i = 0; i < 5000; ++i) CHECK_FALSE(set.insert(i * 0x9E3779B97F4A7C15ULL));
  CHECK(set.size() == 5000);
}

TEST_CASE("lane fingerprints: duplicates found whatever the arrival order", "[import]") {
  imp::LaneFingerprints f;
  CHECK(f.insert(1, 10, 0xA));
  CHECK(f.insert(1, 20, 0xB));
  CHECK_FALSE(f.insert(1, 10, 0xA));  // its original arrived earlier, in order
  CHECK(f.insert(1, 20, 0xD));        // same start, another event
  CHECK_FALSE(f.insert(1, 20, 0xD));
  CHECK(f.insert(1, 5, 0xC));  // late: before the lane's latest start, new
  CHECK_FALSE(f.insert(1, 5, 0xC));
  CHECK(f.insert(2, 10, 0xA));  // another lane
  CHECK_FALSE(f.insert(2, 10, 0xA));
  CHECK(f.insert(1, 30, 0xE));
  CHECK_FALSE(f.insert(1, 5, 0xC));  // the late one is still known after the lane moved on
}

TEST_CASE("a hopsim trace whose table is a view is refused, not read", "[import][hostile]") {
  t::TempDir dir;
  (void)import_text(dir, doc(kKernel), "view.json");
  const auto db = dir / "view.json.sqlite";
  t::run_sql(
      db,
      "ALTER TABLE gpu_activities RENAME TO a0;"
      "CREATE VIEW gpu_activities AS WITH RECURSIVE c(id) AS (SELECT 1 UNION ALL SELECT id + 1 "
      "FROM c) SELECT id, 0 AS kind, 0 AS device, 0 AS stream, id AS start_ns, id AS end_ns, "
      "1 AS name_id, 0 AS correlation, 0 AS grid_x, 0 AS grid_y, 0 AS grid_z, 0 AS block_x, "
      "0 AS block_y, 0 AS block_z, 0 AS bytes FROM c;");
  CHECK_THROWS_WITH(tr::load_trace(db), Catch::Contains("is a view, not a table"));
}
