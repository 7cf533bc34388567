#include "hopsim/sim/engine/engine.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "cluster_presets.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/sim/cost/sm_partition.hpp"
#include "hopsim/sim/engine/serial_resource.hpp"

using namespace hopsim;
using namespace hopsim::sim;

TEST_CASE("Engine runs events in time order, ties in insertion order", "[engine]") {
  Engine e;
  std::vector<int> order;
  auto* o = &order;
  e.schedule_at(ns(30), [o] { o->push_back(3); });
  e.schedule_at(ns(10), [o] { o->push_back(1); });
  e.schedule_at(ns(20), [o] { o->push_back(20); });
  e.schedule_at(ns(20), [o] { o->push_back(21); });
  e.schedule_at(ns(20), [o] { o->push_back(22); });
  e.run();
  CHECK(order == std::vector<int>{1, 20, 21, 22, 3});
  CHECK(e.now() == ns(30));
  CHECK(e.events_processed() == 5);
  CHECK(e.pending() == 0);
}

TEST_CASE("Engine: events scheduled from events, at now, keep FIFO order", "[engine]") {
  Engine e;
  std::vector<int> order;
  struct Ctx {
    Engine* e;
    std::vector<int>* o;
  } ctx{&e, &order};
  auto* c = &ctx;
  e.schedule_at(ns(5), [c] {
    c->o->push_back(1);
    c->e->schedule_at(c->e->now(), [c] { c->o->push_back(3); });
  });
  e.schedule_at(ns(5), [c] { c->o->push_back(2); });
  e.run();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("Engine: a random mix of events runs in (time, insertion) order", "[engine]") {
  // Oracle: the order is fully defined by each event's time and the order it was scheduled in,
  // so it is checked pair by pair as events run. Times span 1 ns to 2^40 ns so that the queue's
  // buckets (one per differing bit) all fill; a third of the events are scheduled at `now` or
  // at a time already pending, to make ties; events schedule more events as they run.
  struct Ran {
    std::int64_t time;
    std::uint64_t id;
  };
  struct World {
    Engine e;
    std::vector<Ran> ran;
    std::uint64_t next_id = 0;
    std::uint64_t rng = 0x9E3779B97F4A7C15ULL;
    std::vector<std::int64_t> used;
    std::uint64_t draw() {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      return rng;
    }
    void add() {
      const std::uint64_t r = draw();
      std::int64_t t = e.now().value();
      if (r % 3 == 1 && !used.empty()) {
        t = std::max(t, used[draw() % used.size()]);
      } else if (r % 3 == 2) {
        t += static_cast<std::int64_t>(draw() % (std::uint64_t{1} << (1 + draw() % 40)));
      }
      used.push_back(t);
      const std::uint64_t id = next_id++;
      World* w = this;
      e.schedule_at(Nanoseconds(t), [w, id] {
        w->ran.push_back(Ran{w->e.now().value(), id});
        if (w->next_id < 20000) {
          w->add();
          if (w->draw() % 2 == 0) w->add();
        }
      });
    }
  };
  World w;
  for (int i = 0; i < 64; ++i) w.add();
  w.e.run();
  REQUIRE(w.ran.size() == w.next_id);
  for (std::size_t i = 1; i < w.ran.size(); ++i) {
    const Ran& a = w.ran[i - 1];
    const Ran& b = w.ran[i];
    INFO("event " << i);
    REQUIRE(a.time <= b.time);
    if (a.time == b.time) REQUIRE(a.id < b.id);
  }
}

TEST_CASE("Engine rejects scheduling in the past", "[engine]") {
  Engine e;
  e.schedule_at(ns(100), [] {});
  e.run();
  CHECK_THROWS_AS(e.schedule_at(ns(99), [] {}), std::logic_error);
  CHECK_NOTHROW(e.schedule_after(ns(0), [] {}));
}

TEST_CASE("Engine::run_until stops at the horizon and step reports emptiness", "[engine]") {
  Engine e;
  int fired = 0;
  auto* f = &fired;
  for (int i = 1; i <= 5; ++i) e.schedule_at(ns(i * 10), [f] { ++*f; });
  e.run_until(ns(30));
  CHECK(fired == 3);
  CHECK(e.now() == ns(30));
  e.run_until(ns(35));
  CHECK(e.now() == ns(35));
  CHECK(e.step());
  CHECK(fired == 4);
  CHECK(e.step());
  CHECK_FALSE(e.step());
}

TEST_CASE("Engine observers are per instance and see every event", "[engine]") {
  Engine a;
  Engine b;
  std::vector<std::int64_t> starts;
  int ends = 0;
  a.add_event_start_hook([&](const EventInfo& i) { starts.push_back(i.time.value()); });
  a.add_event_end_hook([&](const EventInfo&) { ++ends; });
  a.schedule_at(ns(7), [] {});
  a.schedule_at(ns(3), [] {});
  b.schedule_at(ns(1), [] {});
  a.run();
  b.run();
  CHECK(starts == std::vector<std::int64_t>{3, 7});
  CHECK(ends == 2);  // b's event was not observed
}

TEST_CASE("SerialResource serves tasks one at a time in FIFO order", "[engine]") {
  Engine e;
  SerialResource stream(e, "gpu0.compute");
  std::vector<std::int64_t> done;
  auto* d = &done;
  auto* en = &e;
  CHECK(stream.submit(ns(100), [d, en] { d->push_back(en->now().value()); }) == ns(0));
  CHECK(stream.submit(ns(50), [d, en] { d->push_back(en->now().value()); }) == ns(100));
  e.run();
  // Idle gap from 150 to 200, then one more task.
  e.run_until(ns(200));
  CHECK(stream.submit(ns(100), [d, en] { d->push_back(en->now().value()); }) == ns(200));
  e.run();
  CHECK(done == std::vector<std::int64_t>{100, 150, 300});
  CHECK(stream.busy_time() == ns(250));
  CHECK(stream.tasks_submitted() == 3);
  // 250 busy of 300: 5/6; up to t = 250 only 200 of the busy time lies inside.
  CHECK(stream.utilisation(ns(300)) == Approx(250.0 / 300.0));
  CHECK(stream.utilisation(ns(250)) == Approx(200.0 / 250.0));
}

TEST_CASE("Comm SM curve saturates at 20 SMs (DeepEP / DeepSeek-V3 default)", "[engine][sm]") {
  // DeepSeek-V3 report §3.2.2, p.13: "only 20 SMs are sufficient to fully utilize the bandwidths
  // of IB and NVLink"; DeepEP V1 Buffer.num_sms default 20 (deep_ep/buffer.py @ebfe47e).
  const CommSmCurve linear;
  CHECK(comm_bandwidth_fraction(20, linear) == 1.0);
  CHECK(comm_bandwidth_fraction(24, linear) == 1.0);
  CHECK(comm_bandwidth_fraction(10, linear) == Approx(0.5));
  CHECK(comm_bandwidth_fraction(0, linear) == 0.0);
  CommSmCurve expo;
  expo.shape = CommSmCurve::Shape::kExponential;
  CHECK(comm_bandwidth_fraction(20, expo) == Approx(1.0));
  // (1 - e^{-10/6.68}) / (1 - e^{-20/6.68}) = 0.7763 / 0.9500
  CHECK(comm_bandwidth_fraction(10, expo) == Approx(0.7763 / 0.9500).epsilon(1e-3));
  CHECK(comm_bandwidth_fraction(10, expo) > comm_bandwidth_fraction(10, linear));
}

TEST_CASE("SM partitions: 112 + 20 of 132 works; too many SMs is an error naming comm_sms",
          "[engine][sm]") {
  const GpuProfile h800 = test::h800_gpu();
  CHECK_NOTHROW(validate_partition({112, 20}, h800));
  CHECK(compute_sm_fraction(112, 132) == Approx(112.0 / 132.0));
  CHECK_FALSE(partition_warning({112, 20}, h800).has_value());  // 112 = 14 x 8, 20 the remainder
  CHECK(partition_warning({113, 19}, h800).has_value());
  try {
    validate_partition({120, 20}, h800);
    FAIL("expected PlanError");
  } catch (const PlanError& e) {
    CHECK_THAT(e.what(), Catch::Contains("comm_sms"));
    CHECK_THAT(e.what(), Catch::Contains("132"));
  }
  CHECK_THROWS_AS(validate_partition({0, 140}, h800), PlanError);
  CHECK_THROWS_AS(compute_sm_fraction(133, 132), PlanError);
}
