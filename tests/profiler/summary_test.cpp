// Tests for profiler/src/summary/summary.cpp: a hand-computed case (the synthetic nsys fixture)
// and the real Kineto traces against tests/data/traces/expected_summary.json, which
// compute_expected.py produced independently (Python json/gzip only).

#include "hopsim/profiler/summary/summary.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hopsim/profiler/import/import.hpp"
#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/import/nsys.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "trace_test_util.hpp"

namespace sm = hopsim::profiler::summary;
namespace tr = hopsim::profiler::trace;
namespace t = hopsim::profiler::test;
using hopsim::profiler::classify::KernelClassifier;

TEST_CASE("percentile and interval union follow their definitions", "[summary]") {
  CHECK(sm::percentile({1, 2}, 0.5) == Approx(1.5));
  CHECK(sm::percentile({10, 20, 30, 40, 50}, 0.95) == Approx(48.0));  // 40 + 0.8 * 10
  CHECK(sm::percentile({}, 0.5) == 0);
  CHECK(sm::union_length({{0, 10}, {5, 15}, {20, 25}, {25, 26}, {3, 3}}).value() == 21);
}

TEST_CASE("summary of the synthetic nsys trace matches hand arithmetic", "[summary]") {
  t::TempDir dir;
  const auto db = t::make_synthetic_nsys(dir);
  tr::CollectingSink sink;
  (void)hopsim::profiler::import::import_nsys(db, sink);
  const auto trace = sink.finish();
  const auto s = sm::summarize(trace, KernelClassifier::shipped());
  CHECK(s.kernels == 4);
  // Comm kernels [4000,9000] and [14000,16000]: 7000 ns. Compute [2000,6000] and
  // [12000,15000] overlap them for 2000 + 1000 ns.
  CHECK(s.overlap.comm.value() == 7000);
  CHECK(s.overlap.compute.value() == 7000);
  CHECK(s.overlap.overlapped.value() == 3000);
  CHECK(s.overlap.exposed.value() == 4000);
  CHECK(s.overlap.fraction == Approx(3.0 / 7.0));
  // Stream 7: 4000 + 3000 + 500 (memcpy) + 100 (memset); stream 20: 5000 + 2000.
  REQUIRE(s.streams.size() == 2);
  CHECK(s.streams[0].busy.value() == 7600);
  CHECK(s.streams[1].busy.value() == 7000);
  // Step 0 [1000, 10000) launches the GEMM and the first NCCL kernel (4000 + 5000 ns); step 1
  // launches attention, NCCL and the memcpy (3000 + 2000 + 500). The memset has no launch row.
  REQUIRE(s.steps.size() == 2);
  CHECK(s.steps[0].duration.value() == 9000);
  CHECK(s.steps[0].gpu_time.value() == 9000);
  CHECK(s.steps[0].comm_time.value() == 5000);
  CHECK(s.steps[1].gpu_time.value() == 5500);
  CHECK(s.steps[1].comm_time.value() == 2000);
  CHECK(s.step_time.mean_ns == Approx(14500));
  CHECK(s.step_time.p95_ns == Approx(9000 + 0.95 * 11000));
  // Classes: nccl 7000, bf16 GEMM 4000, attention 3000, memcpy 500, memset 100 of 14600 ns.
  REQUIRE(s.classes.size() == 5);
  CHECK(s.classes[0].klass == "nccl_comm");
  CHECK(s.classes[0].share == Approx(7000.0 / 14600.0));
  CHECK(s.classes[1].klass == "bf16_gemm");
  CHECK(s.classes[2].klass == "attention_fwd");
  CHECK(s.unknown_kernels.empty());
  CHECK_FALSE(sm::to_json(s).empty());
}

