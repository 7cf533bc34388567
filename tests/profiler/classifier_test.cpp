// Tests for profiler/src/classify/classifier.cpp with the shipped rules
// (profiler/data/kernel_classes.yaml) on kernel names seen in real traces.

#include "hopsim/profiler/classify/classifier.hpp"

#include <catch2/catch.hpp>

#include "hopsim/core/error.hpp"

using hopsim::profiler::classify::KernelClassifier;
using hopsim::profiler::trace::ActivityKind;

namespace {
std::string cls(const KernelClassifier& c, const std::string& name) {
  return c.classify(ActivityKind::kKernel, name);
}
}  // namespace

TEST_CASE("shipped rules classify typical kernel names", "[classify]") {
  const auto c = KernelClassifier::shipped();
  // Names as they appear in Kineto/nsys traces of the libraries named.
  CHECK(cls(c, "ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, ncclWork*)") ==
        "nccl_comm");
  CHECK(cls(c, "ncclDevKernel_AllGather_RING_LL(ncclDevKernelArgsStorage<4096ul>)") == "nccl_comm");
  CHECK(cls(c, "void deep_ep::intranode::dispatch<8, 768, 8192>(int4*, float*, int*)") ==
        "deepep_comm");
  CHECK(cls(c, "void deep_ep::internode_ll::combine<false, 7168>(void*, void const*)") ==
        "deepep_comm");
  CHECK(cls(c, "void deep_gemm::fp8_gemm_kernel<7168u, 4096u, 128u>(float*, int*)") == "fp8_gemm");
  CHECK(cls(c, "void deep_gemm::m_grouped_fp8_gemm_nt_masked<...>") == "grouped_gemm");
  CHECK(cls(c, "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1") ==
        "bf16_gemm");
  CHECK(cls(c, "void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x64_16x4_nn_align4>") ==
        "other_gemm");
  CHECK(cls(c, "nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NTT") == "other_gemm");
  CHECK(cls(c, "void flash_fwd_kernel<Flash_fwd_kernel_traits<128, 64, 64, 4, false>>") ==
        "attention_fwd");
  CHECK(cls(c, "void flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<Flash_bwd_kernel_traits<128>>") ==
        "attention_bwd");
  CHECK(cls(c, "void flash::flash_fwd_splitkv_mla_kernel<Flash_fwd_kernel_traits_mla<576>>") ==
        "attention_fwd");
  CHECK(cls(c, "void moe_align_block_size_kernel<int>(int*, int*)") == "moe_routing");
  CHECK(cls(c, "void vllm::moe::topkGatingSoftmax<8, 128>(float const*)") == "moe_routing");
  CHECK(cls(c, "void moe_unpermute_kernel<__nv_bfloat16>(...)") == "moe_combine");
  CHECK(cls(c, "void moe_permute_kernel<__nv_bfloat16>(...)") == "moe_permute");
  CHECK(cls(c,
            "void at::native::vectorized_elementwise_kernel<4, "
            "at::native::CUDAFunctor_add<float>>") == "norm_elementwise");
  CHECK(cls(c, "void vllm::rms_norm_kernel<c10::BFloat16>(...)") == "norm_elementwise");
  CHECK(cls(c, "void cudnn::ops::nchwToNhwcKernel<float, float, float, false, true>") == "other");
  CHECK(c.classify(ActivityKind::kMemcpy, "Memcpy HtoD (Pageable -> Device)") == "memcpy");
  CHECK(c.classify(ActivityKind::kMemset, "Memset (Device)") == "memset");
  CHECK(c.is_communication("nccl_comm"));
  CHECK(c.is_communication("deepep_comm"));
  CHECK_FALSE(c.is_communication("bf16_gemm"));
}

TEST_CASE("user rules are tried first", "[classify]") {
  const auto extra = KernelClassifier::from_yaml(R"(
rules:
  - class: layout
    pattern: 'nchwToNhwc|nhwcToNchw'
  - class: my_comm
    pattern: 'ncclKernel_AllReduce'
    case_sensitive: true
communication: [my_comm]
)",
                                                 "extra.yaml");
  const auto c = KernelClassifier::shipped().with_rules_first(extra);
  CHECK(cls(c, "void cudnn::ops::nchwToNhwcKernel<float>") == "layout");
  CHECK(cls(c, "ncclKernel_AllReduce_RING_LL_Sum_float") == "my_comm");
  CHECK(cls(c, "ncclkernel_allreduce") == "nccl_comm");  // case-sensitive rule does not match
  CHECK(c.is_communication("my_comm"));
  CHECK(c.is_communication("nccl_comm"));
}

TEST_CASE("bad rules files are rejected with file, line and key", "[classify]") {
  CHECK_THROWS_WITH(
      KernelClassifier::from_yaml("rules:\n  - class: x\n    pattern: '(unclosed'\n", "r.yaml"),
      Catch::Contains("r.yaml:3") && Catch::Contains("invalid regex"));
  CHECK_THROWS_WITH(KernelClassifier::from_yaml("rules:\n  - class: x\n    regex: a\n", "r.yaml"),
                    Catch::Contains("unknown key") && Catch::Contains("pattern"));
  CHECK_THROWS_AS(KernelClassifier::from_yaml("rules: 5\n", "r.yaml"), hopsim::ConfigError);
  CHECK_THROWS_AS(KernelClassifier::from_yaml("rule: []\n", "r.yaml"), hopsim::ConfigError);
  CHECK_THROWS_AS(KernelClassifier::from_yaml("rules: [{class: x}]\n", "r.yaml"),
                  hopsim::ConfigError);
}
