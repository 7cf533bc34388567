// Tests for profiler/src/summary/ranks.cpp and the database of a whole job (import_job): three
// "ranks" (the V100 capture twice and the A100 capture) against the figures the independent
// script computed for those files, and exported traces that claim their ranks.

#include "hopsim/profiler/summary/ranks.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hopsim/profiler/export/kineto_export.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "scenario_presets.hpp"
#include "trace_test_util.hpp"

namespace sm = hopsim::profiler::summary;
namespace t = hopsim::profiler::test;
namespace imp = hopsim::profiler::import;
namespace tr = hopsim::profiler::trace;
using Catch::Matchers::Contains;

namespace {

// The three captures of the first test in a folder: r0 and r1 the V100 run, r2 the A100 run.
void three_ranks(const t::TempDir& dir) {
  for (const char* f : {"r0.json.gz", "r1.json.gz"}) {
    std::filesystem::copy_file(t::data_dir() / "kineto" / "v100-1rank-training.json.gz", dir / f);
  }
  std::filesystem::copy_file(t::data_dir() / "kineto" / "a100-2rank-nccl.json.gz",
                             dir / "r2.json.gz");
}

}  // namespace

TEST_CASE("trace ranks: step per rank, stragglers and communication spread", "[summary]") {
  const auto expected =
      nlohmann::json::parse(t::read_text(t::data_dir() / "expected_summary.json"));
  auto mean_span_ms = [&](const std::string& name) {
    double sum = 0;
    for (const auto& s : expected.at(name).at("steps")) sum += s.at("gpu_span_ns").get<double>();
    return sum / static_cast<double>(expected.at(name).at("steps").size()) / 1e6;
  };
  auto comm_ms = [&](const std::string& name) {
    double sum = 0;
    for (const auto& s : expected.at(name).at("steps")) sum += s.at("nccl_ns").get<double>();
    return sum / static_cast<double>(expected.at(name).at("steps").size()) / 1e6;
  };
  t::TempDir dir;
  three_ranks(dir);
  const auto files = sm::rank_sources({dir.path()});
  REQUIRE(files.size() == 3);
  const auto st = sm::study_ranks(files, hopsim::profiler::classify::KernelClassifier::shipped());
  REQUIRE(st.ranks.size() == 3);
  const double v100 = mean_span_ms("v100-1rank-training");
  const double a100 = mean_span_ms("a100-2rank-nccl");
  CHECK(st.ranks[0].step_ms == Approx(v100));
  CHECK(st.ranks[2].step_ms == Approx(a100));
  CHECK(st.median_step_ms == Approx(v100));
  CHECK(st.spread == Approx((a100 - v100) / v100));
  CHECK_FALSE(st.ranks[0].straggler);
  CHECK_FALSE(st.ranks[1].straggler);
  CHECK(st.ranks[2].straggler);  // 2.25x the median
  CHECK(st.ranks[2].comm_ms == Approx(comm_ms("a100-2rank-nccl")));
  CHECK(st.comm_min_ms == 0);
  CHECK(st.comm_max_ms == Approx(comm_ms("a100-2rank-nccl")));
  // All three say rank 0 (distributedInfo): said, not hidden.
  CHECK(st.warnings.size() == 2);
}

