// Tests for the Kineto importer's tokenizer stage (profiler/src/import/window_stream.cpp) and its
// hand-off to the parser and builder: the window cuts the input only where no token is open, so
// splitting the same bytes into reads at any point must give the same events and errors.

#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../common/temp_path.hpp"
#include "gzip_source.hpp"
#include "hopsim/profiler/trace/trace_error.hpp"
#include "kineto_builder.hpp"
#include "kineto_parser.hpp"
#include "trace_test_util.hpp"
#include "window_stream.hpp"

using hopsim::profiler::import::GzipSource;
using hopsim::profiler::import::ImportStats;
using hopsim::profiler::import::KinetoEventBuilder;
using hopsim::profiler::import::last_cut_outside_string;
using hopsim::profiler::import::parse_kineto;
using hopsim::profiler::import::WindowStream;
using hopsim::profiler::trace::ActivityKind;
using hopsim::profiler::trace::CollectingSink;
using hopsim::profiler::trace::Dim3;
using hopsim::profiler::trace::RangeSource;
using hopsim::profiler::trace::Trace;
using hopsim::profiler::trace::TraceError;
namespace t = hopsim::profiler::test;

namespace {

//! A byte source that never returns bytes across one of `cuts` (ascending offsets) in one read,
//! and at most `max_read` bytes per read: it imitates a file or zlib stream whose reads end at
//! arbitrary places.
WindowStream::Fill pieces(const std::string& data, std::vector<std::size_t> cuts,
                          std::size_t max_read = SIZE_MAX) {
  return [&data, cuts = std::move(cuts), max_read, at = std::size_t{0}](
             char* buf, std::size_t cap) mutable -> long {
    std::size_t stop = data.size();
    for (const std::size_t c : cuts) {
      if (c > at) {
        stop = std::min(stop, c);
        break;
      }
    }
    const std::size_t n = std::min({cap, stop - at, max_read});
    std::memcpy(buf, data.data() + at, n);
    at += n;
    return static_cast<long>(n);
  };
}

//! Everything Take() yields until the stream reports its end.
std::string drain(WindowStream& in) {
  std::string got;
  while (in.Peek() != '\0') got += in.Take();
  return got;
}

struct Outcome {
  Trace trace;
  ImportStats stats;
  std::size_t end = 0;  // Tell() after the parse
  std::string error;    // TraceError message, "" on success
};

Outcome parse(WindowStream::Fill fill, std::size_t window) {
  Outcome out;
  CollectingSink sink;
  WindowStream in(std::move(fill), window);
  KinetoEventBuilder builder(sink);
  try {
    parse_kineto(in, builder, "doc.json", 64, {});
  } catch (const TraceError& e) {
    out.error = e.what();
    return out;
  }
  out.stats = builder.stats();
  out.end = in.Tell();
  out.trace = sink.finish();
  return out;
}

// A small trace with every kind of place a cut could go wrong: commas and escaped quotes inside
// strings, \u escapes and raw UTF-8, events on one line and across lines, nested args arrays.
const std::string kDoc =
    R"({"schemaVersion": 1, "deviceProperties": [{"id": 0, "name": "GPU, \"zero\"", "numSms": 132}],)"
    "\n"
    R"("traceEvents": [{"ph": "X", "cat": "kernel", "name": "gemm<a,b>", "pid": 0, "tid": 7, "ts": 1.5, "dur": 2.25, )"
    R"("args": {"device": 3, "stream": 9, "correlation": 11, "grid": [4, 2, 1], "block": [128, 1, 1]}},)"
    "\n"
    R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 12, "ts": 1.0004, "dur": 5e-1, "args": {"correlation": 11}},)"
    "\n"
    R"({"ph": "X", "cat": "user_annotation", "name": "caf\u00e9 \u2713 \"q\", x", "pid": 10, "tid": 12, "ts": 1e0, "dur": 100},)"
    R"({"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD", "pid": 0, "tid": 7, "ts": 20, "dur": 0.0015, "args": {"bytes": 4096}},)"
    "\n"
    R"({"ph": "i", "name": "mark", "ts": 3, "pid": 1, "tid": 1}, {"ph": "X", "cat": "cpu_op", "name": "aten::mm )"
    "\xC3\xA9"
    R"(", "pid": 10, "tid": 12, "ts": 2, "dur": 1}],)"
    "\n"
    R"("displayTimeUnit": "ms"})";

