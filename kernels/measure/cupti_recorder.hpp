#pragma once
//! CUPTI Activity-API recorder: kernels, memcpy, memset, runtime calls and contexts (with the
//! green-context flag and SM count of CUDA 13's CUpti_ActivityContext3), tagged per measurement.

#include <cstdint>

#include "hopsim/measure/recording.hpp"

namespace hopsim::measure {

//! One per process: CUPTI's buffer callbacks carry no user pointer, so the recorder registers
//! itself in a single slot while active (the one place hopsim-measure keeps global state).
class CuptiRecorder {
 public:
  CuptiRecorder();
  ~CuptiRecorder();
  CuptiRecorder(const CuptiRecorder&) = delete;
  CuptiRecorder& operator=(const CuptiRecorder&) = delete;

  //! Tags every API call made until pop_tag() (CUPTI external correlation, kind CUSTOM0).
  static void push_tag(std::uint64_t tag);
  static void pop_tag();
  //! Flushes all buffers and returns what was recorded.
  Recording finish();

  //! Internal: called from the buffer-completed callback.
  void consume(std::uint8_t* buffer, std::size_t valid);

 private:
  Recording rec_;
  bool finished_ = false;
};

}  // namespace hopsim::measure
