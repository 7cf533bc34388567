// Tests for profiler/src/classify/classifier.cpp with the shipped rules
// (profiler/data/kernel_classes.yaml) on kernel names seen in real traces and in the public
// kernel libraries. Every shipped rule must be the deciding rule for at least one name here, and
// every kernel of the real Kineto traces in tests/data/traces/kineto/ must land in a class.

#include "hopsim/profiler/classify/classifier.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "hopsim/core/error.hpp"
#include "hopsim/profiler/import/kineto.hpp"
#include "hopsim/profiler/trace/trace_sink.hpp"
#include "trace_test_util.hpp"

using hopsim::profiler::classify::KernelClassifier;
using hopsim::profiler::trace::ActivityKind;

namespace {

std::string cls(const KernelClassifier& c, const std::string& name) {
  return c.classify(ActivityKind::kKernel, name);
}

// Index of the rule that decides `name` (the first that matches), or -1: the same search as
// KernelClassifier::classify.
int deciding_rule(const KernelClassifier& c, const std::string& name) {
  const std::string_view head =
      std::string_view(name).substr(0, hopsim::profiler::classify::kMaxNameChars);
  for (std::size_t i = 0; i < c.rules().size(); ++i) {
    if (std::regex_search(head.begin(), head.end(), c.rules()[i].re)) return static_cast<int>(i);
  }
  return -1;
}

struct Case {
  const char* name;
  const char* klass;
  const char* source;
};

// Sources of the names (all public):
//   HTA  facebookresearch/HolisticTraceAnalysis@f4d0062c382f42bd8a74838bcdad1916c7d5d2da
//        tests/data: the three Kineto traces copied to tests/data/traces/kineto/ (verbatim).
//   PD   deepseek-ai/profile-data@449602428a1b023acb8a505d4f34fef536535db6: DeepSeek-V3
//        training (train.json) and inference (prefill.json, decode.json) Kineto traces.
//        Verbatim, except where marked "id": the kernel's identifier as it appears in
//        train.json, with its template arguments and parameter list not reproduced.
//   SGL  kernels of the libraries below as Kineto records them in an SGLang DeepSeek-V3
//        serving profile (verbatim names; the libraries are public, the profile is not).
//   SRC  the kernel's name from the library source, in Kineto's demangled form, with
//        illustrative template arguments.
const Case kNames[] = {
    // --- DeepEP (deepseek-ai/DeepEP csrc/kernels/{intranode,internode,internode_ll}.cu).
    {"void dpsk::ep::cuda::get_dispatch_layout<256, 32, 8>(long const*, int*, int*, int*, bool*, "
     "int, int, int, int)",
     "deepep_layout", "PD prefill.json"},
    {"void deep_ep::internode::get_dispatch_layout<256, 32, 8>(long const*, int*, int*, int*, "
     "bool*, int, int, int, int)",
     "deepep_layout", "SGL DeepEP"},
    {"void dpsk::ep::internode::notify_dispatch<false, 4>(int const*, long*, int, int const*, "
     "int*, int const*, int*, int, bool const*, int, int, int, int, int, int, int, int*, int*, "
     "int*, int*, void*, void**, int**, int, int, int*, int)",
     "deepep_notify", "PD prefill.json"},
    {"void dpsk::ep::internode::cached_notify<false>(int, int, int, int, int*, int, int, int "
     "const*, int const*, int*, void*, void**, int**, int, int, int, int*, bool, int)",
     "deepep_notify", "PD prefill.json"},
    {"void deep_ep::internode::notify_dispatch<false, 4>(int const*, int*, int, int const*, int*, "
     "int const*, int*, int, bool const*, int, int, int, int, int, int, int, int*, int*, int*, "
     "int*, void*, void**, int**, int, int, int)",
     "deepep_notify", "SGL DeepEP"},
    {"void deep_ep::intranode::cached_notify_combine<8>(void**, int*, int, int, int**, int, int)",
     "deepep_notify", "SRC DeepEP intranode.cu"},
    {"void deep_ep::internode_ll::clean_low_latency_buffer<128>(int*, int, int*, int)",
     "deepep_notify", "SRC DeepEP internode_ll.cu"},
    {"void deep_ep::intranode::barrier<8>(int**, int)", "deepep_notify", "SRC DeepEP intranode.cu"},
    {"void dpsk::ep::internode::dispatch<false, 4, false, 4>(int4*, float*, long*, float*, "
     "dpsk::ep::internode::SourceMeta*, int4 const*, float const*, long const*, float const*, "
     "int*, int*, int*, int*, int const*, int const*, int const*, int const*, int, int, int, int, "
     "int, bool const*, void*, int, int, void**, int, int, int, int, int*)",
     "deepep_dispatch", "PD prefill.json"},
    {"void dpsk::ep::internode::dispatch_ll<true, 3, 10, 7168>(void*, float*, int*, long*, int*, "
     "int*, void*, int*, void*, void const*, long const*, int*, int*, int*, int, int, int, int, "
     "int, int, int, int*, int)",
     "deepep_dispatch", "PD decode.json"},
    {"void deep_ep::internode_ll::dispatch<true, 3, 10, 7168>(void*, float*, int*, long*, int*, "
     "void*, int*, void*, void const*, long const*, int*, int*, int*, int, int, int, int, int, "
     "int, int, int)",
     "deepep_dispatch", "SGL DeepEP"},
    {"void deep_ep::intranode::dispatch<8, 768, 8192>(int4*, float*, int*, long*, float*, int*, "
     "int*, int4 const*, float const*, long const*, float const*, bool const*, int const*, int, "
     "int, int, int, int, int, int, void**, int, int, int)",
     "deepep_dispatch", "SRC DeepEP intranode.cu"},
    {"void dpsk::ep::internode::combine<false, 4, __nv_bfloat16, 4, 4, 16, 24>(int4*, float*, "
     "bool const*, int4 const*, float const*, int4 const*, int4 const*, int const*, int const*, "
     "dpsk::ep::internode::SourceMeta const*, int const*, int const*, int const*, int, int, int, "
     "int, void*, int, int, void**, int, int, int, int, int*)",
     "deepep_combine", "PD prefill.json"},
    {"void dpsk::ep::internode::combine_ll<3, 10, 7168, 9>(void*, void*, int*, void*, void "
     "const*, long const*, float const*, int const*, long const*, int*, int, int*, int, int, int, "
     "int, int, int, int, int*, int)",
     "deepep_combine", "PD decode.json"},
    {"void deep_ep::internode_ll::combine<3, 10, 7168, 9>(void*, void*, int*, void*, void const*, "
     "long const*, float const*, int const*, long const*, int*, int, int*, int, int, int, int, "
     "int, int, int, int, bool)",
     "deepep_combine", "SGL DeepEP"},
    {"void deep_ep::internode::combine<false, 4, __nv_bfloat16, 16, 4, 4, 16, 24>(int4*, float*, "
     "bool const*, int4 const*, float const*, int const*, int const*, deep_ep::internode::"
     "SourceMeta const*, int const*, int const*, int const*, int, int, int, int, void*, int, int, "
     "void**, int, int, int, int)",
     "deepep_combine", "SGL DeepEP"},
    {"void deep_ep::internode_ll::query_mask_buffer<32>(int*, int*)", "deepep_notify",
     "SRC DeepEP internode_ll.cu"},

    // --- NCCL.
    {"ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, ncclWork*)", "nccl_comm",
     "HTA a100-2rank-nccl"},
    {"ncclKernel_Broadcast_RING_LL_Sum_int8_t(ncclDevComm*, unsigned long, ncclWork*)", "nccl_comm",
     "HTA a100-2rank-nccl"},
    {"ncclDevKernel_AllGather_RING_LL(ncclDevKernelArgsStorage<4096ul>)", "nccl_comm",
     "SRC NVIDIA/nccl src/device"},

    // --- Attention, backward: FA2 (Dao-AILab/flash-attention csrc/flash_attn/src), FA3
    // (hopper/), FlashMLA's SM100 dense prefill (cutlass FMHA), PyTorch memory-efficient SDPA.
    {"void cutlass::device_kernel<flash::FlashAttnBwd<...>>", "attention_bwd",
     "PD train.json (id)"},
    {"void cutlass::device_kernel<flash::enable_sm90_or_later<flash::FlashAttnBwdSm90<flash::"
     "CollectiveMainloopBwdSm90<2, 1, cute::tuple<cute::C<64>, cute::C<128>, cute::C<128> >, 1, "
     "cutlass::bfloat16_t, float, cutlass::arch::Sm90, true, false, false, false, false, false, "
     "true, false, 2, 1, 2>, flash::CollectiveEpilogueBwd<cute::tuple<cute::C<64>, cute::C<128>, "
     "cute::C<128> >, cutlass::bfloat16_t, cutlass::arch::Sm90, 256, false, false, 2, 1, 2>, "
     "flash::SingleTileScheduler<false, false, 128> > > >(...)",
     "attention_bwd", "SRC flash-attention hopper/flash_bwd_launch_template.h"},
    {"void cutlass::device_kernel<flash::FlashAttnBwdPreprocess<cute::tuple<cute::C<64>, "
     "cute::C<128> >, cutlass::bfloat16_t, float, cutlass::arch::Sm90, true, false> >(...)",
     "attention_bwd", "SRC flash-attention hopper/flash_bwd_preprocess_kernel.h"},
    {"void cutlass::device_kernel<flash::FlashAttnBwdPostprocessConvertdQ<cute::tuple<cute::C<64>, "
     "cute::C<128> >, cutlass::bfloat16_t, float, cutlass::arch::Sm90, 256, cute::SM90_64x128x16_"
     "F32BF16BF16_SS<(cute::GMMA::Major)0, (cute::GMMA::Major)0>, 2, false, false> >(...)",
     "attention_bwd", "SRC flash-attention hopper/flash_bwd_postprocess_kernel.h"},
    {"void flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<Flash_bwd_kernel_traits<128, 64, 128, 8, "
     "2, 4, 2, false, false, cutlass::bfloat16_t, Flash_kernel_traits<128, 64, 128, 8, "
     "cutlass::bfloat16_t> >, true, false, false, false, false, true, false>(Flash_bwd_params)",
     "attention_bwd", "SRC flash-attention csrc/flash_attn/src/flash_bwd_kernel.h"},
    {"void flash_bwd_dot_do_o_kernel<true, Flash_bwd_kernel_traits<128, 64, 128, 8, 2, 4, 2, "
     "false, false, cutlass::bfloat16_t, Flash_kernel_traits<128, 64, 128, 8, "
     "cutlass::bfloat16_t> > >(Flash_bwd_params)",
     "attention_bwd", "SRC flash-attention csrc/flash_attn/src/flash_bwd_preprocess_kernel.h"},
    {"void cutlass::device_kernel<cutlass::fmha::kernel::Sm100FmhaBwdKernelTmaWarpSpecialized<"
     "...> >(...)",
     "attention_bwd", "SRC FlashMLA csrc/cuda_kernels/sm100/prefill/dense (cutlass FMHA)"},
    {"fmha_cutlassB_bf16_aligned_64x64_k128_sm80(PyTorchMemEffAttention::"
     "AttentionBackwardKernel<cutlass::arch::Sm80, cutlass::bfloat16_t, true, false, true, 64, "
     "64, 128, false>::Params)",
     "attention_bwd", "SRC pytorch aten/src/ATen/native/transformers/cuda/mem_eff_attention"},
    {"cudnn_generated_fort_native_sdpa_sm90_flash_bprop_wgmma_f16_knob_3_64x64x128_4x1x1_kernel0_"
     "0",
     "attention_bwd", "SRC cuDNN fused attention as called by TransformerEngine"},

    // --- Attention, forward (and FA3 scheduling, FlashMLA metadata and split-KV combine).
    {"void flash::compute_attn_ws<Flash_fwd_kernel_traits<192, 128, 128, 12, 2, false, 1, "
     "cutlass::bfloat16_t, 128>, true, flash::SingleTileScheduler, flash::SeqLenTraits<true> "
     ">(flash::CollectiveMainloopFwd<Flash_fwd_kernel_traits<192, 128, 128, 12, 2, false, 1, "
     "cutlass::bfloat16_t, 128>, true, flash::SeqLenTraits<true> >::Params, "
     "flash::CollectiveEpilogueFwd<Flash_fwd_kernel_traits<192, 128, 128, 12, 2, false, 1, "
     "cutlass::bfloat16_t, 128>, flash::SeqLenTraits<true> >::Params, "
     "flash::SingleTileScheduler::Params, flash::SeqLenTraits<true>, flash::SeqLenTraits<true>)",
     "attention_fwd", "PD prefill.json"},
    {"void flash::flash_fwd_splitkv_mla_kernel<Flash_fwd_kernel_traits_mla<576, 64, 64, 8, "
     "cutlass::bfloat16_t, 512, true, 0, cutlass::bfloat16_t, cutlass::bfloat16_t>, true, "
     "flash::SharedStorageMLA<Flash_fwd_kernel_traits_mla<576, 64, 64, 8, cutlass::bfloat16_t, "
     "512, true, 0, cutlass::bfloat16_t, cutlass::bfloat16_t> > >(Flash_fwd_mla_params)",
     "attention_fwd", "PD decode.json"},
    {"void flash::flash_fwd_splitkv_mla_combine_kernel<cutlass::bfloat16_t, float, long, 512, "
     "64>(Flash_fwd_mla_params)",
     "attention_fwd", "PD decode.json"},
    {"void cutlass::device_kernel<flash::enable_sm90_or_later<flash::FlashAttnFwdSm90<flash::"
     "CollectiveMainloopFwdSm90<2, cute::tuple<cute::C<1>, cute::C<1>, cute::C<1> >, "
     "cute::tuple<cute::C<128>, cute::C<128>, cute::C<192> >, 128, cutlass::bfloat16_t, float, "
     "cutlass::arch::Sm90, true, false, false, true, false, false, false, true, true, false, "
     "false, false>, flash::CollectiveEpilogueFwd<cute::tuple<cute::C<128>, cute::C<128>, "
     "cute::C<128> >, cute::tuple<cute::C<1>, cute::C<1>, cute::C<1> >, cutlass::bfloat16_t, "
     "cutlass::arch::Sm90, 256, true, false, false, false>, "
     "flash::VarlenDynamicPersistentTileScheduler<128, 256, 32, false, false, true> > > "
     ">(flash::enable_sm90_or_later<flash::FlashAttnFwdSm90<flash::CollectiveMainloopFwdSm90<2, "
     "cute::tuple<cute::C<1>, cute::C<1>, cute::C<1> >, cute::tuple<cute::C<128>, cute::C<128>, "
     "cute::C<192> >, 128, cutlass::bfloat16_t, float, cutlass::arch::Sm90, true, false, false, "
     "true, false, false, false, true, true, false, false, false>, "
     "flash::CollectiveEpilogueFwd<cute::tuple<cute::C<128>, cute::C<128>, cute::C<128> >, "
     "cute::tuple<cute::C<1>, cute::C<1>, cute::C<1> >, cutlass::bfloat16_t, cutlass::arch::Sm90, "
     "256, true, false, false, false>, flash::VarlenDynamicPersistentTileScheduler<128, 256, 32, "
     "false, false, true> > >::Params)",
     "attention_fwd", "SGL flash-attention hopper"},
    {"void cutlass::device_kernel<flash::FlashAttnFwdCombine<cute::tuple<cute::C<8>, "
     "cute::C<128> >, 6, 256, 1, false, true, cutlass::bfloat16_t, float, cutlass::arch::Sm90> "
     ">(flash::FlashAttnFwdCombine<cute::tuple<cute::C<8>, cute::C<128> >, 6, 256, 1, false, "
     "true, cutlass::bfloat16_t, float, cutlass::arch::Sm90>::Params)",
     "attention_fwd", "SGL flash-attention hopper"},
    {"flash::prepare_varlen_num_blocks_kernel(int, int, int, int const*, int const*, int const*, "
     "int const*, int const*, int const*, int, int, int, int, int, cutlass::FastDivmod, "
     "cutlass::FastDivmod, int*, int*, bool)",
     "attention_fwd", "SGL flash-attention hopper"},
    {"void flash::flash_fwd_splitkv_combine_kernel<Flash_fwd_kernel_traits<128, 64, 128, 4, "
     "false, false, cutlass::bfloat16_t, Flash_kernel_traits<128, 64, 128, 4, "
     "cutlass::bfloat16_t> >, 4, 1, true>(flash::Flash_fwd_params)",
     "attention_fwd", "SRC flash-attention csrc/flash_attn/src/flash_fwd_kernel.h"},
    {"get_mla_metadata_kernel(Mla_metadata_params)", "attention_fwd",
     "SRC FlashMLA csrc/kernels/get_mla_metadata.cu"},
    {"fmha_cutlassF_bf16_aligned_64x64_rf_sm80(PyTorchMemEffAttention::AttentionKernel<"
     "cutlass::bfloat16_t, cutlass::arch::Sm80, true, 64, 64, 64, true, true>::Params)",
     "attention_fwd", "SRC pytorch aten/src/ATen/native/transformers/cuda/mem_eff_attention"},

    // --- MoE plumbing.
    {"clean_and_count_expert", "moe_routing", "PD train.json (id)"},
    {"void vllm::moe::topkGatingSoftmax<8, 128>(float const*, bool const*, float*, int, int*, "
     "int*, int, int, int)",
     "moe_routing", "SRC vllm-project/vllm csrc/moe/topk_softmax_kernels.cu"},
    {"void vllm::moe::moe_align_block_size_kernel<int>(int const*, int*, int*, int*, int, int, "
     "int, int, unsigned long, int*)",
     "moe_routing", "SRC vllm-project/vllm csrc/moe/moe_align_sum_kernels.cu"},
    {"_fwd_kernel_ep_scatter_2", "moe_permute", "SGL sglang ep_moe kernels (Triton)"},
    {"expand_to_fused_with_scales_impl", "moe_permute", "PD train.json (id)"},
    {"_fwd_kernel_ep_gather", "moe_unpermute", "SRC sglang ep_moe kernels (Triton)"},
    {"void vllm::moe::moe_sum_kernel<c10::BFloat16, 8>(c10::BFloat16*, c10::BFloat16 const*, "
     "int)",
     "moe_unpermute", "SRC vllm-project/vllm csrc/moe/moe_align_sum_kernels.cu"},

    // --- Activations with a fused FP8 cast, and FP8 casts.
    {"void cuda::swiglu_forward_with_weight_and_per_token_cast_to_fp8_with_channels_impl<__nv_"
     "bfloat16, false, true, 128>(unsigned char*, __nv_bfloat16 const*, int const*, float "
     "const*, int, int, float*, int const*, float, __nv_fp8_interpretation_t)",
     "elementwise", "PD prefill.json"},
    {"void cuda::batched_swiglu_forward_and_per_token_cast_to_fp8_with_channels_impl<__nv_"
     "bfloat16, 128, 512, true, 128>(unsigned char*, __nv_bfloat16 const*, int, int, int, "
     "float*, int const*, float, __nv_fp8_interpretation_t)",
     "elementwise", "PD decode.json"},
    {"void flashinfer::activation::act_and_mul_kernel<__nv_bfloat16, &(silu(float const&))>(__nv_"
     "bfloat16*, __nv_bfloat16 const*, int)",
     "elementwise", "SGL flashinfer"},
    {"_silu_and_mul_post_quant_kernel", "elementwise", "SGL sglang (Triton)"},
    {"cuda::per_token_cast_to_fp8_with_channels<bf16, 128, ...>", "fp8_cast", "PD train.json (id)"},
    {"per_channel_cast_and_transpose", "fp8_cast", "PD train.json (id)"},
    {"dpsk::grouped_gemm::cuda::utils::transpose<512,128,4,4>", "fp8_cast", "PD train.json (id)"},
    // --- The optimizer step (PyTorch's fused AdamW and its step-count foreach add), from the
    // GPU campaign's H200 block trace (hwprofiles/calibration/h200-sxm-2026-11-30/block/).
    {"void at::native::(anonymous namespace)::multi_tensor_apply_kernel<at::native::(anonymous "
     "namespace)::FusedOptimizerTensorListMetadata<4>, at::native::(anonymous "
     "namespace)::FusedAdamMathFunctor<c10::BFloat16, 4, (at::native::ADAM_MODE)1, false>, "
     "float const*, double, double, double, double, double, bool, float const*, float const*>",
     "optimizer", "H200 campaign block-large (torch 2.11)"},
    {"void at::native::(anonymous namespace)::multi_tensor_apply_kernel<at::native::(anonymous "
     "namespace)::TensorListMetadata<1>, at::native::(anonymous "
     "namespace)::BinaryOpScalarFunctor<float, 1, 1, 0>, std::plus<float>, float>",
     "optimizer", "H200 campaign block-large (torch 2.11)"},

    {"void per_token_group_quant_8bit_kernel<__nv_bfloat16, c10::Float8_e4m3fn, false>(__nv_"
     "bfloat16 const*, void*, float*, int, int, int, float, float, float, int, int)",
     "fp8_cast", "SGL sglang sgl-kernel"},
    {"void at::native::vectorized_elementwise_kernel<4, at::native::direct_copy_kernel_cuda(at::"
     "TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#18}::operator()() "
     "const::{lambda(c10::Float8_e4m3fn)#1}, at::detail::Array<char*, 2> >(int, "
     "at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() "
     "const::{lambda()#18}::operator()() const::{lambda(c10::Float8_e4m3fn)#1}, "
     "at::detail::Array<char*, 2>)",
     "fp8_cast", "SRC pytorch aten/src/ATen/native/cuda/Copy.cu (FP8 .to())"},

    // --- GEMMs: weight gradient, M-grouped, dense FP8, BF16.
    {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_dptp128c_acc::GemmKernel>(dpsk::"
     "grouped_gemm::cuda::fp8_dptp128c_acc::GemmKernel::Params)",
     "wgrad_gemm", "PD train.json (id)"},
    {"void deep_gemm::sm90_fp8_gemm_1d1d_impl<0u, 0u, 0u, 1u, 128u, 128u, 128u, 128u, 128u, 128u, "
     "5u, 128u, 128u, 1u, true, 132u, (deep_gemm::GemmType)3, float>(unsigned int, unsigned int, "
     "unsigned int, int*, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, "
     "CUtensorMap_st)",
     "wgrad_gemm", "SRC DeepGEMM@0274ad7 deep_gemm/include/deep_gemm/common/types.cuh"},
    {"void deep_gemm::fp8_wgrad_gemm_kernel<7168u, 2048u, 128u, 128u, 128u, 5u, 0u, 128u, 128u, "
     "1u, true>(unsigned int, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, "
     "CUtensorMap_st)",
     "wgrad_gemm", "SRC DeepGEMM deep_gemm/include/deep_gemm/fp8_wgrad_gemm.cuh"},
    {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::m_grouped_fp8_ptp128c::GemmKernel>("
     "dpsk::grouped_gemm::cuda::m_grouped_fp8_ptp128c::GemmKernel::Params)",
     "grouped_gemm", "PD train.json (id)"},
    {"void dpsk::gemm::fp8_gemm_kernel<4096u, 7168u, 128u, 128u, 128u, 5u, 128u, 128u, 2u, "
     "(dpsk::gemm::GemmType)1>(__nv_bfloat16*, float*, int*, unsigned int, unsigned int, "
     "CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st)",
     "grouped_gemm", "PD prefill.json"},
    {"void dpsk::gemm::fp8_gemm_kernel<4096u, 7168u, 128u, 112u, 128u, 6u, 128u, 128u, 1u, "
     "(dpsk::gemm::GemmType)2>(__nv_bfloat16*, float*, int*, unsigned int, unsigned int, "
     "unsigned int, unsigned int, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, "
     "CUtensorMap_st)",
     "grouped_gemm", "PD decode.json"},
    {"void deep_gemm::fp8_gemm_kernel<4096u, 7168u, 128u, 160u, 128u, 0u, 64u, 9u, 4u, 128u, 128u, "
     "1u, true, (deep_gemm::GemmType)1>(__nv_bfloat16*, float*, int*, unsigned int, "
     "CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st)",
     "grouped_gemm", "SGL DeepGEMM"},
    {"void deep_gemm::fp8_gemm_kernel<7168u, 2048u, 256u, 112u, 128u, 0u, 32u, 4u, 3u, 128u, 128u, "
     "1u, true, (deep_gemm::GemmType)2>(__nv_bfloat16*, float*, int*, unsigned int, "
     "CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st)",
     "grouped_gemm", "SGL DeepGEMM"},
    {"void deep_gemm::sm90_bf16_gemm_impl<0u, 0u, 0u, 8u, 128u, 128u, 64u, 128u, 128u, 128u, 5u, "
     "128u, 256u, 1u, false, 132u, (deep_gemm::GemmType)1, false>(int*, unsigned int, unsigned "
     "int, unsigned int, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st)",
     "grouped_gemm", "SRC DeepGEMM deep_gemm/include/deep_gemm/impls/sm90_bf16_gemm.cuh"},
    {"void dpsk::gemm::fp8_gemm_kernel<7168u, 16384u, 128u, 128u, 128u, 5u, 128u, 128u, 2u, "
     "(dpsk::gemm::GemmType)0>(__nv_bfloat16*, float*, int*, unsigned int, unsigned int, "
     "CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st)",
     "fp8_gemm", "PD prefill.json"},
    {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_ptp128c_outfmt_head::GemmKernel>("
     "dpsk::grouped_gemm::cuda::fp8_ptp128c_outfmt_head::GemmKernel::Params)",
     "fp8_gemm", "PD prefill.json"},
    {"void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_ptp128c::GemmKernel>(dpsk::"
     "grouped_gemm::cuda::fp8_ptp128c::GemmKernel::Params)",
     "fp8_gemm", "PD train.json (id)"},
    {"void deep_gemm::fp8_gemm_kernel<7168u, 16384u, 256u, 128u, 128u, 0u, 128u, 1u, 3u, 128u, "
     "128u, 2u, true, (deep_gemm::GemmType)0>(__nv_bfloat16*, float*, int*, unsigned int, "
     "CUtensorMap_st, CUtensorMap_st, CUtensorMap_st, CUtensorMap_st)",
     "fp8_gemm", "SGL DeepGEMM"},
    {"void deep_gemm::sm90_fp8_gemm_1d2d_impl<0u, 0u, 0u, 1u, 128u, 128u, 128u, 128u, 128u, 128u, "
     "5u, 128u, 128u, 1u, true, 132u, (deep_gemm::GemmType)0, deep_gemm::EpilogueIdentity>("
     "float*, int*, unsigned int, unsigned int, unsigned int, CUtensorMap_st, CUtensorMap_st, "
     "CUtensorMap_st, CUtensorMap_st)",
     "fp8_gemm", "SRC DeepGEMM deep_gemm/include/deep_gemm/impls/sm90_fp8_gemm_1d2d.cuh"},
    {"sm90_xmma_gemm_bf16f32_bf16f32_f32_tn_n_tilesize128x256x64_warpgroupsize2x1x1_execute_"
     "segment_k_off_kernel__5x_cublas",
     "bf16_gemm", "PD prefill.json"},
    {"void cutlass::Kernel<cutlass_80_tensorop_bf16_s16816gemm_bf16_128x128_64x3_nn_align8>("
     "cutlass_80_tensorop_bf16_s16816gemm_bf16_128x128_64x3_nn_align8::Params)",
     "bf16_gemm", "PD decode.json"},

    // --- The CNN training traces: convolutions, other GEMMs, layout, norms, elementwise.
    {"sm80_xmma_fprop_implicit_gemm_indexed_tf32f32_tf32f32_f32_nhwckrsc_nchw_tilesize128x128x16_"
     "stage4_warpsize2x2x1_g1_tensor16x8x8_alignc4_execute_kernel_cudnn",
     "conv", "HTA a100-alexnet-small"},
    {"cudnn_infer_volta_scudnn_winograd_128x128_ldg1_ldg4_relu_tile148t_nt_v1", "conv",
     "HTA v100-1rank-training"},
    {"void cudnn::detail::dgrad_engine<float, 512, 6, 5, 3, 3, 3, false>(int, int, int, float "
     "const*, int, float const*, int, float*, kernel_grad_params, unsigned long long, int, "
     "unsigned long long, int, float, int, int, int)",
     "conv", "HTA v100-1rank-training"},
    {"void fft2d_r2c_32x32<float, false, 0u, false>(float2*, float const*, int, int, int, int, "
     "int, int, int, int, int, cudnn::reduced_divisor, bool, int2, int, int)",
     "conv", "HTA a100-alexnet-small"},
    {"void cask_cudnn::computeOffsetsKernel<false, false>(cask_cudnn::ComputeOffsetsParams)",
     "conv", "HTA a100-alexnet-small"},
    {"void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x64_16x4_nn_align4>(cutlass_80_"
     "tensorop_s1688gemm_256x64_16x4_nn_align4::Params)",
     "other_gemm", "HTA a100-2rank-nccl"},
    {"volta_sgemm_64x64_nt", "other_gemm", "HTA v100-1rank-training"},
    {"void cublasLt::splitKreduce_kernel<32, 16, int, float, float, float, float, true, true, "
     "false>(cublasLt::cublasSplitKParams<float>, float const*, float const*, float*, float "
     "const*, float const*, float const*, float const*, float*, void*, long, float*, int*)",
     "other_gemm", "HTA a100-2rank-nccl"},
    {"void cudnn::ops::nchwToNhwcKernel<float, float, float, false, true, "
     "(cudnnKernelDataType_t)2>(cudnn::ops::nchw2nhwc_params_t<float>, float const*, float*)",
     "transpose", "HTA a100-2rank-nccl"},
    {"void cudnn::bn_fw_tr_1C11_kernel_NCHW<float, float, int, 128, true, 1, true>("
     "cudnnTensorStruct, float const*, cudnnTensorStruct, float*, float const*, float const*, "
     "float, float, float*, float*, float*, float*, float, float)",
     "norm", "HTA a100-2rank-nccl"},
    {"void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>, "
     "at::detail::Array<char*, 3> >(int, at::native::CUDAFunctor_add<float>, "
     "at::detail::Array<char*, 3>)",
     "elementwise", "HTA a100-2rank-nccl"},
    {"void at::native::(anonymous namespace)::distribution_elementwise_grid_stride_kernel<float, "
     "4, at::native::templates::cuda::uniform_and_transform<float, float, 4ul, "
     "at::CUDAGeneratorImpl*, at::native::templates::cuda::uniform_kernel",
     "elementwise", "HTA a100-alexnet-small (head)"},
    {"void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<c10::"
     "BFloat16>, at::detail::Array<char*, 3> >(int, at::native::CUDAFunctor_add<c10::BFloat16>, "
     "at::detail::Array<char*, 3>)",
     "elementwise", "PD prefill.json"},
};

// Names of the shipped real traces that are allowed to stay `other` (none at present).
const std::set<std::string> kKnownUnknowns = {};

}  // namespace

TEST_CASE("shipped rules classify real kernel names", "[classify]") {
  const auto c = KernelClassifier::shipped();
  for (const Case& k : kNames) {
    INFO(k.source << ": " << k.name);
    CHECK(cls(c, k.name) == k.klass);
  }
  CHECK(c.classify(ActivityKind::kMemcpy, "Memcpy HtoD (Pageable -> Device)") == "memcpy");
  CHECK(c.classify(ActivityKind::kMemset, "Memset (Device)") == "memset");
}

TEST_CASE("every shipped rule decides at least one real name", "[classify]") {
  const auto c = KernelClassifier::shipped();
  std::map<int, int> hits;
  for (const Case& k : kNames) ++hits[deciding_rule(c, k.name)];
  CHECK(hits.count(-1) == 0);
  for (std::size_t i = 0; i < c.rules().size(); ++i) {
    INFO("rule " << i << ": " << c.rules()[i].klass << " '" << c.rules()[i].pattern << "'");
    CHECK(hits.count(static_cast<int>(i)) == 1);
  }
}

TEST_CASE("names that earlier rules used to take", "[classify]") {
  // The bugs of "Predicted vs measured on real traces", each on its own: FA3's backward is
  // backward; an FA2/FlashMLA split-KV combine is attention, not MoE unpermute; the dpsk
  // library namespace `grouped_gemm` does not make a dense GEMM grouped; FP8 casts are not
  // GEMMs. The class names are checked against what each wrong rule would give.
  const auto c = KernelClassifier::shipped();
  CHECK(cls(c, "void cutlass::device_kernel<flash::FlashAttnBwd<...>>") != "attention_fwd");
  CHECK(cls(c,
            "void flash::flash_fwd_splitkv_mla_combine_kernel<cutlass::bfloat16_t, float, long, "
            "512, 64>(Flash_fwd_mla_params)") != "moe_unpermute");
  CHECK(cls(c,
            "void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_ptp128c_outfmt_head::"
            "GemmKernel>(dpsk::grouped_gemm::cuda::fp8_ptp128c_outfmt_head::GemmKernel::Params)") !=
        "grouped_gemm");
  CHECK(cls(c, "cuda::per_token_cast_to_fp8_with_channels<bf16, 128, ...>") != "fp8_gemm");
  // Only a namespace that is DeepEP's counts: this CUB scan namespace of the same profile
  // (cdpsk::ep::, sampling on the compute stream) merely ends in "dpsk" (constructed name).
  CHECK(cls(c, "void cdpsk::ep::CUB_DeviceScanKernel<int>(int*)").rfind("deepep_", 0) ==
        std::string::npos);
}

TEST_CASE("communication classes: NCCL and DeepEP notify/dispatch/combine", "[classify]") {
  const auto c = KernelClassifier::shipped();
  for (const char* k : {"nccl_comm", "deepep_notify", "deepep_dispatch", "deepep_combine"}) {
    CHECK(c.is_communication(k));
  }
  // DeepEP's layout step is a local count over the routing table: compute, like casts.
  for (const char* k : {"deepep_layout", "fp8_cast", "fp8_gemm", "grouped_gemm", "wgrad_gemm",
                        "attention_fwd", "attention_bwd", "moe_permute", "elementwise"}) {
    CHECK_FALSE(c.is_communication(k));
  }
}

TEST_CASE("no kernel of the real Kineto traces is left unclassified", "[classify]") {
  namespace t = hopsim::profiler::test;
  const auto c = KernelClassifier::shipped();
  for (const std::string name : {"a100-2rank-nccl", "v100-1rank-training", "a100-alexnet-small"}) {
    hopsim::profiler::trace::CollectingSink sink;
    (void)hopsim::profiler::import::import_kineto_file(
        t::data_dir() / "kineto" / (name + ".json.gz"), sink);
    const auto trace = sink.finish();
    std::set<std::string> kernels;
    for (const auto& a : trace.activities) {
      if (a.kind == ActivityKind::kKernel) kernels.emplace(a.name);
    }
    CHECK(kernels.size() > 10);
    for (const auto& k : kernels) {
      if (kKnownUnknowns.contains(k)) continue;
      INFO(name << ": " << k);
      CHECK(cls(c, k) != "other");
    }
  }
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
