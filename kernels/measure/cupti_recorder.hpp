#pragma once
//! CUPTI Activity-API recorder: kernels, memcpy, memset, runtime calls and contexts (with the
//! green-context flag and SM count of CUDA 13's CUpti_ActivityContext3), tagged per measurement.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hopsim::measure {

struct KernelRecord {
  std::string name;
  std::uint64_t start = 0, end = 0;
  std::uint32_t device = 0, context = 0, stream = 0, correlation = 0;
  int grid[3] = {0, 0, 0};
  int block[3] = {0, 0, 0};
  int registers = 0;
  int shared_bytes = 0;
};
struct CopyRecord {
  bool is_memset = false;
  int kind = 0;
  std::uint64_t bytes = 0, start = 0, end = 0;
  std::uint32_t device = 0, context = 0, stream = 0, correlation = 0;
};
struct ApiRecord {
  int cbid = 0;
  std::uint64_t start = 0, end = 0;
  std::uint32_t process = 0, thread = 0, correlation = 0;
};
struct ContextRecord {
  std::uint32_t context = 0, device = 0, parent = 0;
  bool green = false;
  int sms = 0;
};

//! Everything recorded between start() and stop().
struct Recording {
  std::vector<KernelRecord> kernels;
  std::vector<CopyRecord> copies;
  std::vector<ApiRecord> api;
  std::map<std::uint32_t, ContextRecord> contexts;
  std::map<std::uint32_t, std::uint64_t> external_id;  //!< correlation id -> our tag
};

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
