// Tests for the Kineto importer end to end (profiler/src/import/kineto*.cpp): exact time
// conversion, the real traces, and hostile input (every malformed file gives a TraceError naming
// a byte offset, never a crash). Its stages have their own tests: kineto_window_test.cpp,
// kineto_text_test.cpp, kineto_builder_test.cpp.

#include "hopsim/profiler/import/kineto.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "json_number.hpp"
#include "trace_test_util.hpp"

using hopsim::profiler::import::import_kineto_file;
using hopsim::profiler::import::import_kineto_memory;
using hopsim::profiler::import::parse_int64;
using hopsim::profiler::import::parse_us_to_ns;
using hopsim::profiler::trace::ActivityKind;
using hopsim::profiler::trace::CollectingSink;
using hopsim::profiler::trace::TraceError;
namespace t = hopsim::profiler::test;

namespace {

std::int64_t ns_of(const std::string& s) {
  std::int64_t v = 0;
  REQUIRE(parse_us_to_ns(s, v));
  return v;
}

// Imports JSON text and returns the TraceError message ("" when the import succeeded).
std::string error_of(const std::string& json) {
  CollectingSink sink;
  try {
    (void)import_kineto_memory(json, sink, "x.json");
  } catch (const TraceError& e) {
    return e.what();
  }
  return "";
}

std::string wrap(const std::string& events) {
  return R"({"traceEvents": [)" + events + "]}";
}

void write_gz(const std::filesystem::path& p, const std::string& data) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, data.data(), static_cast<unsigned>(data.size())) ==
          static_cast<int>(data.size()));
  gzclose(f);
}

//! A trace of `n` kernels "kernel_<i>", 10 us apart, 5 us long, the events joined by `sep`.
std::string kernels_json(int n, const char* sep) {
  std::string json = R"({"traceEvents": [)";
  for (int i = 0; i < n; ++i) {
    json += (i ? sep : "") + std::string(R"({"ph": "X", "cat": "kernel", "name": "kernel_)") +
            std::to_string(i) + R"(", "pid": 0, "tid": 1, "ts": )" + std::to_string(i * 10) +
            R"(, "dur": 5})";
  }
  return json + "]}";
}

}  // namespace

TEST_CASE("microsecond text converts to integer nanoseconds exactly", "[kineto]") {
  // 1712195495505583.123 us: 19 significant digits, beyond a double's 15-17.
  CHECK(ns_of("1712195495505583.123") == 1712195495505583123LL);
  CHECK(ns_of("4458676983543.183") == 4458676983543183LL);
  CHECK(ns_of("0") == 0);
  CHECK(ns_of("41.407") == 41407);
  CHECK(ns_of("1.5e3") == 1500000);  // 1500 us
  CHECK(ns_of("2E-3") == 2);         // 0.002 us = 2 ns
  CHECK(ns_of("0.0005") == 1);       // 0.5 ns rounds half away from zero
  CHECK(ns_of("0.0004999") == 0);
  CHECK(ns_of("0.000000000") == 0);
  CHECK(ns_of("-1.25") == -1250);
  std::int64_t v = 0;
  CHECK_FALSE(parse_us_to_ns("9223372036854775.808", v));  // INT64_MAX + 1 ns
  CHECK(parse_us_to_ns("9223372036854775.807", v));
  CHECK(v == INT64_MAX);
  CHECK_FALSE(parse_us_to_ns("1e400", v));
  CHECK_FALSE(parse_us_to_ns("", v));
  CHECK_FALSE(parse_us_to_ns("1.2.3", v));
  CHECK(parse_int64("-9223372036854775808", v));
  CHECK(v == INT64_MIN);
  CHECK_FALSE(parse_int64("9223372036854775808", v));
  CHECK_FALSE(parse_int64("1.0", v));
}

