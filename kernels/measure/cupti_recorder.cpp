#include "cupti_recorder.hpp"

#include <cupti.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

namespace hopsim::measure {

namespace {

CuptiRecorder* g_active = nullptr;  // see the class comment: CUPTI callbacks carry no context
std::mutex g_mutex;

constexpr std::size_t kBufferBytes = 8U << 20;
constexpr std::size_t kAlign = 8;

void check(CUptiResult r, const char* what) {
  if (r == CUPTI_SUCCESS) return;
  const char* s = nullptr;
  cuptiGetResultString(r, &s);
  throw std::runtime_error(std::string("CUPTI: ") + what + ": " + (s != nullptr ? s : "?"));
}

void CUPTIAPI buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  *buffer = static_cast<std::uint8_t*>(std::aligned_alloc(kAlign, kBufferBytes));
  *size = kBufferBytes;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext /*ctx*/, std::uint32_t /*stream*/, std::uint8_t* buffer,
                               std::size_t /*size*/, std::size_t valid) {
  {
    const std::lock_guard<std::mutex> lock(g_mutex);
    if (g_active != nullptr) g_active->consume(buffer, valid);
  }
  std::free(buffer);
}

}  // namespace

CuptiRecorder::CuptiRecorder() {
  {
    const std::lock_guard<std::mutex> lock(g_mutex);
    if (g_active != nullptr) throw std::logic_error("only one CuptiRecorder may be active");
    g_active = this;
  }
  check(cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed), "register callbacks");
  // CONTEXT first so that context records (green flag, SM count) precede their kernels.
  // DRIVER is enabled (records dropped) because libraries such as cuBLASLt launch through the
  // driver API, and external correlation ids reach kernels only through an enabled API kind.
  for (const auto kind :
       {CUPTI_ACTIVITY_KIND_CONTEXT, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
        CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMSET, CUPTI_ACTIVITY_KIND_RUNTIME,
        CUPTI_ACTIVITY_KIND_DRIVER, CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION})
    check(cuptiActivityEnable(kind), "enable activity kind");
}

CuptiRecorder::~CuptiRecorder() {
  if (!finished_) {
    try {
      (void)finish();
    } catch (...) {  // NOLINT(bugprone-empty-catch): destructors must not throw
    }
  }
  const std::lock_guard<std::mutex> lock(g_mutex);
  g_active = nullptr;
}

void CuptiRecorder::push_tag(std::uint64_t tag) {
  check(cuptiActivityPushExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, tag),
        "push tag");
}

void CuptiRecorder::pop_tag() {
  std::uint64_t last = 0;
  check(cuptiActivityPopExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, &last),
        "pop tag");
}

Recording CuptiRecorder::finish() {
  check(cuptiActivityFlushAll(1), "flush");
  finished_ = true;
  for (const auto kind :
       {CUPTI_ACTIVITY_KIND_CONTEXT, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
        CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMSET, CUPTI_ACTIVITY_KIND_RUNTIME,
        CUPTI_ACTIVITY_KIND_DRIVER, CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION})
    cuptiActivityDisable(kind);
  const std::lock_guard<std::mutex> lock(g_mutex);
  return rec_;
}

void CuptiRecorder::consume(std::uint8_t* buffer, std::size_t valid) {
  CUpti_Activity* rec = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &rec) == CUPTI_SUCCESS) {
    switch (rec->kind) {
      case CUPTI_ACTIVITY_KIND_KERNEL:
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(rec);
        KernelRecord r;
        r.name = k->name != nullptr ? k->name : "";
        r.start = k->start;
        r.end = k->end;
        r.device = k->deviceId;
        r.context = k->contextId;
        r.stream = k->streamId;
        r.correlation = k->correlationId;
        r.grid[0] = k->gridX;
        r.grid[1] = k->gridY;
        r.grid[2] = k->gridZ;
        r.block[0] = k->blockX;
        r.block[1] = k->blockY;
        r.block[2] = k->blockZ;
        r.registers = k->registersPerThread;
        r.shared_bytes = k->staticSharedMemory + k->dynamicSharedMemory;
        rec_.kernels.push_back(r);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(rec);
        rec_.copies.push_back(CopyRecord{false, m->copyKind, m->bytes, m->start, m->end,
                                         m->deviceId, m->contextId, m->streamId, m->correlationId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(rec);
        rec_.copies.push_back(CopyRecord{true, 0, m->bytes, m->start, m->end, m->deviceId,
                                         m->contextId, m->streamId, m->correlationId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_RUNTIME: {
        const auto* a = reinterpret_cast<const CUpti_ActivityAPI*>(rec);
        rec_.api.push_back(ApiRecord{static_cast<int>(a->cbid), a->start, a->end, a->processId,
                                     a->threadId, a->correlationId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_CONTEXT: {
        const auto* c = reinterpret_cast<const CUpti_ActivityContext3*>(rec);
        rec_.contexts[c->contextId] =
            ContextRecord{c->contextId, c->deviceId, c->parentContextId, c->isGreenContext != 0,
                          c->isGreenContext != 0 ? c->numMultiprocessors : 0};
        break;
      }
      case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
        const auto* e = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(rec);
        rec_.external_id[e->correlationId] = e->externalId;
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace hopsim::measure
