#pragma once
//! SM partitions through CUDA green contexts (driver API, CUDA 12.4+): a partition is a green
//! context holding a set of SMs and a stream in it; the whole GPU is the primary context.

#include <cuda.h>

#include <memory>
#include <utility>

namespace hopsim::measure {

//! A stream whose kernels run only on `sms` SMs. Destroys its green context when dropped.
class Partition {
 public:
  //! `primary_of` is the device whose primary context this holds (released on destruction);
  //! -1 for a green context.
  Partition(CUgreenCtx g, CUcontext ctx, CUstream s, int sms, CUdevice primary_of = -1)
      : green_(g), ctx_(ctx), stream_(s), sms_(sms), primary_of_(primary_of) {}
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;
  [[nodiscard]] CUstream stream() const { return stream_; }
  [[nodiscard]] int sms() const { return sms_; }
  [[nodiscard]] bool green() const { return green_ != nullptr; }
  //! Makes this partition's context current (runtime launches then go to it).
  void make_current() const;

 private:
  CUgreenCtx green_;
  CUcontext ctx_;
  CUstream stream_;
  int sms_;
  CUdevice primary_of_;
};

class Partitioner {
 public:
  explicit Partitioner(CUdevice dev);
  [[nodiscard]] int total_sms() const { return total_sms_; }
  //! A partition of at least `sms` SMs (rounded up by the hardware's granularity; the actual
  //! count is Partition::sms()). `sms` >= total gives the primary context on the whole GPU.
  [[nodiscard]] std::unique_ptr<Partition> alone(int sms) const;
  //! Two disjoint partitions: one of about `copy_sms` SMs and one with the rest. Both split
  //! orders are tried and the one whose copy side is closest to `copy_sms` is kept (on H100,
  //! splits come in multiples of 8, so 20 is reached as 132 - 112).
  [[nodiscard]] std::pair<std::unique_ptr<Partition>, std::unique_ptr<Partition>> pair(
      int copy_sms) const;

 private:
  [[nodiscard]] std::unique_ptr<Partition> from_resource(CUdevResource r) const;
  CUdevice dev_;
  CUdevResource whole_{};
  int total_sms_ = 0;
};

}  // namespace hopsim::measure
