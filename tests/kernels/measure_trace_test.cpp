// hopsim-measure's trace files, written from a hand-made schedule and recording and read back
// with plain SQL (the independent check), then through `hopsim calibrate`'s reader. Every
// expected value is worked out by hand in the comments.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "../common/raw_sql.hpp"
#include "../common/temp_dir.hpp"
#include "hopsim/measure/trace_output.hpp"
#include "hopsim/profiler/calibrate/measure_trace_writer.hpp"
#include "hopsim/profiler/calibrate/trace_input.hpp"
#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"

namespace hm = hopsim::measure;
namespace cal = hopsim::profiler::calibrate;
namespace fs = std::filesystem;
using hopsim::test::query;  // plain SQL, the independent check (tests/common/raw_sql.hpp)
using hopsim::test::Rows;
using hopsim::test::run_sql;

namespace {

// g: a BF16 GEMM on the whole GPU and on 64 SMs; c: a 1 KiB copy on 8 SMs; one concurrent pair,
// g beside a 4 KiB copy on 16 SMs. Schedule ids: 1 g@132, 2 g@64, 3 c@8, 4 g (compute half),
// 5 the copy half.
cal::Plan tiny_plan() {
  cal::Plan p;
  p.name = "tiny";
  p.warmup = 1;
  p.repeats = 2;
  p.entries.push_back({"g", "gemm_bf16", {{"m", 128}, {"n", 256}, {"k", 64}}, {132, 64}});
  p.entries.push_back({"c", "comm_copy", {{"bytes", 1024}}, {8}});
  p.concurrent_copy_sms = {16};
  p.concurrent_copy_bytes = 4096;
  p.concurrent_compute = {"g"};
  return p;
}

// What the GPU side reports: the splits were rounded (16 SMs asked, 24 obtained; the compute
// half got 112), and measurement 2's runner left a note with a quote in it.
std::vector<hm::MeasuredRun> tiny_runs() {
  return {{1, 132, ""}, {2, 64, "scale \"x\""}, {3, 8, ""}, {4, 112, ""}, {5, 24, ""}};
}

hm::KernelRecord kernel(const char* name, std::uint64_t start, std::uint64_t end, std::uint32_t ctx,
                        std::uint32_t corr) {
  hm::KernelRecord k;
  k.name = name;
  k.start = start;
  k.end = end;
  k.context = ctx;
  k.stream = 7;
  k.correlation = corr;
  k.grid[0] = 4;
  k.block[0] = 256;
  return k;
}

// Context 1 is the primary context; 2, 3 and 4 are green contexts of 64, 112 and 24 SMs.
// Kernel times (ns): measurement 1 repeats 100-200 and 300-420, measurement 2 500-700, the pair
// 1000-1400 beside 1100-1300 (repeat 0) and 2000-2400 beside 2300-2600 (repeat 1); plus one
// untagged setup kernel.
hm::Recording tiny_recording() {
  hm::Recording r;
  r.contexts[1] = {1, 0, 0, false, 0};
  r.contexts[2] = {2, 0, 1, true, 64};
  r.contexts[3] = {3, 0, 1, true, 112};
  r.contexts[4] = {4, 0, 1, true, 24};
  r.kernels = {kernel("setup", 0, 10, 1, 100),     kernel("gemm", 100, 200, 1, 101),
               kernel("gemm", 300, 420, 1, 102),   kernel("gemm", 500, 700, 2, 103),
               kernel("gemm", 1000, 1400, 3, 104), kernel("copy", 1100, 1300, 4, 105),
               kernel("gemm", 2000, 2400, 3, 106), kernel("copy", 2300, 2600, 4, 107)};
  r.external_id = {{101, hm::tag(1, 0)}, {102, hm::tag(1, 1)}, {103, hm::tag(2, 0)},
                   {104, hm::tag(4, 0)}, {105, hm::tag(5, 0)}, {106, hm::tag(4, 1)},
                   {107, hm::tag(5, 1)}};
  r.copies.push_back({false, 1, 4096, 50, 60, 0, 1, 7, 200});
  r.copies.push_back({true, 0, 64, 70, 80, 0, 1, 7, 201});
  r.api.push_back({211, 40, 45, 9, 10, 101});
  return r;
}

hm::DeviceFacts device() {
  hm::DeviceFacts d;
  d.name = "NVIDIA H100 80GB HBM3";
  d.sm_count = 132;
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_clock_khz = 1980000;
  d.memory_clock_khz = 2619000;
  d.memory_bus_width_bits = 5120;
  d.memory_bytes = 85'000'000'000;
  d.driver_version = 13000;
  d.runtime_version = 13000;
  d.toolkit_version = 13000;
  return d;
}

struct Written {
  fs::path out;
  hm::Schedule schedule;
};

Written write_tiny(const std::string& name) {
  Written w{hopsim::test::unique_temp_path(name), hm::make_schedule(tiny_plan())};
  const auto prov = hm::make_provenance(device(), {"abc123", "0.1.0"}, w.schedule,
                                        "2025-01-31T12:00:00Z", "tiny.yaml -o t.sqlite");
  hm::write_traces(w.out, prov, device(), w.schedule, tiny_runs(), tiny_recording());
  return w;
}

void remove_outputs(const fs::path& out) {
  fs::remove(out);
}

}  // namespace

