// Trace import and summary throughput (docs/PERFORMANCE.md, "Trace import"). The input is a
// synthetic Kineto trace generated at start-up (not committed): per launch a cpu_op, a
// cudaLaunchKernel, an ac2g flow pair and a kernel with realistic name lengths and args, like
// PyTorch-profiler output; a user annotation (a DeepSeek-style phase name) around every 10
// launches and a ProfilerStep range around every 1000.
//
//   bench_import                              # Google Benchmark runs
//   bench_import --write-trace=big.json --mb=500   # writes a file for `/usr/bin/time -v hopsim
//   import`

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/summary/summary.hpp"
#include "hopsim/profiler/trace/trace_db.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"

namespace {

namespace tr = hopsim::profiler::trace;

// Kernel names in the style of real traces (lengths 30..300 characters).
const char* const kNames[] = {
    "void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<c10::BFloat16>, "
    "at::detail::Array<char*, 3> >(int, at::native::CUDAFunctor_add<c10::BFloat16>, "
    "at::detail::Array<char*, 3>)",
    "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64_warpgroupsize2x1x1_execute_"
    "segment_k_"
    "off_kernel__5x_cublas",
    "ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)",
    "void flash_fwd_kernel<Flash_fwd_kernel_traits<128, 128, 64, 4, false, false, "
    "cutlass::bfloat16_t, "
    "Flash_kernel_traits<128, 128, 64, 4, cutlass::bfloat16_t> >, false, true, false, false, true, "
    "true, false, false>(Flash_fwd_params)",
    "void vllm::rms_norm_kernel<c10::BFloat16>(c10::BFloat16*, c10::BFloat16 const*, "
    "c10::BFloat16 const*, float, int, int)",
    "void deep_gemm::fp8_gemm_kernel<7168u, 4096u, 128u, 160u, 128u, 1u, 8u, 128u, 4u, "
    "(deep_gemm::GemmType)0>(float*, int*, unsigned int, CUtensorMap, CUtensorMap, CUtensorMap)",
    "nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NTT",
    "void at::native::(anonymous namespace)::CatArrayBatchedCopy_aligned16_contig<at::native::"
    "(anonymous namespace)::OpaqueType<4u>, unsigned int, 1, 128, 1>(at::native::(anonymous "
    "namespace)::OpaqueType<4u>*, at::native::(anonymous namespace)::CatArrInputTensorMetadata<at::"
    "native::(anonymous namespace)::OpaqueType<4u>, unsigned int, 128, 1>, int, unsigned int)",
};
const char* const kPhases[] = {"attn(F)", "mlp(B)",  "dispatch(F)", "combine(B)",  "mlp(W)",
                               "attn(B)", "attn(W)", "combine(F)",  "dispatch(B)", "mlp(F)"};
const char* const kOps[] = {"aten::add",   "aten::mm",  "aten::_flash_attention_forward",
                            "aten::copy_", "aten::cat", "c10d::allreduce_"};

//! Appends events until `out` holds at least `bytes`; returns the number of launches.
std::size_t generate(std::string& out, std::size_t bytes) {
  out.clear();
  out.reserve(bytes + 4096);
  out += R"({"schemaVersion": 1, "deviceProperties": [{"id": 0, "name": "NVIDIA H800", )"
         R"("totalGlobalMem": 85520809984, "computeMajor": 9, "computeMinor": 0, "numSms": 132}],)"
         "\n\"traceEvents\": [\n";
  char buf[2048];
  std::size_t i = 0;
  long long t_us = 1711964646000000LL;
  while (out.size() < bytes) {
    const int frac = static_cast<int>((i * 7919) % 1000);
    const char* name = kNames[i % (sizeof(kNames) / sizeof(kNames[0]))];
    const char* op = kOps[i % (sizeof(kOps) / sizeof(kOps[0]))];
    const long long corr = static_cast<long long>(i) + 1000;
    if (i % 1000 == 0) {
      const int m = std::snprintf(
          buf, sizeof(buf),
          "%s{\"ph\": \"X\", \"cat\": \"user_annotation\", \"name\": \"ProfilerStep#%zu\", "
          "\"pid\": 2910249, \"tid\": 2910249, \"ts\": %lld.000, \"dur\": 20000.000}",
          i == 0 ? "" : ",\n", i / 1000, t_us - 1);
      out.append(buf, static_cast<std::size_t>(m));
    }
    if (i % 10 == 0) {
      const int m = std::snprintf(
          buf, sizeof(buf),
          ",\n{\"ph\": \"X\", \"cat\": \"user_annotation\", \"name\": \"layer%zu.%s\", "
          "\"pid\": 2910249, \"tid\": 2910249, \"ts\": %lld.500, \"dur\": 199.000}",
          (i / 100) % 61, kPhases[(i / 10) % 10], t_us - 1);
      out.append(buf, static_cast<std::size_t>(m));
    }
    int n = std::snprintf(
        buf, sizeof(buf),
        "%s{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"%s\", \"pid\": 2910249, \"tid\": "
        "2910249, \"ts\": %lld.%03d, \"dur\": 12.345, \"args\": {\"External id\": %lld, "
        "\"Record function id\": 0, \"Ev Idx\": %zu}},\n"
        "{\"ph\": \"X\", \"cat\": \"cuda_runtime\", \"name\": \"cudaLaunchKernel\", \"pid\": "
        "2910249, \"tid\": 2910249, \"ts\": %lld.%03d, \"dur\": 4.102, \"args\": {\"External id\": "
        "%lld, \"cbid\": 211, \"correlation\": %lld}},\n"
        "{\"ph\": \"s\", \"id\": %lld, \"pid\": 2910249, \"tid\": 2910249, \"ts\": %lld.%03d, "
        "\"cat\": \"ac2g\", \"name\": \"ac2g\"},\n",
        ",\n", op, t_us, frac, corr, i, t_us + 1, frac, corr, corr, corr, t_us + 1, frac);
    out.append(buf, static_cast<std::size_t>(n));
    n = std::snprintf(
        buf, sizeof(buf),
        "{\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"%s\", \"pid\": 0, \"tid\": 7, \"ts\": "
        "%lld.%03d, \"dur\": %d.%03d, \"args\": {\"External id\": %lld, \"queued\": 0, \"device\": "
        "0, \"context\": 1, \"stream\": 7, \"correlation\": %lld, \"registers per thread\": 40, "
        "\"shared memory\": 400, \"blocks per SM\": 4.740741, \"warps per SM\": 75.851852, "
        "\"grid\": [512, 1, 1], \"block\": [512, 1, 1], \"est. achieved occupancy %%\": 75}},\n"
        "{\"ph\": \"f\", \"id\": %lld, \"pid\": 0, \"tid\": 7, \"ts\": %lld.%03d, \"cat\": "
        "\"ac2g\", \"name\": \"ac2g\", \"bp\": \"e\"}",
        name, t_us + 8, frac, 3 + static_cast<int>(i % 50), frac, corr, corr, corr, t_us + 8, frac);
    out.append(buf, static_cast<std::size_t>(n));
    t_us += 20;
    ++i;
  }
  out += "\n], \"displayTimeUnit\": \"ms\", \"baseTimeNanoseconds\": 1711964646000000000}\n";
  return i;
}

//! Counts events only: measures the parser without SQLite.
class NullSink final : public tr::TraceSink {
 public:
  void add_activity(const tr::GpuActivity&) override { ++n; }
  void add_runtime(const tr::RuntimeCall&) override { ++n; }
  void add_annotation(const tr::Annotation&) override { ++n; }
  void add_flow(const tr::FlowEvent&) override { ++n; }
  void add_device(const tr::DeviceInfo&) override {}
  void add_problem(const tr::ImportProblem&) override {}
  void set_info(std::string_view, std::string_view) override {}
  std::size_t n = 0;
};

const std::string& trace_text() {
  static const std::string text = [] {
    std::string s;
    generate(s, 64u << 20);  // 64 MiB: large enough that start-up costs do not matter
    return s;
  }();
  return text;
}

void BM_KinetoParseOnly(benchmark::State& state) {
  const auto& text = trace_text();
  for (auto _ : state) {
    NullSink sink;
    (void)hopsim::profiler::import::import_kineto_memory(text, sink);
    benchmark::DoNotOptimize(sink.n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_KinetoParseOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_KinetoImportToSqlite(benchmark::State& state) {
  const auto& text = trace_text();
  const auto out = std::filesystem::temp_directory_path() / "hopsim-import-bench.sqlite";
  for (auto _ : state) {
    tr::TraceWriter w(out);
    (void)hopsim::profiler::import::import_kineto_memory(text, w);
    w.commit();
  }
  std::filesystem::remove(out);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_KinetoImportToSqlite)->Unit(benchmark::kMillisecond)->UseRealTime();

// Summary of the imported trace: classification, steps, overlap and the attribution of every
// kernel to its annotation (what `hopsim trace summary` and `compare` compute).
void BM_SummaryWithAttribution(benchmark::State& state) {
  const auto& text = trace_text();
  tr::CollectingSink sink;
  (void)hopsim::profiler::import::import_kineto_memory(text, sink);
  const tr::Trace t = sink.finish();
  const auto classifier = hopsim::profiler::classify::KernelClassifier::shipped();
  for (auto _ : state) {
    const auto s = hopsim::profiler::summary::summarize(t, classifier);
    benchmark::DoNotOptimize(s.annotations.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
  state.counters["kernels"] = static_cast<double>(t.activities.size());
}
BENCHMARK(BM_SummaryWithAttribution)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::string write_to;
  std::size_t mb = 500;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--write-trace=", 14) == 0) write_to = argv[i] + 14;
    if (std::strncmp(argv[i], "--mb=", 5) == 0) mb = std::stoul(argv[i] + 5);
  }
  if (!write_to.empty()) {
    std::string s;
    const auto launches = generate(s, mb << 20);
    std::ofstream(write_to, std::ios::binary) << s;
    std::printf("wrote %s: %zu bytes, %zu launches (%zu events)\n", write_to.c_str(), s.size(),
                launches, launches * 5 + launches / 10 + launches / 1000);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