TEST_CASE("stream roles: a cast on the communication stream is communication", "[summary]") {
  // Stream 9 runs DeepEP's dispatch (2000 ns) and the FP8 cast that feeds it (500 ns): 80%
  // communication, so it is a communication stream and the cast, overlapping the GEMM on stream 7,
  // counts as communication. An NCCL kernel on the compute stream stays communication.
  tr::CollectingSink sink;
  auto kernel = [&](const char* name, std::int64_t start, std::int64_t end, std::int64_t stream) {
    tr::GpuActivity a;
    a.device = 0;
    a.stream = stream;
    a.start = hopsim::Nanoseconds(start);
    a.end = hopsim::Nanoseconds(end);
    a.name = name;
    sink.add_activity(a);
  };
  kernel("deep_gemm::fp8_gemm_kernel", 0, 3000, 7);
  kernel("per_token_cast_to_fp8_with_channels", 1000, 1500, 9);
  kernel("dpsk::ep::internode::dispatch", 1500, 3500, 9);
  kernel("ncclDevKernel_AllReduce_Sum_f32_RING_LL", 4000, 5000, 7);
  const auto trace = sink.finish();
  const auto s = sm::summarize(trace, KernelClassifier::shipped());
  REQUIRE(s.streams.size() == 2);
  CHECK(s.streams[0].role == sm::StreamRole::kCompute);
  CHECK(s.streams[0].comm_share == Approx(1000.0 / 4000.0));
  CHECK(s.streams[1].role == sm::StreamRole::kCommunication);
  CHECK(s.streams[1].comm_share == Approx(2000.0 / 2500.0));
  // Communication [1000, 3500) and [4000, 5000): 3500 ns; compute [0, 3000): overlapped 2000.
  CHECK(s.overlap.comm.value() == 3500);
  CHECK(s.overlap.compute.value() == 3000);
  CHECK(s.overlap.overlapped.value() == 2000);
  CHECK(s.overlap.exposed.value() == 1500);

  // Set by the user: stream 9 as compute leaves only the class-decided communication.
  sm::SummaryOptions opt;
  opt.roles.insert(sm::parse_stream_role("0:9=compute"));
  const auto set = sm::summarize(trace, KernelClassifier::shipped(), opt);
  CHECK(set.streams[1].role == sm::StreamRole::kCompute);
  CHECK(set.streams[1].role_overridden);
  // Communication [1500, 3500) and [4000, 5000): 3000 ns; compute [0, 3000) and [1000, 1500).
  CHECK(set.overlap.comm.value() == 3000);
  CHECK(set.overlap.overlapped.value() == 1500);
  CHECK_THROWS_WITH(sm::parse_stream_role("0:9"), Catch::Contains("DEVICE:STREAM=comm"));
  CHECK_THROWS_WITH(sm::parse_stream_role("a:9=comm"), Catch::Contains("DEVICE:STREAM=comm"));
  CHECK_THROWS_WITH(sm::parse_stream_role("0:9=network"), Catch::Contains("DEVICE:STREAM=comm"));
}

