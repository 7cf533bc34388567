#pragma once
//! Discrete-event engine: a clock in integer nanoseconds and a queue of small inline callbacks.
//! Events at equal times run in insertion order, so the same inputs give the same run.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <type_traits>
#include <vector>

#include "hopsim/core/units.hpp"

namespace hopsim::sim {

//! A callable stored inline, without heap allocation: any trivially copyable callable of up to
//! kCapacity bytes (e.g. a lambda capturing a pointer and two integers). Larger state belongs in
//! the model object the lambda points to.
class Callback {
 public:
  static constexpr std::size_t kCapacity = 24;

  Callback() = default;
  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> && std::is_trivially_copyable_v<F> &&
           sizeof(F) <= kCapacity && alignof(F) <= 8 && std::is_invocable_v<F&>) Callback(F f)
      : invoke_(&invoke_impl<F>) {  // NOLINT(google-explicit-constructor)
    ::new (static_cast<void*>(storage_)) F(f);
  }

  void operator()() { invoke_(storage_); }
  [[nodiscard]] explicit operator bool() const { return invoke_ != nullptr; }

 private:
  template <class F>
  static void invoke_impl(void* p) {
    (*std::launder(static_cast<F*>(p)))();
  }
  void (*invoke_)(void*) = nullptr;
  alignas(8) unsigned char storage_[kCapacity]{};
};

//! What observers are told about each event.
struct EventInfo {
  Nanoseconds time;
  std::uint64_t sequence = 0;  //!< insertion order; the tie-break at equal times
};

//! The event loop. Owns the clock and the queue; models (resources, network, schedules) live
//! around it and schedule callbacks. Observers attach per instance (no static state).
class Engine {
 public:
  using Hook = std::function<void(const EventInfo&)>;

  //! Runs `cb` at absolute time `t` (>= now(); earlier times are a bug in the caller).
  void schedule_at(Nanoseconds t, Callback cb);
  void schedule_after(Nanoseconds delay, Callback cb) { schedule_at(now_ + delay, cb); }

  [[nodiscard]] Nanoseconds now() const { return now_; }
  [[nodiscard]] std::uint64_t events_processed() const { return processed_; }
  [[nodiscard]] std::size_t pending() const { return pending_; }

  //! Runs the earliest event; false when the queue is empty.
  bool step();
  //! Runs until the queue is empty.
  void run();
  //! Runs every event with time <= `t`, then sets the clock to `t` (if it is later).
  void run_until(Nanoseconds t);

  void add_event_start_hook(Hook h) { start_hooks_.push_back(std::move(h)); }
  void add_event_end_hook(Hook h) { end_hooks_.push_back(std::move(h)); }

 private:
  struct Event {
    std::int64_t time;
    std::uint64_t seq;
    Callback cb;
  };
  // The queue is a radix heap (a monotone priority queue: no event is scheduled before the
  // last one run). Bucket b > 0 holds the events whose time first differs from the last run
  // time in bit b - 1, bucket 0 those at exactly that time, in insertion order. Scheduling is
  // an append; running moves each event down a few buckets in its life instead of sifting it
  // through a heap of every pending event (what made large full-mode runs slow).
  static constexpr std::size_t kBuckets = 65;
  static std::size_t bucket_of(std::uint64_t t, std::uint64_t last) {
    return t == last ? 0 : 64 - static_cast<std::size_t>(__builtin_clzll(t ^ last));
  }
  //! Makes bucket 0 hold the earliest events (if any are pending); false when none are.
  bool settle();

  std::array<std::vector<Event>, kBuckets> buckets_;
  std::size_t head_ = 0;    // next event of bucket 0 to run
  std::uint64_t last_ = 0;  // the time bucket indices are relative to
  std::size_t pending_ = 0;
  Nanoseconds now_{0};
  std::uint64_t next_seq_ = 0;
  std::uint64_t processed_ = 0;
  std::vector<Hook> start_hooks_;
  std::vector<Hook> end_hooks_;
};

}  // namespace hopsim::sim