TEST_CASE("real Kineto traces import with the counts an independent script finds", "[kineto]") {
  // Expected figures from tests/data/traces/compute_expected.py (Python json/gzip only).
  const auto expected =
      nlohmann::json::parse(t::read_text(t::data_dir() / "expected_summary.json"));
  for (const std::string name : {"a100-2rank-nccl", "v100-1rank-training", "a100-alexnet-small"}) {
    SECTION(name) {
      CollectingSink sink;
      const auto st = import_kineto_file(t::data_dir() / "kineto" / (name + ".json.gz"), sink);
      const auto tr = sink.finish();
      const auto& e = expected.at(name);
      CHECK(st.kernels == e.at("kernels").get<std::int64_t>());
      CHECK(st.memcpys == e.at("memcpys").get<std::int64_t>());
      CHECK(st.memsets == e.at("memsets").get<std::int64_t>());
      std::int64_t total = 0;
      for (const auto& a : tr.activities) total += (a.end - a.start).value();
      CHECK(total == e.at("activity_time_ns").get<std::int64_t>());
      // Every one of these traces lists 8 GPUs in deviceProperties (README of the data).
      REQUIRE(tr.devices.size() == 8);
      CHECK(tr.devices[0].sm_count == (name.starts_with("v100") ? 80 : 108));
      CHECK_FALSE(tr.links.empty());
    }
  }
}

TEST_CASE("Kineto fields map onto the trace model", "[kineto]") {
  const std::string json = R"({"deviceProperties": [{"id": 0, "name": "H800", "numSms": 132,
    "totalGlobalMem": 85520809984, "computeMajor": 9, "computeMinor": 0}],
    "baseTimeNanoseconds": 1711964646000000000, "displayTimeUnit": "ms",
    "traceEvents": [
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 11,
     "ts": 100.5, "dur": 2, "args": {"correlation": 7}},
    {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 103.25, "dur": 1.001,
     "args": {"device": 0, "stream": 7, "correlation": 7, "grid": [66, 2, 1], "block": [128, 1, 1],
              "nested": {"deep": [1, [2, {"x": 3}]]}}},
    {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD", "pid": 0, "tid": 7, "ts": 110,
     "dur": 1, "args": {"device": 0, "stream": 7, "correlation": 8, "bytes": 4096}},
    {"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#3", "pid": 10, "tid": 11,
     "ts": 100, "dur": 50},
    {"ph": "s", "id": 7, "pid": 10, "tid": 11, "ts": 100.5, "cat": "ac2g", "name": "ac2g"},
    {"ph": "f", "id": 7, "pid": 0, "tid": 7, "ts": 103.25, "cat": "ac2g", "name": "ac2g", "bp": "e"},
    {"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "GPU 0"}},
    {"ph": "i", "name": "marker", "ts": 1, "pid": 1, "tid": 1}
  ]})";
  CollectingSink sink;
  const auto st = import_kineto_memory(json, sink);
  const auto tr = sink.finish();
  REQUIRE(tr.activities.size() == 2);
  const auto& k = tr.activities[0];
  CHECK(k.kind == ActivityKind::kKernel);
  CHECK(k.start.value() == 103250);
  CHECK(k.end.value() == 103250 + 1001);
  CHECK(k.grid == hopsim::profiler::trace::Dim3{66, 2, 1});
  CHECK(k.block.x == 128);
  CHECK(tr.activities[1].bytes == 4096);
  REQUIRE(tr.links.size() == 1);
  CHECK(tr.links[0].activity_index == 0);
  CHECK(tr.runtime[0].pid == 10);
  CHECK(tr.annotations.at(0).name == "ProfilerStep#3");
  CHECK(tr.flows.size() == 2);
  CHECK(st.metadata == 1);
  CHECK(st.skipped.at("ph=i") == 1);
  CHECK(tr.provenance.at("base_time_ns") == "1711964646000000000");
  REQUIRE(tr.devices.size() == 1);
  CHECK(tr.devices[0].total_memory_bytes == 85520809984LL);
}

TEST_CASE("the Chrome trace array format is accepted", "[kineto]") {
  CollectingSink sink;
  (void)import_kineto_memory(
      R"([{"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 1, "ts": 1, "dur": 2}])",
      sink);
  CHECK(sink.finish().activities.size() == 1);
}

