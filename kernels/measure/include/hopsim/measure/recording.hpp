#pragma once
//! What the CUPTI recorder hands back: plain records, no CUDA types, so the code that turns a
//! recording into trace files is built and tested on machines without CUDA.

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

}  // namespace hopsim::measure