TEST_CASE("measurements, provenance and kernels read back by SQL", "[kernels][measure]") {
  const auto w = write_tiny("measure_trace.sqlite");
  // g: 2 * 128 * 256 * 64 = 4194304 FLOPs; BF16 bytes 2 (MK + NK + MN)
  //    = 2 (8192 + 16384 + 32768) = 114688. comm_copy counts its payload once.
  CHECK(query(w.out,
              "SELECT id, kernel_class, label, basis, flops, bytes, partition_sms, role, "
              "concurrent_with, repeats FROM measurements ORDER BY id") ==
        Rows{{"1", "gemm_bf16", "g", "flops", "4194304.0", "114688.0", "132", "alone", "NULL", "2"},
             {"2", "gemm_bf16", "g", "flops", "4194304.0", "114688.0", "64", "alone", "NULL", "2"},
             {"3", "comm_copy", "c", "bytes", "0.0", "1024.0", "8", "alone", "NULL", "2"},
             {"4", "gemm_bf16", "g", "flops", "4194304.0", "114688.0", "112", "compute_concurrent",
              "5", "2"},
             {"5", "comm_copy", "concurrent_copy", "bytes", "0.0", "4096.0", "24",
              "copy_concurrent", "4", "2"}});
  // The shape is JSON that SQLite's own parser reads, the quoted note included.
  CHECK(query(w.out,
              "SELECT json_extract(shape, '$.m'), json_extract(shape, '$.k'), "
              "json_extract(shape, '$.note') FROM measurements WHERE id = 2") ==
        Rows{{"128", "64", "scale \"x\""}});
  CHECK(query(w.out, "SELECT shape FROM measurements WHERE id = 5") == Rows{{R"({"bytes":4096})"}});

  CHECK(query(w.out,
              "SELECT value FROM provenance WHERE key IN ('device_name', 'sm_count', "
              "'compute_capability', 'sm_clock_mhz_max', 'command_line', 'plan', 'repeats', "
              "'date_utc', 'format') ORDER BY key") ==
        Rows{{"hopsim-measure tiny.yaml -o t.sqlite"},
             {"9.0"},
             {"2025-01-31T12:00:00Z"},
             {"NVIDIA H100 80GB HBM3"},
             {"hopsim-measure-trace"},
             {"tiny"},
             {"2"},
             {"1980"},
             {"132"}});
  CHECK(query(w.out, "SELECT count(*) FROM provenance") == Rows{{"19"}});

  // Kernels in the primary context report the device's 132 SMs; the untagged setup kernel has
  // no measurement.
  CHECK(query(w.out,
              "SELECT name, start_ns, end_ns, green_ctx, green_ctx_sms, measurement_id, repeat, "
              "grid_x, block_x FROM kernels ORDER BY start_ns") ==
        Rows{{"setup", "0", "10", "0", "132", "NULL", "NULL", "4", "256"},
             {"gemm", "100", "200", "0", "132", "1", "0", "4", "256"},
             {"gemm", "300", "420", "0", "132", "1", "1", "4", "256"},
             {"gemm", "500", "700", "1", "64", "2", "0", "4", "256"},
             {"gemm", "1000", "1400", "1", "112", "4", "0", "4", "256"},
             {"copy", "1100", "1300", "1", "24", "5", "0", "4", "256"},
             {"gemm", "2000", "2400", "1", "112", "4", "1", "4", "256"},
             {"copy", "2300", "2600", "1", "24", "5", "1", "4", "256"}});
  CHECK(query(w.out, "SELECT context, green_ctx, sms, parent_context FROM contexts ORDER BY 1") ==
        Rows{{"1", "0", "NULL", "0"},
             {"2", "1", "64", "1"},
             {"3", "1", "112", "1"},
             {"4", "1", "24", "1"}});
  CHECK(query(w.out, "SELECT kind, bytes, start_ns, end_ns, correlation FROM memcpy") ==
        Rows{{"1", "4096", "50", "60", "200"}});
  CHECK(query(w.out, "SELECT bytes, start_ns, end_ns, correlation FROM memset") ==
        Rows{{"64", "70", "80", "201"}});
  CHECK(query(w.out, "SELECT cbid, process, thread, correlation FROM runtime_api") ==
        Rows{{"211", "9", "10", "101"}});
  // Overlap of the pair: repeat 0 min(1400,1300) - max(1000,1100) = 200, repeat 1
  // min(2400,2600) - max(2000,2300) = 100; compute 400 + 400, copy 200 + 300; contexts 3 != 4.
  CHECK(query(w.out, "SELECT * FROM overlaps") == Rows{{"4", "5", "300", "800", "500", "1"}});
  CHECK_FALSE(fs::exists(fs::path(w.out.string() + ".tmp")));
  remove_outputs(w.out);
}