TEST_CASE("malformed Kineto JSON is rejected with the byte offset", "[kineto][hostile]") {
  const std::string ok_kernel =
      R"({"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 1, "ts": 1, "dur": 2})";
  CHECK(error_of(wrap(ok_kernel)).empty());
  // Truncated in the middle of the second event.
  const std::string truncated = wrap(ok_kernel + "," + ok_kernel).substr(0, 150);
  const auto trunc_msg = error_of(truncated);
  CHECK_THAT(trunc_msg, Catch::Contains("x.json: byte "));
  CHECK_THAT(trunc_msg, Catch::Contains("invalid JSON"));

  CHECK_THAT(error_of(wrap(R"({"ph": "X", "cat": "kernel", "name": "k", "ts": "1", "dur": 2})")),
             Catch::Contains("'ts' must be a number"));
  CHECK_THAT(error_of(wrap(R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1})")),
             Catch::Contains("missing 'dur'"));
  CHECK_THAT(error_of(wrap(R"({"ph": "X", "cat": "kernel", "ts": 1, "dur": 1})")),
             Catch::Contains("missing 'name'"));
  CHECK_THAT(error_of(wrap(R"({"ph": "X", "cat": "kernel", "name": "k", "ts": -5, "dur": 1})")),
             Catch::Contains("negative 'ts'"));
  CHECK_THAT(error_of(wrap(R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 5, "dur": -1})")),
             Catch::Contains("negative 'dur'"));
  CHECK_THAT(error_of(wrap(R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1e300, "dur": 1})")),
             Catch::Contains("out of range"));
  CHECK_THAT(error_of(wrap(
                 R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 9223372036854775, "dur": 1})")),
             Catch::Contains("overflows"));
  CHECK_THAT(
      error_of(wrap(
          R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"stream": 1.5}})")),
      Catch::Contains("'args.stream' must be an integer"));
  CHECK_THAT(error_of(wrap(R"(1, 2)")), Catch::Contains("traceEvents must hold objects"));
  CHECK_THAT(error_of(R"({"traceEvents": 5})"), Catch::Contains("must be an array"));
  CHECK_THAT(error_of(R"([[1]])"), Catch::Contains("traceEvents must hold objects"));
  CHECK_THAT(error_of(R"({"traceEvents": [], "traceEvents": []})"),
             Catch::Contains("more than one 'traceEvents'"));
  CHECK_THAT(error_of(R"({"foo": []})"), Catch::Contains("no 'traceEvents'"));
  CHECK_THAT(error_of("\"just a string\""), Catch::Contains("not a scalar"));
  CHECK_THAT(error_of(""), Catch::Contains("byte 0"));
  CHECK_THAT(error_of(wrap(ok_kernel) + " trailing"), Catch::Contains("invalid JSON"));
  // Deep nesting is capped (the iterative parser would survive it; the cap bounds memory).
  const std::string deep =
      R"({"traceEvents": [], "x": )" + std::string(100, '[') + std::string(100, ']') + "}";
  CHECK_THAT(error_of(deep), Catch::Contains("nested deeper than 64"));
}

TEST_CASE("damaged gzip files are rejected, not half-imported", "[kineto][hostile]") {
  t::TempDir dir;
  const std::string json = kernels_json(2000, ",");
  write_gz(dir / "good.json.gz", json);
  {
    CollectingSink sink;
    CHECK(import_kineto_file(dir / "good.json.gz", sink).kernels == 2000);
  }
  const std::string gz = t::read_text(dir / "good.json.gz");
  t::write_bytes(dir / "cut.json.gz", gz.substr(0, gz.size() / 2));
  t::write_bytes(dir / "notrailer.json.gz", gz.substr(0, gz.size() - 4));
  std::string garbled = gz;
  for (std::size_t i = 40; i < 80 && i < garbled.size(); ++i)
    garbled[i] = static_cast<char>(garbled[i] ^ 0x5a);
  t::write_bytes(dir / "garbled.json.gz", garbled);
  for (const std::string f : {"cut.json.gz", "notrailer.json.gz", "garbled.json.gz"}) {
    CAPTURE(f);
    CollectingSink sink;
    try {
      (void)import_kineto_file(dir / f, sink);
      FAIL("import of a damaged gzip file succeeded");
    } catch (const TraceError& e) {
      CHECK_THAT(e.what(), Catch::Contains("byte"));
    }
  }
}

