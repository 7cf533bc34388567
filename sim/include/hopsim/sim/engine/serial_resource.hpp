#pragma once
//! A FIFO server that runs one task at a time (a CUDA stream on an SM partition, a copy engine).
//! Tasks queue in submission order; busy time is accounted for utilisation reports.

#include <cstdint>
#include <string>

#include "hopsim/sim/engine/engine.hpp"

namespace hopsim::sim {

class SerialResource {
 public:
  SerialResource(Engine& engine, std::string name) : engine_(&engine), name_(std::move(name)) {}

  //! Queues a task of `duration`: it starts when every earlier task is done (or now, if idle)
  //! and `on_done` runs at its end. Returns the start time.
  Nanoseconds submit(Nanoseconds duration, Callback on_done = {});

  [[nodiscard]] const std::string& name() const { return name_; }
  //! When the last queued task ends (now() or earlier when idle).
  [[nodiscard]] Nanoseconds available_at() const { return available_at_; }
  [[nodiscard]] Nanoseconds busy_time() const { return busy_; }
  [[nodiscard]] std::uint64_t tasks_submitted() const { return tasks_; }
  //! Busy time over `horizon` (e.g. the makespan), counting only busy time inside [0, horizon].
  [[nodiscard]] double utilisation(Nanoseconds horizon) const;

 private:
  Engine* engine_;
  std::string name_;
  Nanoseconds available_at_{0};
  Nanoseconds busy_{0};
  std::uint64_t tasks_ = 0;
};

}  // namespace hopsim::sim