TEST_CASE("the written trace reads as any trace: kernels, copies, calls, device",
          "[kernels][measure]") {
  // hopsim-measure writes one file; import, trace summary and compare read it through
  // import::read_trace (profiler/import/measure_trace.hpp). Expected values from tiny_recording().
  const auto w = write_tiny("measure_import.sqlite");
  CHECK(hopsim::profiler::import::detect_format(w.out) ==
        hopsim::profiler::import::TraceFormat::kMeasureTrace);
  const auto t = hopsim::profiler::import::read_trace(w.out);
  remove_outputs(w.out);
  // 8 kernels + 1 memcpy + 1 memset.
  REQUIRE(t.activities.size() == 10);
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t>> copies;
  for (const auto& a : t.activities) {
    if (a.kind != hopsim::profiler::trace::ActivityKind::kKernel) {
      copies.emplace_back(std::string(a.name), a.start.value(), a.end.value(), a.bytes);
    }
  }
  CHECK(copies == decltype(copies){{"memcpy", 50, 60, 4096}, {"memset", 70, 80, 64}});
  REQUIRE(t.runtime.size() == 1);
  CHECK(t.runtime[0].name == "cbid_211");
  CHECK(t.runtime[0].pid == 9);
  CHECK(t.runtime[0].tid == 10);
  REQUIRE(t.devices.size() == 1);
  CHECK(t.devices[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(t.devices[0].sm_count == 132);
  CHECK(t.devices[0].compute_major == 9);
  CHECK(t.devices[0].clock_khz == 1980000);
  // The same provenance, less the calibration format's own version keys.
  CHECK(t.provenance.at("hopsim_git_commit") == "abc123");
  CHECK_FALSE(t.provenance.contains("format"));
  CHECK(t.provenance.at("source_format") == "hopsim_measure_trace");
}

TEST_CASE("a damaged measure trace is refused with its table and row", "[kernels][measure]") {
  const auto message = [](const fs::path& f) -> std::string {
    try {
      (void)hopsim::profiler::import::read_trace(f);
    } catch (const hopsim::profiler::trace::TraceError& e) {
      return e.what();
    }
    return "no error";
  };
  SECTION("a kernel that ends before it starts") {
    const auto w = write_tiny("measure_damaged_times.sqlite");
    run_sql(w.out,
            "UPDATE kernels SET end_ns = start_ns - 1 WHERE id = (SELECT min(id) FROM kernels)");
    const auto m = message(w.out);
    remove_outputs(w.out);
    CHECK_THAT(m, Catch::Contains("table kernels row") && Catch::Contains("end before start"));
  }
  SECTION("a column missing") {
    const auto w = write_tiny("measure_damaged_columns.sqlite");
    run_sql(w.out, "ALTER TABLE kernels DROP COLUMN grid_z");
    const auto m = message(w.out);
    remove_outputs(w.out);
    CHECK_THAT(m, Catch::Contains("table kernels") && Catch::Contains("column 'grid_z'"));
  }
}

TEST_CASE("hopsim calibrate's reader takes the written trace", "[kernels][measure]") {
  const auto w = write_tiny("measure_roundtrip.sqlite");
  const auto in = cal::read_trace(w.out);
  remove_outputs(w.out);
  CHECK(in.provenance.at("sm_count") == "132");
  // Measurement 3 recorded no kernel, so 4 points: medians (100 + 120) / 2 = 110 ns, 200 ns,
  // 400 ns and (200 + 300) / 2 = 250 ns.
  REQUIRE(in.points.size() == 4);
  CHECK(in.points[0].measurement_id == 1);
  CHECK(in.points[0].median_seconds == Approx(110e-9));
  CHECK(in.points[0].repeats == 2);
  CHECK(in.points[0].work == 4194304.0);
  CHECK(in.points[1].median_seconds == Approx(200e-9));
  CHECK(in.points[2].role == "compute_concurrent");
  CHECK(in.points[2].median_seconds == Approx(400e-9));
  CHECK(in.points[3].basis == cal::WorkBasis::kBytes);
  CHECK(in.points[3].work == 4096.0);
  CHECK(in.points[3].median_seconds == Approx(250e-9));
}

TEST_CASE("a failed write leaves no partial file and an older trace untouched",
          "[kernels][measure]") {
  const auto schedule = hm::make_schedule(tiny_plan());
  const auto prov = hm::make_provenance(device(), {"abc123", "0.1.0"}, schedule, "d", "c");
  SECTION("a run the schedule does not have") {
    const auto out = hopsim::test::unique_temp_path("measure_refused.sqlite");
    std::ofstream(out) << "older trace";
    auto runs = tiny_runs();
    runs.push_back({99, 8, ""});
    CHECK_THROWS_AS(hm::write_traces(out, prov, device(), schedule, runs, tiny_recording()),
                    std::invalid_argument);
    CHECK(hopsim::test::read_text(out) == "older trace");
    CHECK_FALSE(fs::exists(fs::path(out.string() + ".tmp")));
    fs::remove(out);
  }
  SECTION("a row the schema refuses") {
    const auto out = hopsim::test::unique_temp_path("measure_check.sqlite");
    {
      cal::MeasureTraceWriter writer(out);
      writer.set_provenance("device_name", "x");
      cal::MeasurementRow row;
      row.id = 1;
      row.kernel_class = "gemm_bf16";
      row.label = "g";
      row.role = "together";  // not a role: the table's CHECK constraint refuses it
      CHECK_THROWS_AS(writer.add(row), hopsim::profiler::trace::TraceError);
    }
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(fs::path(out.string() + ".tmp")));
  }
  SECTION("the trace cannot be moved into place: nothing is left behind") {
    // A non-empty directory where the trace should go: everything is written, the last rename
    // fails.
    const auto out = hopsim::test::unique_temp_path("measure_blocked");
    fs::create_directories(out / "inside");
    CHECK_THROWS_AS(hm::write_traces(out, prov, device(), schedule, tiny_runs(), tiny_recording()),
                    hopsim::profiler::trace::TraceError);
    CHECK(fs::is_directory(out / "inside"));
    CHECK_FALSE(fs::exists(fs::path(out.string() + ".tmp")));
    fs::remove_all(out);
  }
}

TEST_CASE("the overlap report, by hand", "[kernels][measure]") {
  const auto schedule = hm::make_schedule(tiny_plan());
  // 300 ns of overlap over 800 ns of compute (see the SQL test above): 37.5 %.
  CHECK(hm::overlap_report(schedule, tiny_runs(), tiny_recording()) ==
        std::vector<std::string>{
            "overlap: g on 112 SMs with a copy on the other SMs: 37.5% of its time"});
  // Copies moved after the compute kernels: the partitions serialised.
  auto rec = tiny_recording();
  rec.kernels[5].start = 1500;
  rec.kernels[5].end = 1600;
  rec.kernels[7].start = 2500;
  rec.kernels[7].end = 2600;
  CHECK(hm::overlap_report(schedule, tiny_runs(), rec) ==
        std::vector<std::string>{
            "WARNING: no overlap: g on 112 SMs with a copy on the other SMs: 0.0% of its time"});
}

TEST_CASE("provenance and timestamps", "[kernels][measure]") {
  // 1738324800 s after the epoch is 2025-01-31 12:00:00 UTC (20119 days * 86400 + 12 h).
  CHECK(hm::utc_timestamp(1738324800) == "2025-01-31T12:00:00Z");
  const auto p = hm::make_provenance(device(), {"abc123", "0.1.0"}, hm::make_schedule(tiny_plan()),
                                     "d", "x.yaml -o y");
  CHECK(p.at("memory_clock_mhz") == "2619");
  CHECK(p.at("memory_bytes") == "85000000000");
  CHECK(p.at("warmup") == "1");
  CHECK(p.at("format_version") == "1");
}
