// hopsim-measure: runs a measurement plan on the local GPU under CUPTI, alone and concurrently on
// green-context SM partitions, and writes a trace SQLite for `hopsim calibrate`.
// Usage: hopsim-measure PLAN.yaml -o trace.sqlite [--only CLASS] [--dry-run]
// Only the GPU side lives here; the command line, the schedule and the trace files are
// hopsim_measure_core (CPU, tested without a GPU).

#include <cuda.h>
#include <cuda_runtime_api.h>

#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cupti_recorder.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/measure/options.hpp"
#include "hopsim/measure/schedule.hpp"
#include "hopsim/measure/trace_output.hpp"
#include "partition.hpp"
#include "runners.hpp"

namespace hm = hopsim::measure;

namespace {

void check_rt(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// Device 0, made current, and what the provenance records about it.
hm::DeviceFacts open_device() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0)
    throw std::runtime_error(
        "no CUDA device available (hopsim-measure needs an NVIDIA GPU and driver)");
  check_rt(cudaSetDevice(0), "cudaSetDevice");
  check_rt(cudaFree(nullptr), "context init");
  cudaDeviceProp prop{};
  check_rt(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  hm::DeviceFacts d;
  d.name = prop.name;
  d.sm_count = prop.multiProcessorCount;
  d.cc_major = prop.major;
  d.cc_minor = prop.minor;
  d.memory_bytes = static_cast<long long>(prop.totalGlobalMem);
  cudaDriverGetVersion(&d.driver_version);
  cudaRuntimeGetVersion(&d.runtime_version);
  d.toolkit_version = CUDA_VERSION;
  cudaDeviceGetAttribute(&d.sm_clock_khz, cudaDevAttrClockRate, 0);
  cudaDeviceGetAttribute(&d.memory_clock_khz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&d.memory_bus_width_bits, cudaDevAttrGlobalMemoryBusWidth, 0);
  return d;
}

// Runs `runner` warmup + repeats times on `p`, tagging each recorded repeat.
void run_alone(hm::Runner& runner, const hm::Partition& p, long long id, const hm::Schedule& s) {
  p.make_current();
  auto* stream = reinterpret_cast<cudaStream_t>(p.stream());
  for (int w = 0; w < s.warmup; ++w) runner.launch(stream, p.sms());
  check_rt(cudaStreamSynchronize(stream), "warmup");
  for (int r = 0; r < s.repeats; ++r) {
    hm::CuptiRecorder::push_tag(hm::tag(id, r));
    runner.launch(stream, p.sms());
    hm::CuptiRecorder::pop_tag();
    // One repeat at a time so a repeat's span is its own kernels only.
    check_rt(cudaStreamSynchronize(stream), "repeat");
  }
}

// The copy on partition `cp` and the compute kernel on `pp`, launched together each repeat.
void run_pair(hm::Runner& copy, const hm::Partition& cp, long long copy_id, hm::Runner& compute,
              const hm::Partition& pp, long long compute_id, const hm::Schedule& s) {
  auto* cs = reinterpret_cast<cudaStream_t>(cp.stream());
  auto* ps = reinterpret_cast<cudaStream_t>(pp.stream());
  for (int r = 0; r < s.warmup + s.repeats; ++r) {
    const bool recorded = r >= s.warmup;
    const int rep = r - s.warmup;
    cp.make_current();
    if (recorded) hm::CuptiRecorder::push_tag(hm::tag(copy_id, rep));
    copy.launch(cs, cp.sms());
    if (recorded) hm::CuptiRecorder::pop_tag();
    pp.make_current();
    if (recorded) hm::CuptiRecorder::push_tag(hm::tag(compute_id, rep));
    compute.launch(ps, pp.sms());
    if (recorded) hm::CuptiRecorder::pop_tag();
    check_rt(cudaStreamSynchronize(cs), "copy");
    check_rt(cudaStreamSynchronize(ps), "compute");
  }
}

struct GpuRun {
  std::vector<hm::MeasuredRun> runs;
  hm::Recording recording;
  std::string error;  // why the walk stopped early; empty when every run was measured
};

// Walks the schedule on device 0 under CUPTI.
GpuRun measure_on_gpu(const hm::Schedule& s) {
  CUdevice dev = 0;
  if (cuDeviceGet(&dev, 0) != CUDA_SUCCESS) throw std::runtime_error("cuDeviceGet failed");
  const hm::Partitioner parts(dev);
  // Buffers are allocated with the primary context current; partitions switch contexts, so
  // it is made current again before each runner is set up and before the runners are freed.
  CUcontext primary = nullptr;
  if (cuDevicePrimaryCtxRetain(&primary, dev) != CUDA_SUCCESS)
    throw std::runtime_error("cuDevicePrimaryCtxRetain failed");
  // By label: a compute entry's runner is reused by its concurrent pairs.
  std::map<std::string, std::unique_ptr<hm::Runner>> runners;
  std::unique_ptr<hm::Runner> copy;
  const auto runner_for = [&](const hm::PlanEntry& e) -> hm::Runner& {
    auto& r = runners[e.label];
    if (!r) {
      std::cerr << "measuring " << e.label << " [" << e.kernel_class << "]\n";
      cuCtxSetCurrent(primary);
      r = hm::make_runner(e);
      check_rt(cudaDeviceSynchronize(), "setup");
    }
    return *r;
  };
  GpuRun out;
  hm::CuptiRecorder recorder;
  // A failure part-way keeps what was measured: the trace is written with the runs done and the
  // error is reported after it (a campaign cut short still returns its data).
  try {
    for (std::size_t i = 0; i < s.runs.size(); ++i) {
      const hm::PlannedMeasurement& m = s.runs[i];
      if (m.role == hm::Role::kAlone) {
        hm::Runner& runner = runner_for(m.entry);
        if (!runner.partitionable() && m.sms < parts.total_sms()) {
          std::cerr << "skipped " << m.entry.label << " on " << m.sms
                    << " SMs: it runs on the whole GPU only\n";
          continue;
        }
        const auto p = parts.alone(m.sms);
        run_alone(runner, *p, m.id, s);
        out.runs.push_back({m.id, p->sms(), runner.note()});
      } else if (m.role == hm::Role::kComputeConcurrent) {
        const hm::PlannedMeasurement& k = s.runs.at(++i);  // its copy half follows it
        hm::Runner& compute = runner_for(m.entry);
        if (!copy) {
          cuCtxSetCurrent(primary);
          copy = hm::make_runner(k.entry);
        }
        const auto [cp, pp] = parts.pair(m.sms);
        run_pair(*copy, *cp, k.id, compute, *pp, m.id, s);
        out.runs.push_back({m.id, pp->sms(), compute.note()});
        out.runs.push_back({k.id, cp->sms(), copy->note()});
      }
      // The partitions just used are destroyed at the end of this iteration; the primary context
      // is made current again so that no call lands on a destroyed green context.
      cuCtxSetCurrent(primary);
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  cuCtxSetCurrent(primary);
  const cudaError_t end = cudaDeviceSynchronize();
  if (end != cudaSuccess && out.error.empty())
    out.error = std::string("end: ") + cudaGetErrorString(end);
  out.recording = recorder.finish();
  return out;
}

int run(const hm::Options& o) {
  const auto plan = hopsim::profiler::calibrate::load_plan(o.plan_path);
  const hm::Schedule schedule = hm::make_schedule(plan, o.only);
  if (o.dry_run) {
    std::cout << hm::describe_schedule(schedule);
    return 0;
  }
  const hm::DeviceFacts device = open_device();
  const GpuRun gpu = measure_on_gpu(schedule);
  const auto provenance =
      hm::make_provenance(device, hm::BuildFacts{HOPSIM_GIT_COMMIT, HOPSIM_MEASURE_VERSION},
                          schedule, hm::utc_timestamp(std::time(nullptr)), o.command_line);
  hm::write_traces(o.out_path, provenance, device, schedule, gpu.runs, gpu.recording);
  // Printed here too, so a run whose partitions did not overlap is noticed at once.
  for (const auto& line : hm::overlap_report(schedule, gpu.runs, gpu.recording))
    std::cerr << line << "\n";
  std::cerr << "wrote " << gpu.recording.kernels.size() << " kernel records, " << gpu.runs.size()
            << " measurements to " << o.out_path << "\n";
  if (!gpu.error.empty()) {
    std::cerr << "hopsim-measure: error: stopped after " << gpu.runs.size() << " of "
              << schedule.runs.size() << " measurements: " << gpu.error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  hm::Options options;
  try {
    options = hm::parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const hm::UsageError& e) {
    std::cerr << "hopsim-measure: " << e.what() << "\n" << hm::usage_text();
    return 2;
  }
  if (options.help) {
    std::cout << hm::usage_text();
    return 0;
  }
  try {
    const int rc = run(options);
    // A dry run's listing that could not be written (a full disk, a closed pipe) is a failure.
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "hopsim-measure: error: cannot write to standard output\n";
      return 1;
    }
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "hopsim-measure: error: " << e.what() << "\n";
    return 1;
  }
}
