#include "hopsim/sim/engine/serial_resource.hpp"

#include <algorithm>
#include <stdexcept>

namespace hopsim::sim {

Nanoseconds SerialResource::submit(Nanoseconds duration, Callback on_done) {
  if (duration < Nanoseconds(0)) {
    throw std::invalid_argument("SerialResource '" + name_ + "': negative task duration");
  }
  // Durations are known at submission, so the FIFO reduces to "start when the previous ends";
  // no queue of pending tasks is needed.
  const Nanoseconds start = std::max(engine_->now(), available_at_);
  available_at_ = start + duration;
  busy_ += duration;
  ++tasks_;
  if (on_done) engine_->schedule_at(available_at_, on_done);
  return start;
}

double SerialResource::utilisation(Nanoseconds horizon) const {
  if (horizon <= Nanoseconds(0)) return 0.0;
  // Tasks run back to back up to available_at_, so busy time beyond the horizon is the tail.
  const Nanoseconds beyond = std::max(Nanoseconds(0), available_at_ - horizon);
  const Nanoseconds inside = std::max(Nanoseconds(0), busy_ - beyond);
  return std::min(1.0, inside / horizon);
}

}  // namespace hopsim::sim
