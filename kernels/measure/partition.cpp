#include "partition.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace hopsim::measure {

namespace {
void check(CUresult r, const char* what) {
  if (r == CUDA_SUCCESS) return;
  const char* s = nullptr;
  cuGetErrorString(r, &s);
  throw std::runtime_error(std::string("CUDA driver: ") + what + ": " + (s != nullptr ? s : "?"));
}
}  // namespace

Partition::~Partition() {
  cuStreamDestroy(stream_);
  if (green_ != nullptr) cuGreenCtxDestroy(green_);
  if (primary_of_ >= 0) cuDevicePrimaryCtxRelease(primary_of_);
}

void Partition::make_current() const {
  check(cuCtxSetCurrent(ctx_), "cuCtxSetCurrent");
}

Partitioner::Partitioner(CUdevice dev) : dev_(dev) {
  check(cuDeviceGetDevResource(dev_, &whole_, CU_DEV_RESOURCE_TYPE_SM), "cuDeviceGetDevResource");
  total_sms_ = static_cast<int>(whole_.sm.smCount);
}

std::unique_ptr<Partition> Partitioner::from_resource(CUdevResource r) const {
  CUdevResourceDesc desc = nullptr;
  check(cuDevResourceGenerateDesc(&desc, &r, 1), "cuDevResourceGenerateDesc");
  CUgreenCtx g = nullptr;
  check(cuGreenCtxCreate(&g, desc, dev_, CU_GREEN_CTX_DEFAULT_STREAM), "cuGreenCtxCreate");
  CUcontext ctx = nullptr;
  check(cuCtxFromGreenCtx(&ctx, g), "cuCtxFromGreenCtx");
  CUstream s = nullptr;
  check(cuGreenCtxStreamCreate(&s, g, CU_STREAM_NON_BLOCKING, 0), "cuGreenCtxStreamCreate");
  return std::make_unique<Partition>(g, ctx, s, static_cast<int>(r.sm.smCount));
}

std::unique_ptr<Partition> Partitioner::alone(int sms) const {
  if (sms >= total_sms_) {
    CUcontext primary = nullptr;
    check(cuDevicePrimaryCtxRetain(&primary, dev_), "cuDevicePrimaryCtxRetain");
    CUstream s = nullptr;
    check(cuCtxSetCurrent(primary), "cuCtxSetCurrent");
    check(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    return std::make_unique<Partition>(nullptr, primary, s, total_sms_, dev_);
  }
  CUdevResource group{};
  CUdevResource rest{};
  unsigned int n = 1;
  check(cuDevSmResourceSplitByCount(&group, &n, &whole_, &rest, 0, static_cast<unsigned>(sms)),
        "cuDevSmResourceSplitByCount");
  if (n != 1)
    throw std::runtime_error("cannot make a partition of " + std::to_string(sms) + " SMs");
  return from_resource(group);
}

std::pair<std::unique_ptr<Partition>, std::unique_ptr<Partition>> Partitioner::pair(
    int copy_sms) const {
  // Order A: split the copy side first. Order B: split the compute side first.
  CUdevResource a_group{}, a_rest{}, b_group{}, b_rest{};
  unsigned int na = 1, nb = 1;
  const bool a_ok = cuDevSmResourceSplitByCount(&a_group, &na, &whole_, &a_rest, 0,
                                                static_cast<unsigned>(copy_sms)) == CUDA_SUCCESS &&
                    na == 1;
  const bool b_ok =
      copy_sms < total_sms_ &&
      cuDevSmResourceSplitByCount(&b_group, &nb, &whole_, &b_rest, 0,
                                  static_cast<unsigned>(total_sms_ - copy_sms)) == CUDA_SUCCESS &&
      nb == 1 && b_rest.sm.smCount > 0;
  if (!a_ok && !b_ok)
    throw std::runtime_error("cannot split off " + std::to_string(copy_sms) + " SMs");
  const int a_err = a_ok ? std::abs(static_cast<int>(a_group.sm.smCount) - copy_sms) : 1 << 20;
  const int b_err = b_ok ? std::abs(static_cast<int>(b_rest.sm.smCount) - copy_sms) : 1 << 20;
  if (a_err <= b_err) return {from_resource(a_group), from_resource(a_rest)};
  return {from_resource(b_rest), from_resource(b_group)};
}

}  // namespace hopsim::measure
