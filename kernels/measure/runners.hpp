#pragma once
//! Turns a plan entry into a launchable benchmark: buffers allocated and filled once, then one
//! call of launch() enqueues one repeat of the kernel(s) on a stream.

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>

#include "hopsim/profiler/calibrate/measure_plan.hpp"

namespace hopsim::measure {

using profiler::calibrate::PlanEntry;

class Runner {
 public:
  virtual ~Runner() = default;
  //! Enqueues one repeat on `stream`; `sms` is the partition size (persistent kernels size their
  //! grid from it).
  virtual void launch(cudaStream_t stream, int sms) = 0;
  //! Free-form facts about how it ran (e.g. cuBLASLt scaling mode), stored with the shape.
  [[nodiscard]] virtual std::string note() const { return {}; }
  //! Whether it can run on a green-context partition (vendor libraries run on the whole GPU).
  [[nodiscard]] virtual bool partitionable() const { return true; }
};

//! Throws std::runtime_error on CUDA errors (with the entry's label).
[[nodiscard]] std::unique_ptr<Runner> make_runner(const PlanEntry& e);

}  // namespace hopsim::measure