// What kDoc holds, derived by hand: times are microseconds, so ts 1.0004 is 1000.4 ns -> 1000 and
// dur 0.0015 is 1.5 ns -> 2 (half away from zero); device and stream fall back to pid and tid.
void check_doc(const Outcome& o) {
  REQUIRE(o.error.empty());
  CHECK(o.end == kDoc.size());
  const Trace& tr = o.trace;
  REQUIRE(tr.activities.size() == 2);
  const auto& k = tr.activities[0];
  CHECK(k.kind == ActivityKind::kKernel);
  CHECK(k.name == "gemm<a,b>");
  CHECK(k.start.value() == 1500);
  CHECK(k.end.value() == 3750);
  CHECK(k.device == 3);
  CHECK(k.stream == 9);
  CHECK(k.correlation == 11);
  CHECK(k.grid == Dim3{4, 2, 1});
  CHECK(k.block == Dim3{128, 1, 1});
  CHECK(k.bytes == -1);
  const auto& m = tr.activities[1];
  CHECK(m.kind == ActivityKind::kMemcpy);
  CHECK(m.name == "Memcpy HtoD");
  CHECK(m.start.value() == 20000);
  CHECK(m.end.value() == 20002);
  CHECK(m.device == 0);
  CHECK(m.stream == 7);
  CHECK(m.correlation == -1);
  CHECK(m.bytes == 4096);
  REQUIRE(tr.runtime.size() == 1);
  CHECK(tr.runtime[0].name == "cudaLaunchKernel");
  CHECK(tr.runtime[0].start.value() == 1000);
  CHECK(tr.runtime[0].end.value() == 1500);
  CHECK(tr.runtime[0].pid == 10);
  CHECK(tr.runtime[0].tid == 12);
  CHECK_FALSE(tr.runtime[0].driver);
  REQUIRE(tr.annotations.size() == 2);
  CHECK(tr.annotations[0].name == "caf\xC3\xA9 \xE2\x9C\x93 \"q\", x");
  CHECK(tr.annotations[0].source == RangeSource::kUserAnnotation);
  CHECK(tr.annotations[0].start.value() == 1000);
  CHECK(tr.annotations[0].end.value() == 101000);
  CHECK(tr.annotations[1].name == "aten::mm \xC3\xA9");
  CHECK(tr.annotations[1].source == RangeSource::kCpuOp);
  CHECK(tr.annotations[1].end.value() == 3000);
  REQUIRE(tr.devices.size() == 1);
  CHECK(tr.devices[0].name == "GPU, \"zero\"");
  CHECK(tr.devices[0].sm_count == 132);
  REQUIRE(tr.links.size() == 1);  // launch correlation 11 -> the kernel
  CHECK(tr.provenance.at("kineto_schema_version") == "1");
  CHECK(tr.provenance.at("display_time_unit") == "ms");
  CHECK(o.stats.events == 6);
  CHECK(o.stats.kernels == 1);
  CHECK(o.stats.memcpys == 1);
  CHECK(o.stats.runtime_calls == 1);
  CHECK(o.stats.annotations == 2);
  CHECK(o.stats.devices == 1);
  CHECK(o.stats.skipped == std::map<std::string, std::int64_t>{{"ph=i", 1}});
}

}  // namespace

TEST_CASE("the window hands on every byte whatever the reads and the window size", "[kineto]") {
  // Lines, comma-only stretches, commas and escaped quotes inside strings, and a 150-byte stretch
  // with no cut point at all (the buffer must grow).
  const std::string data = "{\"a\": \"x,\\\"y\\\\\", \"b\": [1,2,3]}\n" + std::string(150, 'z') +
                           ",\"s\\\",\",q\n\n,,tail without newline";
  for (const std::size_t window : {64U, 65U, 100U, 4096U}) {
    for (const std::size_t max_read :
         {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{64}, SIZE_MAX}) {
      CAPTURE(window, max_read);
      WindowStream in(pieces(data, {}, max_read), window);
      CHECK(drain(in) == data);
      CHECK(in.Tell() == data.size());
      CHECK(in.invalid_utf8_replaced() == 0);
    }
  }
}

TEST_CASE(
    "the window replaces invalid UTF-8 bytes by '?', counts them and says where the first was",
    "[kineto]") {
  // Issue "nothing lost, nothing silently wrong", finding 5: a non-UTF-8 kernel name made the
  // import fail (and, before that, `trace summary --json` later); names now always stay valid.
  std::string data;
  for (int i = 0; i < 40; ++i) data += "{\"n\": \"caf\xC3\xA9\"},\n";  // 16 bytes a line
  for (const std::size_t bad_at :
       {std::size_t{0}, std::size_t{7}, std::size_t{100}, data.size() - 1}) {
    std::string bad = data;
    bad[bad_at] = '\xFF';
    bad[bad_at + (bad_at + 200 < bad.size() ? 200 : 0)] = '\xFF';
    std::string want = bad;
    std::replace(want.begin(), want.end(), '\xFF', '?');
    const std::int64_t count = std::count(bad.begin(), bad.end(), '\xFF');
    for (const std::size_t window : {64U, 4096U}) {
      CAPTURE(bad_at, window);
      WindowStream in(pieces(bad, {}, 5), window);
      CHECK(drain(in) == want);
      CHECK(in.invalid_utf8_replaced() == count);
      CHECK(in.first_invalid_utf8_at() == bad_at);
    }
  }
  // A two-byte sequence cut short: its lead byte is replaced, the next character kept.
  const std::string cut_short = "\"a\xC3\"\n";
  WindowStream in(pieces(cut_short, {}), 64);
  CHECK(drain(in) == "\"a?\"\n");
  CHECK(in.invalid_utf8_replaced() == 1);
}

