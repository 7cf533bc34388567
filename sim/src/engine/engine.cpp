#include "hopsim/sim/engine/engine.hpp"

#include <stdexcept>
#include <string>

namespace hopsim::sim {

// A hand-written binary heap: std::push_heap/pop_heap would work too, but sifting a hole
// instead of swapping moves each 48-byte event once per level.
void Engine::schedule_at(Nanoseconds t, Callback cb) {
  if (t < now_) {
    throw std::logic_error("Engine::schedule_at: time " + std::to_string(t.value()) +
                           " ns is before now (" + std::to_string(now_.value()) + " ns)");
  }
  Event ev{t.value(), next_seq_++, cb};
  std::size_t i = heap_.size();
  heap_.push_back(ev);
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!later(heap_[parent], ev)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = ev;
}

Engine::Event Engine::pop() {
  Event top = heap_.front();
  Event last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n > 0) {
    std::size_t i = 0;
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && later(heap_[child], heap_[child + 1])) ++child;
      if (!later(last, heap_[child])) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = last;
  }
  return top;
}

bool Engine::step() {
  if (heap_.empty()) return false;
  Event ev = pop();
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
  while (!heap_.empty() && heap_.front().time <= t.value()) step();
  if (now_ < t) now_ = t;
}

}  // namespace hopsim::sim
