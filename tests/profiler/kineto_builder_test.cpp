// Tests for the Kineto importer's event builder (profiler/src/import/kineto_builder.cpp): parsed
// events, made by hand here, map by `ph` and `cat` onto the trace model, and what it refuses or
// skips is named as docs/TRACES.md says.

#include "kineto_builder.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using hopsim::profiler::import::KinetoEvent;
using hopsim::profiler::import::KinetoEventBuilder;
using hopsim::profiler::import::TraceFormat;
using hopsim::profiler::trace::ActivityKind;
using hopsim::profiler::trace::CollectingSink;
using hopsim::profiler::trace::RangeSource;

namespace {

KinetoEvent complete(const std::string& cat, const std::string& name = "n") {
  KinetoEvent ev;
  ev.reset(100);
  ev.ph = "X";
  ev.has_ph = true;
  ev.cat = cat;
  ev.has_cat = true;
  ev.name = name;
  ev.has_name = true;
  ev.ts = "10";
  ev.has_ts = true;
  ev.dur = "0.25";
  ev.has_dur = true;
  ev.pid = 4;
  ev.has_pid = true;
  ev.tid = 5;
  ev.has_tid = true;
  return ev;
}

}  // namespace

TEST_CASE("complete events go to the table their category names", "[kineto]") {
  struct Case {
    const char* cat;
    const char* table;  // "activity", "runtime", "driver", "annotation" or the skip reason
    int kind;           // ActivityKind or RangeSource, as int
  };
  // docs/TRACES.md, "Kineto JSON": the category names and their pre-2.0 spellings.
  const Case cases[] = {
      {"kernel", "activity", 0},
      {"Kernel", "activity", 0},
      {"gpu_memcpy", "activity", 1},
      {"Memcpy", "activity", 1},
      {"gpu_memset", "activity", 2},
      {"Memset", "activity", 2},
      {"cuda_runtime", "runtime", 0},
      {"Runtime", "runtime", 0},
      {"cuda_driver", "driver", 0},
      {"Driver", "driver", 0},
      {"user_annotation", "annotation", 0},
      {"gpu_user_annotation", "annotation", 1},
      {"cpu_op", "annotation", 2},
      {"Operator", "annotation", 2},
      {"cuda_sync", "cat=cuda_sync", 0},
      {"KERNEL", "cat=KERNEL", 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.cat);
    CollectingSink sink;
    KinetoEventBuilder b(sink);
    CHECK(b.add_event(complete(c.cat, "op")).empty());
    const auto tr = sink.finish();
    const std::string table = c.table;
    CHECK(tr.activities.size() == (table == "activity" ? 1U : 0U));
    CHECK(tr.runtime.size() == (table == "runtime" || table == "driver" ? 1U : 0U));
    CHECK(tr.annotations.size() == (table == "annotation" ? 1U : 0U));
    if (table == "activity") {
      const auto& a = tr.activities[0];
      CHECK(a.kind == static_cast<ActivityKind>(c.kind));
      CHECK(a.name == "op");
      CHECK(a.start.value() == 10000);
      CHECK(a.end.value() == 10250);
      CHECK(a.device == 4);  // no args.device: the pid
      CHECK(a.stream == 5);  // no args.stream: the tid
    } else if (table == "runtime" || table == "driver") {
      CHECK(tr.runtime[0].driver == (table == "driver"));
      CHECK(tr.runtime[0].pid == 4);
      CHECK(tr.runtime[0].end.value() == 10250);
    } else if (table == "annotation") {
      CHECK(tr.annotations[0].source == static_cast<RangeSource>(c.kind));
      CHECK(tr.annotations[0].tid == 5);
    } else {
      CHECK(b.stats().skipped == std::map<std::string, std::int64_t>{{table, 1}});
    }
    CHECK(b.stats().events == 1);
    CHECK(b.stats().format == TraceFormat::kKinetoJson);
  }
}

TEST_CASE("args.device and args.stream win over pid and tid", "[kineto]") {
  CollectingSink sink;
  KinetoEventBuilder b(sink);
  auto ev = complete("kernel");
  ev.device = 0;  // device 0 is a real device, not "unset"
  ev.has_device = true;
  ev.stream = 13;
  ev.has_stream = true;
  CHECK(b.add_event(ev).empty());
  const auto tr = sink.finish();
  REQUIRE(tr.activities.size() == 1);
  CHECK(tr.activities[0].device == 0);
  CHECK(tr.activities[0].stream == 13);
}