TEST_CASE("tiny parse windows give the same trace and the same error offsets", "[kineto]") {
  // The importer parses in situ over a window that ends after a newline or, in one-line JSON,
  // after a comma outside a string (window_stream.hpp). Small windows force every kind
  // of cut: in the middle of events, after commas inside strings ("a,b" must not be a cut), and
  // names longer than the window (the buffer grows).
  std::string events;
  for (int i = 0; i < 200; ++i) {
    events += (i ? "," : "") + std::string(R"({"ph": "X", "cat": "kernel", "name": "k,)") +
              std::string(static_cast<std::size_t>(i % 97), 'x') + R"(\"q\" \u00e9,)" +
              std::to_string(i) + R"(", "pid": 0, "tid": 1, "ts": )" + std::to_string(i) +
              R"(.5, "dur": 2, "args": {"grid": [1, 2, 3], "correlation": )" + std::to_string(i) +
              "}}" + (i % 3 == 0 ? "\n" : "");
  }
  for (const std::string& json :
       {R"({"traceEvents": [)" + events + "]}", R"({"traceEvents": [)" + events + "]}\n"}) {
    CollectingSink ref_sink;
    (void)import_kineto_memory(json, ref_sink);
    const auto ref = ref_sink.finish();
    REQUIRE(ref.activities.size() == 200);
    CHECK(ref.activities[5].name == "k,xxxxx\"q\" \xc3\xa9,5");
    CHECK(ref.activities[7].start.value() == 7500);
    CHECK(ref.activities[199].grid == hopsim::profiler::trace::Dim3{1, 2, 3});
    for (std::size_t window : {64U, 100U, 333U}) {
      CAPTURE(window);
      hopsim::profiler::import::KinetoOptions opt;
      opt.chunk_bytes = window;
      CollectingSink sink;
      (void)import_kineto_memory(json, sink, "x.json", opt);
      const auto got = sink.finish();
      REQUIRE(got.activities.size() == ref.activities.size());
      for (std::size_t i = 0; i < got.activities.size(); ++i) {
        CAPTURE(i);
        CHECK(got.activities[i] == ref.activities[i]);  // every field
      }
    }
  }
  // An error deep in the input names the same byte whatever the window.
  const std::string bad = R"({"traceEvents": [)" + events + R"(, {"ph": "X", "ts": ]})";
  std::string first;
  for (std::size_t window : {std::size_t{64}, std::size_t{100}, std::size_t{1} << 20}) {
    hopsim::profiler::import::KinetoOptions opt;
    opt.chunk_bytes = window;
    CollectingSink sink;
    try {
      (void)import_kineto_memory(bad, sink, "x.json", opt);
      FAIL("import of invalid JSON succeeded");
    } catch (const TraceError& e) {
      if (first.empty()) first = e.what();
      CHECK(std::string(e.what()) == first);
      CHECK_THAT(e.what(), Catch::Contains("byte " + std::to_string(bad.size() - 2)));
    }
  }
}

TEST_CASE("importing the same file twice gives byte-identical databases", "[kineto]") {
  // Determinism: no import time or other run-dependent value is stored.
  t::TempDir dir;
  hopsim::profiler::import::ImportOptions opt;
  opt.command = "hopsim import a100-alexnet-small.json.gz -o x.sqlite";
  const auto in = t::data_dir() / "kineto" / "a100-alexnet-small.json.gz";
  (void)hopsim::profiler::import::import_trace(in, dir / "a.sqlite", opt);
  (void)hopsim::profiler::import::import_trace(in, dir / "b.sqlite", opt);
  CHECK(t::read_text(dir / "a.sqlite") == t::read_text(dir / "b.sqlite"));
}

TEST_CASE("import progress counts the file's bytes, compressed or not, and ends at its size",
          "[kineto][progress]") {
  t::TempDir dir;
  const std::string json = kernels_json(3000, ",\n");
  t::write_bytes(dir / "plain.json", json);
  write_gz(dir / "packed.json.gz", json);
  for (const std::string f : {"plain.json", "packed.json.gz"}) {
    CAPTURE(f);
    const auto size = static_cast<std::uint64_t>(std::filesystem::file_size(dir / f));
    std::vector<std::uint64_t> done;
    hopsim::profiler::import::ImportOptions opt;
    opt.progress = [&](std::uint64_t d, std::uint64_t total, std::string_view unit) {
      CHECK(total == size);  // the file on disk, not the JSON it inflates to
      CHECK(unit == "bytes");
      done.push_back(d);
    };
    CollectingSink sink;
    CHECK(hopsim::profiler::import::import_into(dir / f, sink, opt).kernels == 3000);
    REQUIRE(done.size() >= 2);
    CHECK(std::is_sorted(done.begin(), done.end()));
    // Only the end of the import says done: the reader fills its window before parsing it.
    CHECK(std::count(done.begin(), done.end(), size) == 1);
    CHECK(done.back() == size);
  }
}
