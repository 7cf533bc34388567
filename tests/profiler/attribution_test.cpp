// Tests for profiler/src/attribute/attribution.cpp on small traces worked by hand; the real
// Kineto traces are checked against the independent script in summary_test.cpp.

#include "hopsim/profiler/attribute/attribution.hpp"

#include <catch2/catch.hpp>

#include "hopsim/profiler/trace/trace_sink.hpp"
#include "trace_test_util.hpp"

namespace at = hopsim::profiler::attribute;
namespace tr = hopsim::profiler::trace;
namespace t = hopsim::profiler::test;
using hopsim::Nanoseconds;

namespace {

struct Builder {
  tr::CollectingSink sink;
  std::int64_t corr = 0;

  void range(const char* name, std::int64_t tid, std::int64_t start, std::int64_t end) {
    sink.add_annotation(t::host_range(name, tid, Nanoseconds(start), Nanoseconds(end)));
  }
  // A kernel of `dur` ns on stream 7 at `gpu_at`, launched by thread `tid` at `launch_at`
  // (no launch when launch_at < 0).
  void kernel(std::int64_t tid, std::int64_t launch_at, std::int64_t gpu_at, std::int64_t dur) {
    tr::GpuActivity k;
    k.device = 0;
    k.stream = 7;
    k.start = Nanoseconds(gpu_at);
    k.end = Nanoseconds(gpu_at + dur);
    k.name = "k";
    if (launch_at >= 0) {
      sink.add_runtime(
          t::launch_call(tid, Nanoseconds(launch_at), Nanoseconds(launch_at + 5), ++corr));
      k.correlation = corr;
    }
    sink.add_activity(k);
  }
};

}  // namespace

TEST_CASE("attribution: innermost range of the launching thread, else of the process",
          "[profiler][attribute]") {
  Builder b;
  b.range("ProfilerStep#1", 1, 0, 10'000);  // steps never count as phases
  b.range("forward", 1, 100, 4'000);
  b.range("attn", 1, 200, 1'000);        // nested in forward
  b.range("backward", 1, 5'000, 9'000);  // the main thread waits here...
  b.kernel(1, 300, 2'000, 100);          // 0: attn (innermost of forward/attn)
  b.kernel(1, 1'000, 2'200, 50);         // 1: forward (attn ends at 1000: half-open)
  b.kernel(3, 5'500, 6'100, 400);        // 2: ...while thread 3 launches: backward
  b.kernel(1, 9'500, 9'600, 10);         // 3: inside the step only: none
  b.kernel(1, -1, 9'700, 10);            // 4: no launch
  b.range("opt", 2, 5'900, 6'500);       // thread 2's own range, inside thread 1's backward
  b.kernel(2, 6'200, 6'600, 100);        // 5: opt (same thread)
  b.kernel(3, 6'300, 6'800, 100);        // 6: thread 3 again: the latest-starting open range
  const auto t = b.sink.finish();
  const auto a = at::attribute(t);
  auto name = [&](std::size_t i) {
    return a.annotation_of[i] < 0 ? std::string("-")
                                  : std::string(t.annotations[a.annotation_of[i]].name);
  };
  CHECK(name(0) == "attn");
  CHECK(name(1) == "forward");
  CHECK(name(2) == "backward");
  CHECK(a.match[2] == at::Match::kOtherThread);
  CHECK(a.match[3] == at::Match::kNone);
  CHECK(a.match[4] == at::Match::kNoLaunch);
  CHECK(name(5) == "opt");
  CHECK(a.match[5] == at::Match::kSameThread);
  CHECK(name(6) == "opt");
  CHECK(a.match[6] == at::Match::kOtherThread);
  CHECK(a.annotations == 4);  // ProfilerStep#1 is not a phase
  CHECK(a.same_thread == 3);
  CHECK(a.other_thread == 2);
  CHECK(a.unattributed == 1);
  CHECK(a.no_launch == 1);

  // Per name and stream: attn 100, backward 400, forward 50, opt 200 (two kernels, one range).
  const auto times = at::annotation_times(t, a);
  REQUIRE(times.size() == 4);
  CHECK(times[0].name == "attn");
  CHECK(times[3].name == "opt");
  CHECK(times[3].total.value() == 200);
  CHECK(times[3].busy.value() == 200);
  CHECK(times[3].activities == 2);
  CHECK(times[3].repetitions == 1);
}
