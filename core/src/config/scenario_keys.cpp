// The declarations the scenario loader reads with (scenario_loader.cpp) and editors build on.
// Bounds are plausibility limits (a value past one is a located error, not a run that allocates
// for minutes); each `about` text is what an editor labels the field with.

#include "hopsim/core/config/scenario_keys.hpp"

#include <charconv>
#include <stdexcept>

#include "hopsim/core/plan.hpp"

namespace hopsim::config {
namespace {

// Choices as the YAML reader lists them; the spellings live with the enums (core/plan.hpp).
std::vector<std::string> choices_of(std::span<const std::string_view> names) {
  return {names.begin(), names.end()};
}

std::vector<KeySpec> root() {
  return {KeySpec{"name", ValueKind::kString, false, {}, false, {}},
          KeySpec{"description", ValueKind::kString, false, {}, false, {}},
          KeySpec{"hardware", ValueKind::kMapping, true, {}, false, {"cluster"}},
          KeySpec{"model", ValueKind::kStringOrMapping, true, {}, false, {}},
          KeySpec{"plan", ValueKind::kMapping, true, {}, false, {"parallel"}},
          KeySpec{"cost", ValueKind::kMapping, false, {}, false, {}}};
}

std::vector<KeySpec> hardware() {
  return {
      about(KeySpec{"gpu", ValueKind::kStringOrMapping, true, {}, false, {"gpu_profile"}}, "GPU"),
      about(KeySpec{"node", ValueKind::kStringOrMapping, true, {}, false, {"node_profile"}},
            "node"),
      about(KeySpec{"fabric", ValueKind::kStringOrMapping, true, {}, false, {"network"}},
            "scale-out fabric"),
      about(at_most(
                KeySpec{
                    "nodes", ValueKind::kPositiveInt, true, {}, false, {"num_nodes", "node_count"}},
                1000000),
            "nodes")};
}

// A GPU profile (hwprofiles/gpus/*.yaml, or `hardware.gpu` written inline): every figure with its
// source, so a scenario that changes one says where the new number came from.
std::vector<KeySpec> gpu_profile() {
  auto sourced = [](std::string name, ValueKind kind, std::string help,
                    std::vector<std::string> aliases = {}) {
    return about(KeySpec{std::move(name), kind, true, {}, true, std::move(aliases)},
                 std::move(help));
  };
  return {KeySpec{"name", ValueKind::kString, true, {}, false, {}},
          KeySpec{"description", ValueKind::kString, false, {}, false, {}},
          sourced("sms", ValueKind::kPositiveInt, "SMs", {"sm_count", "num_sms"}),
          sourced("boost_clock_mhz", ValueKind::kPositiveNumber, "boost clock (MHz)"),
          sourced("sustained_clock_mhz", ValueKind::kPositiveNumber, "sustained clock (MHz)"),
          sourced("bf16_dense_tflops", ValueKind::kPositiveNumber, "BF16 dense peak (TFLOPS)"),
          sourced("fp8_dense_tflops", ValueKind::kPositiveNumber, "FP8 dense peak (TFLOPS)"),
          sourced("fp32_cuda_core_tflops", ValueKind::kPositiveNumber, "FP32 peak (TFLOPS)"),
          sourced("hbm_capacity_bytes", ValueKind::kPositiveInt, "HBM capacity (bytes)"),
          sourced("hbm_bandwidth_gb_per_s", ValueKind::kPositiveNumber, "HBM bandwidth (GB/s)"),
          sourced("l2_cache_bytes", ValueKind::kPositiveInt, "L2 cache (bytes)"),
          sourced("nvlink_bidirectional_gb_per_s", ValueKind::kPositiveNumber,
                  "NVLink, both directions (GB/s)"),
          sourced("nvlink_links", ValueKind::kNonNegativeInt, "NVLink links"),
          sourced("pcie_unidirectional_gb_per_s", ValueKind::kPositiveNumber,
                  "PCIe per direction (GB/s)"),
          sourced("tdp_watts", ValueKind::kPositiveNumber, "TDP (W)"),
          sourced("sm_partition_granularity", ValueKind::kPositiveInt, "SM partition step"),
          // Optional: a rental or amortised price, with its source like every other figure.
          about(KeySpec{"price_per_gpu_hour", ValueKind::kNonNegativeNumber, false, {}, true, {}},
                "price (USD per GPU-hour)")};
}

std::vector<KeySpec> plan() {
  return {
      about(at_most(key("pp", ValueKind::kPositiveInt, true,
                        {"pipeline_parallel", "pipeline_parallel_size", "pp_size",
                         "pipeline_model_parallel_size"}),
                    65536),
            "pipeline parallel (PP)"),
      about(at_most(key("dp", ValueKind::kPositiveInt, true,
                        {"data_parallel", "data_parallel_size", "dp_size"}),
                    1048576),
            "data parallel (DP)"),
      about(at_most(key("tp", ValueKind::kPositiveInt, false,
                        {"tensor_parallel", "tensor_parallel_size", "tp_size",
                         "tensor_model_parallel_size"}),
                    1024),
            "tensor parallel (TP)"),
      about(at_most(key("ep", ValueKind::kPositiveInt, false,
                        {"expert_parallel", "expert_parallel_size", "ep_size",
                         "expert_model_parallel_size"}),
                    1048576),
            "expert parallel (EP)"),
      about(at_most(key("micro_batch_size", ValueKind::kPositiveInt, false, {"mbs", "micro_batch"}),
                    100000),
            "sequences per micro-batch"),
      about(
          at_most(key("micro_batches", ValueKind::kPositiveInt, true,
                      {"num_micro_batches", "num_chunks", "chunks", "gradient_accumulation_steps"}),
                  1000000),
          "micro-batches per step"),
      about(
          at_most(key("seq_len", ValueKind::kPositiveInt, false, {"seq_length", "sequence_length"}),
                  16777216),
          "sequence length (tokens)"),
      about(key("schedule", ValueKind::kEnum, false, {"pipeline_schedule"},
                choices_of(schedule_names())),
            "pipeline schedule"),
      about(at_most(key("virtual_stages", ValueKind::kPositiveInt, false,
                        {"virtual_pipeline_model_parallel_size", "vpp", "chunks_per_rank"}),
                    1024),
            "virtual stages per rank"),
      about(key("fb_overlap", ValueKind::kBool, false,
                {"overlap_moe_expert_parallel_comm", "ep_overlap", "batch_overlap"}),
            "overlap forward and backward pairs"),
      about(key("layers_per_stage", ValueKind::kSequence, false,
                {"pipeline_model_parallel_layout", "layout", "stage_layers"}),
            "layers per pipeline stage (empty: by cost)"),
      about(at_most(key("comm_sms", ValueKind::kNonNegativeInt, false,
                        {"num_sms", "communication_sms"}),
                    100000),
            "SMs for communication"),
      about(key("zero_stage", ValueKind::kNonNegativeInt, false, {"zero"}), "ZeRO stage (0-3)"),
      about(key("overlap_grad_reduce", ValueKind::kBool, false,
                {"overlap_grad_sync", "grad_reduce_overlap", "dp_overlap"}),
            "overlap DP gradient reduce-scatter with backward"),
      about(key("recompute", ValueKind::kSequenceOfEnum, false,
                {"recomputation", "activation_checkpointing"},
                {"rmsnorm", "mla_up_projection", "swiglu", "full"}),
            "recompute in backward"),
      about(key("precision", ValueKind::kEnum, false, {"gemm_precision", "dtype"}, {"fp8", "bf16"}),
            "GEMM precision"),
      key("optimizer", ValueKind::kMapping, false),
      about(at_most(key("node_limit", ValueKind::kNonNegativeInt, false, {"max_nodes_per_token"}),
                    100000),
            "nodes per token (0: any)"),
      key("variation", ValueKind::kMapping, false, {"noise", "jitter"})};
}

std::vector<KeySpec> optimizer() {
  const auto dtypes = choices_of(state_dtype_names());
  return {about(key("master_weights", ValueKind::kEnum, false, {"master"}, dtypes),
                "master weights dtype"),
          about(key("gradients", ValueKind::kEnum, false, {"grads"}, dtypes), "gradients dtype"),
          about(key("moments", ValueKind::kEnum, false, {"adam_moments", "states"}, dtypes),
                "Adam moments dtype")};
}

std::vector<KeySpec> variation() {
  return {
      about(
          key("kernel_time_cv", ValueKind::kNonNegativeNumber, false, {"compute_cv", "kernel_cv"}),
          "kernel time variation (CV)"),
      about(key("routing_cv", ValueKind::kNonNegativeNumber, false, {"routing_skew", "load_cv"}),
            "expert routing variation (CV)"),
      about(key("seed", ValueKind::kNonNegativeInt, false, {"random_seed"}), "random seed")};
}

std::vector<KeySpec> cost() {
  return {
      about(at_most(key("price_per_gpu_hour", ValueKind::kNonNegativeNumber, false,
                        {"usd_per_gpu_hour", "gpu_hour_price"}),
                    1000),
            "USD per GPU-hour"),
      about(at_most(key("pue", ValueKind::kPositiveNumber, false), 5),
            "power usage effectiveness (PUE)"),
      about(at_most(key("training_tokens", ValueKind::kPositiveNumber, false, {"tokens"}), 1e+17),
            "training tokens"),
      key("interruptions", ValueKind::kMapping, false, {"failures", "goodput"})};
}

// Both or neither: a rate without a loss (or the reverse) says nothing about the run.
std::vector<KeySpec> interruptions() {
  return {about(at_most(key("gpu_hours_between", ValueKind::kPositiveNumber, true,
                            {"mtbf_gpu_hours", "mtbi_gpu_hours"}),
                        1e12),
                "GPU-hours per job interruption"),
          about(at_most(key("minutes_lost", ValueKind::kNonNegativeNumber, true,
                            {"lost_minutes", "minutes_lost_per_interruption"}),
                        1e6),
                "minutes lost per interruption")};
}

// Shortest text that reads back as the same double ("2", "0.02", "1.48e+13").
std::string number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

}  // namespace

namespace {

// The declarations of one mapping, or nullptr for a name that is not a mapping of the file.
const std::vector<KeySpec>* keys_of(std::string_view mapping) {
  static const std::vector<KeySpec> kRoot = root();
  static const std::vector<KeySpec> kHardware = hardware();
  static const std::vector<KeySpec> kGpu = gpu_profile();
  static const std::vector<KeySpec> kPlan = plan();
  static const std::vector<KeySpec> kOptimizer = optimizer();
  static const std::vector<KeySpec> kVariation = variation();
  static const std::vector<KeySpec> kCost = cost();
  static const std::vector<KeySpec> kInterruptions = interruptions();
  if (mapping.empty()) return &kRoot;
  if (mapping == "hardware") return &kHardware;
  if (mapping == "hardware.gpu") return &kGpu;
  if (mapping == "plan") return &kPlan;
  if (mapping == "plan.optimizer") return &kOptimizer;
  if (mapping == "plan.variation") return &kVariation;
  if (mapping == "cost") return &kCost;
  if (mapping == "cost.interruptions") return &kInterruptions;
  return nullptr;
}

}  // namespace

const std::vector<KeySpec>& scenario_keys(std::string_view mapping) {
  if (const auto* keys = keys_of(mapping)) return *keys;
  throw std::out_of_range("no scenario mapping '" + std::string(mapping) + "'");
}

const KeySpec* find_scenario_key(std::string_view dotted) {
  const auto dot = dotted.rfind('.');
  const std::string_view mapping = dot == std::string_view::npos ? "" : dotted.substr(0, dot);
  const std::string_view name = dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
  const auto* keys = keys_of(mapping);
  if (keys == nullptr) return nullptr;
  for (const KeySpec& k : *keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::optional<std::string> scenario_value(const Scenario& s, std::string_view k) {
  const ParallelPlan& p = s.plan;
  const auto i = [](long long v) { return std::to_string(v); };
  if (k == "hardware.nodes") return i(s.cluster.num_nodes);
  if (k.starts_with("hardware.gpu.")) {
    const GpuProfile& g = s.cluster.gpu;
    const std::string_view f = k.substr(13);
    const auto n = [](double v) { return number(v); };
    if (f == "sms") return i(g.sms);
    if (f == "boost_clock_mhz") return n(g.boost_clock_mhz);
    if (f == "sustained_clock_mhz") return n(g.sustained_clock_mhz);
    if (f == "bf16_dense_tflops") return n(g.bf16_dense.value() / 1e12);
    if (f == "fp8_dense_tflops") return n(g.fp8_dense.value() / 1e12);
    if (f == "fp32_cuda_core_tflops") return n(g.fp32_cuda_core.value() / 1e12);
    if (f == "hbm_capacity_bytes") return i(g.hbm_capacity.value());
    if (f == "hbm_bandwidth_gb_per_s") return n(g.hbm_bandwidth.value() / 1e9);
    if (f == "l2_cache_bytes") return i(g.l2_cache.value());
    if (f == "nvlink_bidirectional_gb_per_s") return n(g.nvlink_bidirectional.value() / 1e9);
    if (f == "nvlink_links") return i(g.nvlink_links);
    if (f == "pcie_unidirectional_gb_per_s") return n(g.pcie_unidirectional.value() / 1e9);
    if (f == "tdp_watts") return n(g.tdp_watts);
    if (f == "sm_partition_granularity") return i(g.sm_partition_granularity);
    return std::nullopt;
  }
  if (k == "plan.pp") return i(p.pp);
  if (k == "plan.dp") return i(p.dp);
  if (k == "plan.tp") return i(p.tp);
  if (k == "plan.ep") return i(p.ep);
  if (k == "plan.micro_batch_size") return i(p.micro_batch_size);
  if (k == "plan.micro_batches") return i(p.micro_batches);
  if (k == "plan.seq_len") return i(p.seq_len);
  if (k == "plan.schedule") return std::string(to_string(p.schedule));
  if (k == "plan.virtual_stages") return i(p.virtual_stages);
  if (k == "plan.fb_overlap") return std::string(p.fb_overlap ? "true" : "false");
  if (k == "plan.layers_per_stage") {
    std::string out;
    for (int c : p.layers_per_stage) out += (out.empty() ? "" : ", ") + std::to_string(c);
    return "[" + out + "]";
  }
  if (k == "plan.comm_sms") return i(p.comm_sms);
  if (k == "plan.zero_stage") return i(p.zero_stage);
  if (k == "plan.overlap_grad_reduce") return std::string(p.overlap_grad_reduce ? "true" : "false");
  if (k == "plan.recompute") {
    std::string out;
    const std::pair<bool, const char*> items[] = {
        {p.recompute.rmsnorm, "rmsnorm"},
        {p.recompute.mla_up_projection, "mla_up_projection"},
        {p.recompute.swiglu, "swiglu"},
        {p.recompute.full, "full"}};
    for (const auto& [on, name] : items) {
      if (on) out += (out.empty() ? "" : ", ") + std::string(name);
    }
    return "[" + out + "]";
  }
  if (k == "plan.precision") return std::string(to_string(p.gemm_precision));
  if (k == "plan.optimizer.master_weights")
    return std::string(to_string(p.optimizer.master_weights));
  if (k == "plan.optimizer.gradients") return std::string(to_string(p.optimizer.gradients));
  if (k == "plan.optimizer.moments") return std::string(to_string(p.optimizer.moments));
  if (k == "plan.node_limit") return i(p.node_limit);
  if (k == "plan.variation.kernel_time_cv") return number(p.variation.kernel_time_cv);
  if (k == "plan.variation.routing_cv") return number(p.variation.routing_cv);
  if (k == "plan.variation.seed") return i(static_cast<long long>(p.variation.seed));
  if (k == "cost.price_per_gpu_hour") return number(s.cost.price_per_gpu_hour);
  if (k == "cost.pue") return number(s.cost.pue);
  if (k == "cost.training_tokens") return number(s.cost.training_tokens);
  if (k == "cost.interruptions.gpu_hours_between" && s.cost.interruptions)
    return number(s.cost.interruptions->gpu_hours_between);
  if (k == "cost.interruptions.minutes_lost" && s.cost.interruptions)
    return number(s.cost.interruptions->minutes_lost);
  return std::nullopt;
}

}  // namespace hopsim::config