TEST_CASE("import DIR: one database of a job's ranks gives what the folder gives", "[summary]") {
  t::TempDir dir;
  t::TempDir out;
  three_ranks(dir);
  const auto job = imp::import_job(imp::trace_files_in(dir.path()), out / "job.sqlite");
  // All three say rank 0 (distributedInfo): each trace's rank is its position, and that is said.
  REQUIRE(job.traces.size() == 3);
  for (std::int64_t i = 0; i < 3; ++i) {
    CHECK(job.traces[i].id == i);
    CHECK(job.traces[i].rank == i);
    CHECK(job.traces[i].file == "r" + std::to_string(i) + ".json.gz");
  }
  REQUIRE(job.warnings.size() == 1);
  CHECK(job.warnings[0] ==
        "rank 0 is claimed by 3 traces: each trace's rank is its position among the inputs "
        "instead");
  CHECK(tr::list_traces(out / "job.sqlite") == job.traces);

  // Each rank read back is the trace its file gives alone: the same events, in the same order.
  for (std::int64_t r = 0; r < 3; ++r) {
    INFO("rank " << r);
    const auto alone = imp::read_trace(dir / ("r" + std::to_string(r) + ".json.gz"));
    const auto back = tr::load_trace(out / "job.sqlite", r);
    REQUIRE(back.activities.size() == alone.activities.size());
    CHECK(back.runtime.size() == alone.runtime.size());
    CHECK(back.annotations.size() == alone.annotations.size());
    CHECK(back.links.size() == alone.links.size());
    CHECK(back.devices.size() == alone.devices.size());
    for (std::size_t i = 0; i < alone.activities.size(); ++i) {
      CHECK(back.activities[i].name == alone.activities[i].name);
      CHECK(back.activities[i].start == alone.activities[i].start);
    }
    CHECK(back.provenance.at("source_file") == alone.provenance.at("source_file"));
  }

  // The study of the database is the study of the folder (the ranks aside, which the database
  // settled).
  const auto& classifier = hopsim::profiler::classify::KernelClassifier::shipped();
  const auto from_dir = sm::study_ranks(sm::rank_sources({dir.path()}), classifier);
  const auto from_db = sm::study_ranks(sm::rank_sources({out / "job.sqlite"}), classifier);
  REQUIRE(from_db.ranks.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(from_db.ranks[i].rank == static_cast<std::int64_t>(i));
    CHECK(from_db.ranks[i].file == from_dir.ranks[i].file);
    CHECK(from_db.ranks[i].step_ms == from_dir.ranks[i].step_ms);
    CHECK(from_db.ranks[i].comm_ms == from_dir.ranks[i].comm_ms);
    CHECK(from_db.ranks[i].straggler == from_dir.ranks[i].straggler);
  }
  CHECK(from_db.warnings.empty());  // no rank twice any more
  // A job database found in a folder gives its ranks too.
  const auto in_folder = sm::rank_sources({out.path()});
  REQUIRE(in_folder.size() == 3);
  CHECK(in_folder[2].rank == std::optional<std::int64_t>(2));

  // Several traces and none named, or a rank it does not hold: located errors naming the ranks.
  CHECK_THROWS_WITH(tr::load_trace(out / "job.sqlite"),
                    Contains("job.sqlite") && Contains("holds 3 traces (ranks 0, 1, 2)"));
  CHECK_THROWS_WITH(imp::read_trace(out / "job.sqlite", 7),
                    Contains("holds no trace of rank 7 (ranks 0, 1, 2)"));
}

TEST_CASE("import DIR: traces that claim distinct ranks keep them, whatever their file names",
          "[summary]") {
  const auto sc = t::small_v2_lite_scenario();
  hopsim::sim::RunOptions opt;
  opt.collect_timeline = true;
  const auto run = hopsim::sim::run_scenario(sc, opt);
  t::TempDir dir;
  t::TempDir out;
  // "b" holds pipeline rank 0 and "a" rank 1: by name, rank 1 comes first.
  for (const auto& [name, rank] : {std::pair{"b.json", 0}, std::pair{"a.json", 1}}) {
    std::ofstream f(dir / name);
    hopsim::profiler::exporter::write_kineto(f, sc, run, rank);
  }
  const auto job = imp::import_job(imp::trace_files_in(dir.path()), out / "job.sqlite");
  REQUIRE(job.traces.size() == 2);
  CHECK(job.traces[0] == tr::TraceEntry{0, 1, "a.json"});
  CHECK(job.traces[1] == tr::TraceEntry{1, 0, "b.json"});
  CHECK(job.warnings.empty());
  CHECK(tr::load_trace(out / "job.sqlite", 0).provenance.at("source_file") == "b.json");
  CHECK(tr::load_trace(out / "job.sqlite", 1).provenance.at("rank") == "1");
  // A single trace must be read as the rank it is.
  CHECK(imp::read_trace(dir / "a.json", 1).provenance.at("rank") == "1");
  CHECK_THROWS_WITH(imp::read_trace(dir / "a.json", 0), Contains("is the trace of rank 1, not 0"));
  // A failed input leaves no database behind.
  t::write_bytes(dir / "c.json", "{\"traceEvents\": [");
  CHECK_THROWS_AS(imp::import_job(imp::trace_files_in(dir.path()), out / "bad.sqlite"),
                  tr::TraceError);
  CHECK_FALSE(std::filesystem::exists(out / "bad.sqlite"));
}

