#include "hopsim/sim/engine/engine.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace hopsim::sim {

void Engine::schedule_at(Nanoseconds t, Callback cb) {
  if (t < now_) {
    throw std::logic_error("Engine::schedule_at: time " + std::to_string(t.value()) +
                           " ns is before now (" + std::to_string(now_.value()) + " ns)");
  }
  const auto time = static_cast<std::uint64_t>(t.value());
  buckets_[bucket_of(time, last_)].push_back(Event{t.value(), next_seq_++, cb});
  ++pending_;
}

bool Engine::settle() {
  auto& zero = buckets_[0];
  if (head_ < zero.size()) return true;
  zero.clear();
  head_ = 0;
  if (pending_ == 0) return false;
  std::size_t b = 1;
  while (buckets_[b].empty()) ++b;
  // The earliest events are all in the first non-empty bucket: redistribute it around its
  // minimum. Events of later buckets keep their bucket (they differ from the new minimum in
  // the same bit as from the old).
  auto& from = buckets_[b];
  std::uint64_t least = static_cast<std::uint64_t>(from.front().time);
  for (const Event& e : from) least = std::min(least, static_cast<std::uint64_t>(e.time));
  last_ = least;
  for (const Event& e : from)
    buckets_[bucket_of(static_cast<std::uint64_t>(e.time), last_)].push_back(e);
  from.clear();
  // Ties keep insertion order without sorting: every pending event sits in the bucket its time
  // gives relative to `last_`, so events of one time always share a bucket, arrive there in
  // the order they were scheduled (or moved, in order, from one bucket together), and leave it
  // together. Engine tests check the order on a random mix of ties.
  return true;
}

bool Engine::step() {
  if (!settle()) return false;
  // A copy: the callback may schedule events into bucket 0 and move its storage.
  Event ev = buckets_[0][head_++];
  --pending_;
  now_ = Nanoseconds(ev.time);
  ++processed_;
  if (start_hooks_.empty() && end_hooks_.empty()) {
    ev.cb();
    return true;
  }
  const EventInfo info{now_, ev.seq};
  for (const auto& h : start_hooks_) h(info);
  ev.cb();
  for (const auto& h : end_hooks_) h(info);
  return true;
}

void Engine::run() {
  while (step()) {
  }
}

void Engine::run_until(Nanoseconds t) {
  while (settle() && buckets_[0][head_].time <= t.value()) step();
  if (now_ < t) now_ = t;
}

}  // namespace hopsim::sim
