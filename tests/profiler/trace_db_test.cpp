// Tests for profiler/src/trace/trace_db.cpp and import.cpp: the SQLite trace round-trips, and a
// failed import leaves no output file.

#include "hopsim/profiler/trace/trace_db.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "../common/fault_injection.hpp"
#include "hopsim/core/io/sqlite.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "trace_test_util.hpp"

namespace imp = hopsim::profiler::import;
namespace tr = hopsim::profiler::trace;
namespace t = hopsim::profiler::test;

TEST_CASE("a trace written to SQLite reads back identically", "[trace_db]") {
  t::TempDir dir;
  const auto out = dir / "rt.sqlite";
  {
    tr::TraceWriter w(out);
    tr::GpuActivity a;
    a.kind = tr::ActivityKind::kKernel;
    a.device = 1;
    a.stream = 7;
    a.start = hopsim::Nanoseconds(1712195495505583123LL);
    a.end = hopsim::Nanoseconds(1712195495505588051LL);
    a.name = "kernel_a";
    a.correlation = 42;
    a.grid = {4, 106, 1};
    a.block = {128, 1, 1};
    w.add_activity(a);
    a.name = "kernel_a";  // interned once
    a.correlation = 43;
    w.add_activity(a);
    w.add_runtime(
        {"cudaLaunchKernel", false, 5, 6, hopsim::Nanoseconds(10), hopsim::Nanoseconds(20), 42});
    w.add_annotation({"ProfilerStep#1", tr::RangeSource::kUserAnnotation, 5, 6,
                      hopsim::Nanoseconds(0), hopsim::Nanoseconds(100)});
    w.add_flow({42, 's', "ac2g", 5, 6, hopsim::Nanoseconds(10)});  // counted, not stored
    w.add_flow({9, 's', "fwdbwd", 5, 6, hopsim::Nanoseconds(11)});
    w.add_device({1, "NVIDIA H800", 132, 85520809984LL, 9, 0, 1980000});
    w.set_info("hopsim_commit", "abc123");
    CHECK_FALSE(std::filesystem::exists(out));  // only the temporary file exists before commit
    w.commit();
  }
  REQUIRE(std::filesystem::exists(out));
  CHECK(tr::is_hopsim_trace(out));
  const auto back = tr::load_trace(out);
  REQUIRE(back.activities.size() == 2);
  CHECK(back.activities[0].start.value() == 1712195495505583123LL);
  CHECK(back.activities[0].grid == tr::Dim3{4, 106, 1});
  CHECK(back.activities[1].name == "kernel_a");
  REQUIRE(back.links.size() == 1);
  CHECK(back.links[0].activity_index == 0);
  // The ac2g arrow is the launch->kernel link above; only the fwdbwd flow is a row.
  REQUIRE(back.flows.size() == 1);
  CHECK(back.flows.at(0).phase == 's');
  CHECK(back.flows.at(0).category == "fwdbwd");
  CHECK(back.flows.at(0).ts.value() == 11);
  CHECK(back.provenance.at("ac2g_flows_omitted") == "1");
  CHECK(back.devices.at(0).clock_khz == 1980000);
  CHECK(back.provenance.at("hopsim_commit") == "abc123");
  CHECK(back.provenance.at("schema_version") == "2");

  // Importing hopsim's own format copies it (and is detected as such).
  CHECK(imp::detect_format(out) == imp::TraceFormat::kHopsimTrace);
  const auto rep = imp::import_trace(out, dir / "copy.sqlite");
  CHECK(rep.format == imp::TraceFormat::kHopsimTrace);
  CHECK(rep.kernels == 2);
  CHECK(rep.activities() == 2);
  CHECK(rep.runtime_calls == 1);
  CHECK(rep.annotations == 1);
  CHECK(rep.flows == 1);  // the stored fwdbwd row; the ac2g arrow was never a row
  CHECK(rep.devices == 1);
  CHECK(rep.input_bytes == static_cast<std::int64_t>(std::filesystem::file_size(out)));
  CHECK(tr::load_trace(dir / "copy.sqlite").provenance.at("hopsim_commit") == "abc123");
}

TEST_CASE("a failed import leaves neither output nor temporary file", "[trace_db][hostile]") {
  t::TempDir dir;
  const auto in = dir / "bad.json";
  t::write_bytes(in,
                 R"({"traceEvents": [{"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1},
    {"ph": "X", "cat": "kernel", "name": "k", "ts": 1})");
  const auto out = dir / "out.sqlite";
  t::write_bytes(out, "previous content");
  CHECK_THROWS_AS(imp::import_trace(in, out), tr::TraceError);
  CHECK(t::read_text(out) == "previous content");
  // The whole listing, not one guessed temp name: the temp file's name is unique per call.
  CHECK(hopsim::test::list_dir(dir.path()) == std::set<std::string>{"bad.json", "out.sqlite"});
}