TEST_CASE("a trace database of schema version 1 (one trace) still reads", "[summary]") {
  t::TempDir dir;
  t::run_sql(
      dir / "v1.sqlite",
      "CREATE TABLE strings(id INTEGER PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE provenance(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE devices(id INTEGER PRIMARY KEY, name TEXT NOT NULL, sm_count INTEGER NOT NULL,"
      " total_memory_bytes INTEGER NOT NULL, compute_major INTEGER NOT NULL,"
      " compute_minor INTEGER NOT NULL, clock_khz INTEGER NOT NULL);"
      "CREATE TABLE gpu_activities(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
      " device INTEGER NOT NULL, stream INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
      " end_ns INTEGER NOT NULL, name_id INTEGER NOT NULL, correlation INTEGER NOT NULL,"
      " grid_x INTEGER NOT NULL, grid_y INTEGER NOT NULL, grid_z INTEGER NOT NULL,"
      " block_x INTEGER NOT NULL, block_y INTEGER NOT NULL, block_z INTEGER NOT NULL,"
      " bytes INTEGER NOT NULL);"
      "CREATE TABLE runtime_calls(id INTEGER PRIMARY KEY, name_id INTEGER NOT NULL,"
      " driver INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL,"
      " start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, correlation INTEGER NOT NULL);"
      "CREATE TABLE annotations(id INTEGER PRIMARY KEY, name_id INTEGER NOT NULL,"
      " source INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL,"
      " start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL);"
      "CREATE TABLE flow_events(id INTEGER PRIMARY KEY, flow_id INTEGER NOT NULL,"
      " phase TEXT NOT NULL, category_id INTEGER NOT NULL, pid INTEGER NOT NULL,"
      " tid INTEGER NOT NULL, ts_ns INTEGER NOT NULL);"
      "CREATE TABLE flow_links(runtime_id INTEGER NOT NULL, activity_id INTEGER NOT NULL);"
      "INSERT INTO strings VALUES (1, 'gemm'), (2, 'cudaLaunchKernel');"
      "INSERT INTO provenance VALUES ('schema_version', '1'), ('rank', '5'),"
      " ('source_file', 'old.json');"
      "INSERT INTO gpu_activities VALUES (1, 0, 0, 7, 100, 250, 1, 42, 1, 1, 1, 128, 1, 1, -1);"
      "INSERT INTO runtime_calls VALUES (1, 2, 0, 1, 1, 90, 95, 42);"
      "INSERT INTO flow_links VALUES (1, 1);");
  CHECK(tr::list_traces(dir / "v1.sqlite") == std::vector<tr::TraceEntry>{{0, 5, "old.json"}});
  const auto t1 = tr::load_trace(dir / "v1.sqlite");
  REQUIRE(t1.activities.size() == 1);
  CHECK(t1.activities[0].name == "gemm");
  CHECK(t1.links.size() == 1);
  CHECK(tr::load_trace(dir / "v1.sqlite", 5).activities.size() == 1);
  CHECK_THROWS_WITH(tr::load_trace(dir / "v1.sqlite", 0), Contains("holds no trace of rank 0"));
}
