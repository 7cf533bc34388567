#include "hopsim/core/trace/chrome_trace_writer.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace hopsim;

TEST_CASE("chrome trace: microsecond strings keep every nanosecond", "[core][trace]") {
  CHECK(ns_to_us_string(Nanoseconds(0)) == "0.000");
  CHECK(ns_to_us_string(Nanoseconds(1)) == "0.001");
  CHECK(ns_to_us_string(Nanoseconds(12'345)) == "12.345");
  CHECK(ns_to_us_string(Nanoseconds(-1'500)) == "-1.500");
  CHECK(ns_to_us_string(Nanoseconds(INT64_MIN)) == "-9223372036854775.808");
}

TEST_CASE("chrome trace: output is valid JSON with the events written", "[core][trace]") {
  std::ostringstream out;
  {
    ChromeTraceWriter w(out);
    w.process_name(0, "gpu \"0\"");
    w.thread_name(0, 1, "compute");
    w.complete(0, 1, "F\n0", "compute", Nanoseconds(1000), Nanoseconds(2'500), R"({"mb":3})");
    w.counter(0, "hbm", Nanoseconds(10), 0.5);
    CHECK(w.events_written() == 4);
  }
  const auto doc = nlohmann::json::parse(out.str());
  const auto& ev = doc.at("traceEvents");
  REQUIRE(ev.size() == 4);
  CHECK(ev[0]["args"]["name"] == "gpu \"0\"");
  CHECK(ev[2]["name"] == "F\n0");
  CHECK(ev[2]["ts"].get<double>() == Approx(1.0));
  CHECK(ev[2]["dur"].get<double>() == Approx(2.5));
  CHECK(ev[2]["args"]["mb"] == 3);
}