TEST_CASE("a trace writer whose constructor throws leaves no temporary file",
          "[trace_db][hostile]") {
  t::TempDir dir;
  const auto out = dir / "out.sqlite";
  t::write_bytes(out, "previous content");
  {
    // The constructor creates the schema, SQLite's first write; on a "full disk" (a file size
    // limit of 1 KiB, below one 64 KiB page) that write fails and the constructor throws after
    // the temporary database exists.
    const hopsim::test::FileSizeLimit full_disk(1024);
    CHECK_THROWS_AS(tr::TraceWriter(out), tr::TraceError);
  }
  CHECK(t::read_text(out) == "previous content");
  CHECK(hopsim::test::list_dir(dir.path()) == std::set<std::string>{"out.sqlite"});
}

TEST_CASE("a trace writer for a folder that does not exist fails at once, naming the path",
          "[trace_db][hostile]") {
  t::TempDir dir;
  const auto out = dir / "missing" / "out.sqlite";
  try {
    tr::TraceWriter w(out);
    FAIL("no error");
  } catch (const tr::TraceError& e) {
    CHECK(e.file() == out.string());
    CHECK(std::string(e.what()).find("No such file or directory") != std::string::npos);
  }
  CHECK(hopsim::test::list_dir(dir.path()).empty());
}

TEST_CASE("an import that fails at commit (disk full) leaves the old output and no temp file",
          "[trace_db][hostile]") {
  t::TempDir dir;
  const auto nsys = t::make_synthetic_nsys(dir);
  const auto out = dir / "out.sqlite";
  t::write_bytes(out, "previous content");
  const auto before = hopsim::test::list_dir(dir.path());
  // The size of a fresh trace database (its schema): rows stay in SQLite's cache until
  // commit(), so a file size limit of exactly this lets the constructor pass and fails commit.
  std::uintmax_t schema_bytes = 0;
  {
    t::TempDir probe;
    const tr::TraceWriter w(probe / "probe.sqlite");
    const auto names = hopsim::test::list_dir(probe.path());
    REQUIRE(names.size() == 1);
    schema_bytes = std::filesystem::file_size(probe / *names.begin());
  }
  REQUIRE(schema_bytes > 0);
  {
    const hopsim::test::FileSizeLimit full_disk(schema_bytes);
    try {
      (void)imp::import_trace(nsys, out);
      FAIL("the import succeeded on a full disk");
    } catch (const tr::TraceError& e) {
      INFO(e.what());
      // SQLite reports the refused write (EFBIG) as a disk I/O error of the output it writes.
      CHECK(std::string(e.what()).find("out.sqlite") != std::string::npos);
    }
  }
  CHECK(t::read_text(out) == "previous content");
  CHECK(hopsim::test::list_dir(dir.path()) == before);
}

TEST_CASE("format detection names what it cannot read", "[trace_db]") {
  t::TempDir dir;
  t::write_bytes(dir / "x.txt", "hello");
  CHECK_THROWS_WITH(imp::detect_format(dir / "x.txt"),
                    Catch::Contains("unrecognised trace format"));
  t::run_sql(dir / "other.sqlite", "CREATE TABLE foo(a);");
  CHECK_THROWS_WITH(imp::detect_format(dir / "other.sqlite"),
                    Catch::Contains("neither a hopsim trace"));
  CHECK_THROWS_WITH(tr::load_trace(dir / "other.sqlite"),
                    Catch::Contains("table 'strings' is missing"));
}

TEST_CASE("a stored kind or source outside its enum is refused at its row", "[trace_db][hostile]") {
  // ActivityKind is stored as 0..2 and RangeSource as 0..3 (trace_model.hpp); a file edited to
  // hold 3 or 4 names the table, the row and the number.
  t::TempDir dir;
  const auto out = dir / "bad.sqlite";
  (void)imp::import_trace(t::data_dir() / "kineto" / "a100-alexnet-small.json.gz", out);
  const auto refusal = [&](const char* sql) {
    hopsim::sqlite::Db(out, hopsim::sqlite::Open::kReadWrite).exec(sql);
    try {
      (void)tr::load_trace(out);
    } catch (const tr::TraceError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(
      refusal("UPDATE gpu_activities SET kind = 3 WHERE id = 1"),
      Catch::Contains("table gpu_activities row 1") && Catch::Contains("unknown activity kind 3"));
  CHECK(refusal("UPDATE gpu_activities SET kind = 2 WHERE id = 1") == "accepted");  // a memset
  CHECK_THAT(
      refusal("UPDATE annotations SET source = 4"),
      Catch::Contains("table annotations row 1") && Catch::Contains("unknown range source 4"));
  CHECK_THAT(refusal("UPDATE annotations SET source = -1"),
             Catch::Contains("unknown range source -1"));
}