TEST_CASE("summaries of real Kineto traces match the independent script", "[summary]") {
  const auto expected =
      nlohmann::json::parse(t::read_text(t::data_dir() / "expected_summary.json"));
  const auto classifier = KernelClassifier::shipped();
  for (const std::string name : {"a100-2rank-nccl", "v100-1rank-training", "a100-alexnet-small"}) {
    SECTION(name) {
      // Through the SQLite file, as `hopsim import` + `hopsim trace summary` do.
      t::TempDir dir;
      (void)hopsim::profiler::import::import_trace(t::data_dir() / "kineto" / (name + ".json.gz"),
                                                   dir / "t.sqlite");
      const auto trace = tr::load_trace(dir / "t.sqlite");
      const auto s = sm::summarize(trace, classifier);
      const auto& e = expected.at(name);
      CHECK(s.kernels == e.at("kernels").get<std::int64_t>());
      CHECK(s.activity_time.value() == e.at("activity_time_ns").get<std::int64_t>());
      CHECK(s.gpu_span.value() == e.at("gpu_span_ns").get<std::int64_t>());
      CHECK(s.overlap.comm.value() == e.at("comm_ns").get<std::int64_t>());
      CHECK(s.overlap.overlapped.value() == e.at("overlapped_ns").get<std::int64_t>());
      CHECK(s.overlap.exposed.value() == e.at("exposed_comm_ns").get<std::int64_t>());
      REQUIRE(s.streams.size() == e.at("streams").size());
      for (std::size_t i = 0; i < s.streams.size(); ++i) {
        CHECK(s.streams[i].device == e["streams"][i].at("device").get<std::int64_t>());
        CHECK(s.streams[i].stream == e["streams"][i].at("stream").get<std::int64_t>());
        CHECK(s.streams[i].busy.value() == e["streams"][i].at("busy_ns").get<std::int64_t>());
        CHECK(std::string(sm::to_string(s.streams[i].role)) ==
              e["streams"][i].at("role").get<std::string>());
        // HTA-style idle breakdown between the stream's consecutive activities.
        CHECK(s.streams[i].idle_host_wait.value() ==
              e["streams"][i].at("idle_host_wait_ns").get<std::int64_t>());
        CHECK(s.streams[i].idle_kernel_wait.value() ==
              e["streams"][i].at("idle_kernel_wait_ns").get<std::int64_t>());
        CHECK(s.streams[i].idle_other.value() ==
              e["streams"][i].at("idle_other_ns").get<std::int64_t>());
      }
      REQUIRE_FALSE(s.top_kernels.empty());
      CHECK(s.top_kernels[0].name == e.at("top_kernel").at("name").get<std::string>());
      CHECK(s.top_kernels[0].total.value() ==
            e.at("top_kernel").at("total_ns").get<std::int64_t>());
      REQUIRE(s.steps.size() == e.at("steps").size());
      for (std::size_t i = 0; i < s.steps.size(); ++i) {
        const auto& es = e["steps"][i];
        CHECK(s.steps[i].name == es.at("name").get<std::string>());
        CHECK(s.steps[i].duration.value() == es.at("duration_ns").get<std::int64_t>());
        CHECK(s.steps[i].gpu_time.value() == es.at("gpu_time_ns").get<std::int64_t>());
        CHECK(s.steps[i].activities == es.at("activities").get<std::int64_t>());
        CHECK(s.steps[i].gpu_span.value() == es.at("gpu_span_ns").get<std::int64_t>());
      }
      CHECK(s.active_devices == e.at("active_devices").get<std::vector<std::int64_t>>());
      // Per-annotation attribution, against the script's brute-force scan.
      const auto& ea = e.at("annotations");
      REQUIRE(s.annotations.size() == ea.size());
      for (std::size_t i = 0; i < ea.size(); ++i) {
        CHECK(s.annotations[i].name == ea[i].at("name").get<std::string>());
        CHECK(s.annotations[i].device == ea[i].at("device").get<std::int64_t>());
        CHECK(s.annotations[i].stream == ea[i].at("stream").get<std::int64_t>());
        CHECK(s.annotations[i].activities == ea[i].at("activities").get<std::int64_t>());
        CHECK(s.annotations[i].total.value() == ea[i].at("total_ns").get<std::int64_t>());
      }
      // Per-device time, launch delays and queue depth (HTA-style), against the script.
      const auto& edt = e.at("device_time");
      REQUIRE(s.device_time.size() == edt.size());
      for (std::size_t i = 0; i < edt.size(); ++i) {
        const auto& d = s.device_time[i];
        const auto& x = edt[i];
        CHECK(d.device == x.at("device").get<std::int64_t>());
        CHECK(d.span.value() == x.at("span_ns").get<std::int64_t>());
        CHECK(d.compute.value() == x.at("compute_ns").get<std::int64_t>());
        CHECK(d.non_compute.value() == x.at("non_compute_ns").get<std::int64_t>());
        CHECK(d.idle.value() == x.at("idle_ns").get<std::int64_t>());
        CHECK(d.launches == x.at("launches").get<std::int64_t>());
        CHECK(d.launch_delay.p50_ns == Approx(x.at("launch_delay_p50_ns").get<double>()));
        CHECK(d.launch_delay.p95_ns == Approx(x.at("launch_delay_p95_ns").get<double>()));
        CHECK(d.short_kernels == x.at("short_kernels").get<std::int64_t>());
        CHECK(d.max_queue == x.at("max_queue").get<std::int64_t>());
        CHECK(d.mean_queue == Approx(x.at("mean_queue").get<double>()));
        const auto bins = x.at("queue_over_time").get<std::vector<double>>();
        REQUIRE(d.queue_over_time.size() == bins.size());
        for (std::size_t b = 0; b < bins.size(); ++b) {
          CHECK(d.queue_over_time[b] == Approx(bins[b]).margin(1e-9));
        }
        // The GPU's own launch gaps: kernels already queued when the activity before them on
        // their stream ended.
        CHECK(d.queued_gap.count == x.at("queued_gaps").get<std::int64_t>());
        CHECK(d.queued_gap.p50_ns == Approx(x.at("queued_gap_p50_ns").get<double>()));
        CHECK(d.queued_gap_total.value() == x.at("queued_gap_total_ns").get<std::int64_t>());
        CHECK(d.compute_queued_gap.count == x.at("compute_queued_gaps").get<std::int64_t>());
        CHECK(d.compute_queued_gap.p50_ns ==
              Approx(x.at("compute_queued_gap_p50_ns").get<double>()));
        CHECK(d.compute_queued_gap_total.value() ==
              x.at("compute_queued_gap_total_ns").get<std::int64_t>());
      }
      CHECK(s.step_compute_queued_gap_total.value() ==
            e.at("step_compute_queued_gap_total_ns").get<std::int64_t>());
      const auto& how = e.at("attribution");
      CHECK(s.attributed_same_thread == how.at("same_thread").get<std::int64_t>());
      CHECK(s.attributed_other_thread == how.at("other_thread").get<std::int64_t>());
      CHECK(s.unattributed == how.at("none").get<std::int64_t>());
      CHECK(s.without_launch == how.at("no_launch").get<std::int64_t>());
      CHECK(s.devices.size() == e.at("listed_devices").get<std::size_t>());
      CHECK(s.step_time.mean_ns == Approx(e["step_time"]["mean_ns"].get<double>()));
      CHECK(s.step_time.p50_ns == Approx(e["step_time"]["p50_ns"].get<double>()));
      CHECK(s.step_time.p95_ns == Approx(e["step_time"]["p95_ns"].get<double>()));
    }
  }
}