TEST_CASE("the builder names the event it refuses", "[kineto]") {
  CollectingSink sink;
  KinetoEventBuilder b(sink);
  CHECK(b.add_event(complete("kernel", "first")).empty());
  auto ev = complete("kernel", "second");
  ev.has_dur = false;
  CHECK(b.add_event(ev) == "event #2 ('second'): missing 'dur'");
  ev = complete("kernel", std::string(81, 'k'));
  ev.ts = "-1";
  CHECK(b.add_event(ev) == "event #3 ('" + std::string(80, 'k') + "...'): negative 'ts' -1");
  ev = complete("kernel");
  ev.dur = "1e300";
  CHECK(b.add_event(ev) == "event #4 ('n'): 'dur' 1e300 is out of range");
  ev = complete("kernel");
  ev.ts = "9223372036854775";  // 9223372036854775000 ns + 1000 ns overflows
  ev.dur = "1";
  CHECK(b.add_event(ev) == "event #5 ('n'): 'ts' + 'dur' overflows 64-bit nanoseconds");
  ev = complete("kernel");
  ev.has_ph = false;
  CHECK(b.add_event(ev) == "event #6 ('n'): missing 'ph'");
  ev = complete("kernel");
  ev.has_name = false;
  ev.name.clear();
  CHECK(b.add_event(ev) == "event #7 (''): missing 'name'");
  CHECK(b.stats().events == 7);
  CHECK(b.stats().kernels == 1);
}

TEST_CASE("flows, metadata and unknown phases are counted", "[kineto]") {
  CollectingSink sink;
  KinetoEventBuilder b(sink);
  auto flow = complete("fwdbwd");
  flow.ph = "s";
  flow.id = 9;
  flow.has_id = true;
  CHECK(b.add_event(flow).empty());
  flow.ph = "f";
  CHECK(b.add_event(flow).empty());
  flow.has_id = false;  // a string id cannot be joined
  CHECK(b.add_event(flow).empty());
  flow.has_id = true;
  flow.ts = "-2";
  CHECK(b.add_event(flow) == "event #4 ('n'): 'ts' -2 is out of range");
  auto meta = complete("");
  meta.ph = "M";
  CHECK(b.add_event(meta).empty());
  auto other = complete("kernel");
  other.ph = "counter_x_long";  // reasons keep 8 characters of the phase
  CHECK(b.add_event(other).empty());
  other.ph = "i";
  CHECK(b.add_event(other).empty());
  auto no_cat = complete("kernel");
  no_cat.has_cat = false;
  CHECK(b.add_event(no_cat).empty());
  auto long_cat = complete(std::string(41, 'c'));
  CHECK(b.add_event(long_cat).empty());

  const auto& st = b.stats();
  CHECK(st.flows == 2);
  CHECK(st.metadata == 1);
  CHECK(st.events == 9);
  CHECK(st.skipped == std::map<std::string, std::int64_t>{{"flow without integer id", 1},
                                                          {"ph=counter_", 1},
                                                          {"ph=i", 1},
                                                          {"X without cat", 1},
                                                          {"cat=" + std::string(40, 'c'), 1}});
  const auto tr = sink.finish();
  REQUIRE(tr.flows.size() == 2);
  CHECK(tr.flows[0].phase == 's');
  CHECK(tr.flows[1].phase == 'f');
  CHECK(tr.flows[0].id == 9);
  CHECK(tr.flows[0].ts.value() == 10000);
  CHECK(tr.flows[0].category == "fwdbwd");
  CHECK(tr.activities.empty());
}

TEST_CASE("devices and provenance pass through to the sink", "[kineto]") {
  CollectingSink sink;
  KinetoEventBuilder b(sink);
  hopsim::profiler::trace::DeviceInfo d;
  d.id = 3;
  d.name = "H100";
  b.add_device(d);
  b.set_info("rank", "2");
  CHECK(b.stats().devices == 1);
  const auto tr = sink.finish();
  REQUIRE(tr.devices.size() == 1);
  CHECK(tr.devices[0].name == "H100");
  CHECK(tr.provenance.at("rank") == "2");
}