TEST_CASE("a read error ends the stream after the last complete window", "[kineto]") {
  int calls = 0;
  WindowStream in(
      [&calls](char* buf, std::size_t) -> long {
        if (calls++ > 0) return -1;
        std::memcpy(buf, "ab\ncd", 5);
        return 5;
      },
      64);
  // "ab\n" ends a window; "cd" was read but its window never closed, so it is not handed on.
  CHECK(drain(in) == "ab\n");
  CHECK(in.Tell() == 3);
}

TEST_CASE("the cut falls after the last byte outside a string that ends no token", "[kineto]") {
  const auto cut = [](std::string_view s) { return last_cut_outside_string(s.data(), s.size()); };
  CHECK(cut("") == 0);
  CHECK(cut("abc") == 0);
  CHECK(cut("123456") == 0);  // a number may go on in the next read
  CHECK(cut("a,b") == 2);
  CHECK(cut("1,2,3") == 4);
  CHECK(cut("12 34") == 3);  // whitespace ends a number
  CHECK(cut("[[[") == 3);
  CHECK(cut(R"({"k":)") == 5);
  CHECK(cut(R"({"k")") == 1);  // not after the closing quote: only after structure or space
  CHECK(cut(R"("a,b")") == 0);
  CHECK(cut(R"("a b:[]{}")") == 0);  // nothing inside a string counts
  CHECK(cut(R"("a,b",)") == 6);
  CHECK(cut(R"("a\",b")") == 0);  // \" does not end the string
  CHECK(cut(R"("a\\",b)") == 6);  // \\ is one backslash; the quote after it ends the string
  CHECK(cut(R"(1, "x,)") == 3);   // an unterminated string at the end hides its comma
  CHECK(cut(R"({"k": "x,y"}, {"k": 1})") == 22);
}

TEST_CASE("a newline-free stretch of whitespace does not grow the window", "[kineto]") {
  // Issue "nothing lost, nothing silently wrong", finding 4: 300 MB of spaces inside traceEvents
  // (300 KB gzipped) doubled the window until RSS reached 795 MB.
  const std::string doc = R"({"traceEvents":[)" + std::string(1 << 20, ' ') +
                          R"({"ph":"X","name":"k","pid":0,"tid":0,"ts":1,"dur":1}]})";
  WindowStream in(pieces(doc, {}), 4096, 1 << 16);
  CHECK(drain(in) == doc);
  CHECK(in.capacity() == 4096);
}

TEST_CASE("a single token longer than the largest window is refused, not buffered", "[kineto]") {
  const std::string doc = R"({"traceEvents":[{"name":")" + std::string(200000, 'x') + R"("}]})";
  WindowStream in(pieces(doc, {}), 4096, 1 << 16);
  CHECK(drain(in).size() < doc.size());
  CHECK(in.too_long());
  CHECK(in.capacity() <= std::size_t{1} << 16);
  CollectingSink sink;
  KinetoEventBuilder builder(sink);
  WindowStream again(pieces(doc, {}), 4096, 1 << 16);
  try {
    parse_kineto(again, builder, "long.json", 64, {});
    FAIL("a token longer than the window was accepted");
  } catch (const TraceError& e) {
    CHECK_THAT(e.what(), Catch::Contains("longer than 65536 bytes"));
    CHECK_THAT(e.what(), Catch::Contains("byte 24"));  // where the name's string starts
  }
}

TEST_CASE("every split of the input into reads gives the same events", "[kineto]") {
  check_doc(parse(pieces(kDoc, {}), 1 << 20));
  for (const std::size_t window : {64U, 100U, 4096U}) {
    for (std::size_t split = 0; split <= kDoc.size(); ++split) {
      CAPTURE(window, split);
      check_doc(parse(pieces(kDoc, {split}), window));
    }
    CAPTURE(window);
    check_doc(parse(pieces(kDoc, {}, 1), window));  // one byte per read
  }
}

TEST_CASE("every split of the input gives the same error at the same byte", "[kineto]") {
  struct Case {
    std::string doc;
    std::string message;
  };
  const auto replaced = [](std::string s, const std::string& from, const std::string& to) {
    const std::size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  const std::string wrong_type = replaced(kDoc, "\"dur\": 100}", "\"dur\": \"100\"}");
  const std::string missing = replaced(kDoc, ", \"dur\": 1}", "}");
  const std::vector<Case> cases = {
      // Type errors name the byte just past the offending value.
      {wrong_type, "doc.json: byte " + std::to_string(wrong_type.find("\"100\"") + 5) +
                       ": 'dur' must be a number"},
      // Event errors name the byte just past the event's opening brace.
      {missing, "doc.json: byte " +
                    std::to_string(missing.rfind("{\"ph\": \"X\", \"cat\": \"cpu_op\"") + 1) +
                    ": event #6 ('aten::mm \xC3\xA9'): missing 'dur'"},
  };
  for (const auto& c : cases) {
    for (const std::size_t window : {64U, 4096U}) {
      for (std::size_t split = 0; split <= c.doc.size(); split += 7) {
        CAPTURE(c.message, window, split);
        CHECK(parse(pieces(c.doc, {split}), window).error == c.message);
      }
    }
  }
}

TEST_CASE("the gzip source reads gzip and plain files alike", "[kineto]") {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += "line " + std::to_string(i) + ",\n";
  const auto gz_path = hopsim::test::unique_temp_path("gzip-source.gz");
  const auto plain_path = hopsim::test::unique_temp_path("gzip-source.txt");
  gzFile f = gzopen(gz_path.string().c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, data.data(), static_cast<unsigned>(data.size())) ==
          static_cast<int>(data.size()));
  gzclose(f);
  t::write_bytes(plain_path, data);
  for (const auto& path : {gz_path, plain_path}) {
    CAPTURE(path);
    GzipSource src(path);
    std::string got;
    char buf[1000];
    long n = 0;
    while ((n = src.read(buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    CHECK(n == 0);
    CHECK(got == data);
    CHECK(src.error().empty());
    CHECK(src.compressed() == (path == gz_path));
  }
  std::filesystem::remove(gz_path);
  std::filesystem::remove(plain_path);
  CHECK_THROWS_AS(GzipSource(hopsim::test::unique_temp_path("missing.gz")), TraceError);
}

namespace {
std::string gzip_bytes(const std::string& data) {
  const auto path = hopsim::test::unique_temp_path("gz-bytes.gz");
  gzFile f = gzopen(path.string().c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, data.data(), static_cast<unsigned>(data.size())) ==
          static_cast<int>(data.size()));
  gzclose(f);
  std::string out = t::read_text(path);
  std::filesystem::remove(path);
  return out;
}

//! All of `path` through GzipSource in reads of `chunk` bytes; the error is "" on success.
std::pair<std::string, std::string> read_all(const std::filesystem::path& path, std::size_t chunk) {
  GzipSource src(path);
  std::string got;
  std::vector<char> buf(chunk);
  long n = 0;
  while ((n = src.read(buf.data(), buf.size())) > 0)
    got.append(buf.data(), static_cast<std::size_t>(n));
  return {got, n < 0 ? src.error() : std::string()};
}
}  // namespace

TEST_CASE("gzip: concatenated members are one stream; anything else after a member is refused",
          "[kineto]") {
  // Issue "nothing lost, nothing silently wrong", finding 5: zlib's gzread ignores bytes after
  // the last member, so appended data imported as if it were not there.
  const std::string a = "first member,\n";
  const std::string b = "second member\n";
  const auto path = hopsim::test::unique_temp_path("members.gz");
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
    CAPTURE(chunk);
    t::write_bytes(path, gzip_bytes(a) + gzip_bytes(b));
    CHECK(read_all(path, chunk) == std::pair{a + b, std::string()});

    const std::string one = gzip_bytes(a);
    t::write_bytes(path, one + "GARBAGE");
    const auto [got, err] = read_all(path, chunk);
    CHECK(got == a);
    CHECK(err ==
          "data after the end of the gzip stream at compressed byte " + std::to_string(one.size()));

    t::write_bytes(path, one + std::string(1, '\x1f'));  // half a magic number, then the end
    CHECK_THAT(read_all(path, chunk).second, Catch::Contains("data after the end"));

    t::write_bytes(path, one.substr(0, one.size() - 5));  // the trailer cut off
    CHECK_THAT(read_all(path, chunk).second, Catch::Contains("truncated"));

    std::string damaged = one;
    damaged[12] = static_cast<char>(damaged[12] ^ 0x55);
    t::write_bytes(path, damaged);
    CHECK_THAT(read_all(path, chunk).second, Catch::Contains("gzip stream is damaged"));
  }
  std::filesystem::remove(path);
}
