#pragma once
//! A parallel training plan: how a model is split over GPUs and scheduled.
//! world = PP * DP * TP; experts are sharded EP-ways inside the DP*TP group (EP divides DP*TP).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hopsim {

enum class ScheduleKind { k1F1B, kInterleaved1F1B, kZbH1, kDualPipe, kDualPipeV };
enum class Precision { kBf16, kFp8 };
enum class StateDtype { kFp32, kBf16, kFp8 };

//! Which activations are recomputed in backward instead of stored.
struct RecomputeConfig {
  bool rmsnorm = false;            //!< DeepSeek-V3 §3.2.3
  bool mla_up_projection = false;  //!< DeepSeek-V3 §3.2.3
  bool swiglu = false;
  bool full = false;  //!< store only each layer's input
};

//! Dtypes of the per-parameter training state.
struct OptimizerStateConfig {
  StateDtype master_weights = StateDtype::kFp32;
  StateDtype gradients = StateDtype::kFp32;
  StateDtype moments = StateDtype::kFp32;  //!< AdamW first and second moments
};

//! Run-to-run variation, from seeded distributions (docs/COST_MODEL.md "Variation"). Off by
//! default: no published figure sets it.
struct VariationConfig {
  //! Coefficient of variation of each rank's compute time between two EP synchronisations
  //! (per-rank clocks, thermals, noise): normal, mean 1.
  double kernel_time_cv = 0.0;
  //! Coefficient of variation of the token copies each EP rank's experts receive per
  //! micro-batch and layer (routing imbalance): the busiest rank's routed experts take longer
  //! and the busiest receiver sets the end of a dispatch/combine phase.
  double routing_cv = 0.0;
  unsigned long long seed = 1;  //!< full mode draws per rank and per kernel from this seed
  [[nodiscard]] bool enabled() const { return kernel_time_cv > 0 || routing_cv > 0; }
};

struct ParallelPlan {
  int pp = 1;
  int dp = 1;
  int tp = 1;
  int ep = 1;
  int micro_batch_size = 1;  //!< sequences per micro-batch
  int micro_batches = 1;     //!< per pipeline per step (DualPipe: both directions together)
  int seq_len = 4096;
  ScheduleKind schedule = ScheduleKind::k1F1B;
  int virtual_stages = 1;  //!< interleaved 1F1B chunks per rank
  //! Interleaved 1F1B: each steady-state forward runs as one overlapped pair with its backward,
  //! one's compute hiding the other's EP all-to-all (Megatron-Core's
  //! overlap_moe_expert_parallel_comm, with one more warm-up forward).
  bool fb_overlap = false;
  //! Main transformer layers on each pipeline stage, in stage order (Megatron-Core's
  //! pipeline_model_parallel_layout); empty: balanced by cost. The embedding is on the first
  //! stage, the MTP modules and the output head on the last.
  std::vector<int> layers_per_stage;
  int comm_sms = 0;    //!< SMs reserved for communication kernels
  int zero_stage = 0;  //!< 0..3
  //! DP gradient reduce-scatter bucket by bucket as backward makes gradients final, hidden
  //! behind the rest of the pipeline (Megatron-Core's --overlap-grad-reduce); false: all of it
  //! after the rank's last backward, as Megatron-Core does by default.
  bool overlap_grad_reduce = true;
  RecomputeConfig recompute;
  Precision gemm_precision = Precision::kBf16;
  OptimizerStateConfig optimizer;
  int node_limit = 0;  //!< max nodes a token is dispatched to (0 = unlimited)
  VariationConfig variation;

  [[nodiscard]] int world_size() const { return pp * dp * tp; }
  [[nodiscard]] long long tokens_per_step() const {
    return static_cast<long long>(dp) * micro_batches * micro_batch_size * seq_len;
  }
};

//! Pipeline stages of the whole model under `plan` (DualPipeV: 2*pp; interleaved: pp*v).
[[nodiscard]] int pipeline_stages(const ParallelPlan& plan);

//! `p` with schedule `k`, and what only the old schedule meant reset: virtual stages and F&B
//! pairs (interleaved 1F1B's), and an explicit layout whose stage count no longer fits. What
//! what-ifs and plan search use to try another schedule.
void use_schedule(ParallelPlan& p, ScheduleKind k);

[[nodiscard]] const char* to_string(ScheduleKind k);
[[nodiscard]] const char* to_string(Precision p);
[[nodiscard]] const char* to_string(StateDtype d);

//! The one spelling of each enum value (what to_string prints, what YAML and the CLI accept), in
//! declaration order; the parsers below accept exactly these.
[[nodiscard]] std::span<const std::string_view> schedule_names();
[[nodiscard]] std::span<const std::string_view> state_dtype_names();
[[nodiscard]] std::optional<ScheduleKind> schedule_from_name(std::string_view name);
[[nodiscard]] std::optional<StateDtype> state_dtype_from_name(std::string_view name);

//! Bytes per element of a training-state dtype.
[[nodiscard]] int bytes_of(StateDtype d);

}  // namespace hopsim
