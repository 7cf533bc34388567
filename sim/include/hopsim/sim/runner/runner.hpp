#pragma once
//! The runner: scenario -> workload -> cost model -> pipeline program -> engine -> SimResult.
//! One call answers "how long is a step, what does it cost, and why".

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hopsim/core/scenario.hpp"
#include "hopsim/core/units.hpp"
#include "hopsim/core/workload/memory.hpp"
#include "hopsim/core/workload/placement.hpp"
#include "hopsim/sim/cost/cost_model.hpp"
#include "hopsim/sim/runner/execution_graph.hpp"
#include "hopsim/sim/runner/pipeline_executor.hpp"
#include "hopsim/sim/runner/pipeline_program.hpp"
#include "hopsim/sim/schedule/schedule.hpp"

namespace hopsim::sim {

enum class SimMode {
  kSymmetry,  //!< one data-parallel replica of the pipeline; collectives from the network model
  kFull,      //!< every pipeline replica, EP collectives rendezvous across replicas
};

//! One executed sub-op of pipeline replica 0, for timeline views (the GUI): what, where, when.
struct TimelineSlice {
  int rank = 0;
  Lane lane = Lane::kCompute;
  WorkClass cls = WorkClass::kCompute;
  OpType type = OpType::kF;  //!< the schedule op it belongs to (F, B, W, F&B, ...)
  bool backward = false;     //!< part of a backward chunk (B or W work)
  int micro_batch = 0;
  int direction = 0;  //!< DualPipe: 0 enters at rank 0, 1 at rank PP-1
  int stage = 0;
  Nanoseconds start{};
  Nanoseconds end{};
  const SubOp* op = nullptr;  //!< name, FLOPs, traffic; valid while the SimResult lives
  Stretch stretch;            //!< how the engine stretched it (SubOpEvent::stretch)
};

struct RunOptions {
  SimMode mode = SimMode::kSymmetry;
  //! Cost-model parameters; nullopt = default_cost_parameters(gpu) (or a calibration file's).
  std::optional<CostParameters> cost;
  //! Where to stream the Chrome-trace timeline (nullptr = none).
  std::ostream* trace = nullptr;
  //! Full mode: the pipeline replicas (DP*TP of them) the trace shows, each as its own set of
  //! ranks; empty = replica 0 only. `trace_all_replicas` shows every one (16,384 GPUs is a big
  //! file). PlanError for a replica the plan does not have.
  std::vector<int> trace_replicas;
  bool trace_all_replicas = false;
  //! Full mode: per-replica compute slowdown (stragglers), empty = none.
  std::vector<double> replica_compute_scale;
  //! Transfers share GPU ports on the step's engine (true) or keep stand-alone durations.
  bool shared_network = true;
  //! Collect the timeline of pipeline replica 0 into SimResult::timeline (and keep the program
  //! its slices point into in SimResult::program).
  bool collect_timeline = false;
  //! Full mode: called as the EP groups are simulated (done, total), for a progress display.
  std::function<void(int done, int total)> progress;
  //! Stop simulating once the pipeline passes this time (0 = never): SimResult::stopped is set
  //! and only the scenario, mode and times (all lower bounds) are filled. For searches that
  //! already hold plans faster than this.
  Nanoseconds stop_after{0};
};

//! Gradient reduce-scatter over a data-parallel group, per byte of gradients: the bytes it moves
//! through one GPU's NIC and NVLink ports, its fixed latency, and its time alone. All zero for a
//! group of one.
struct DpSyncRate {
  double nic_per_byte = 0;
  double nvlink_per_byte = 0;
  Nanoseconds latency{};
  double seconds_per_byte = 0;  //!< alone, beyond the latency
  //! Capacities (bytes/s) of the GPU ports the reduce-scatter crosses (0 where it uses none):
  //! the step network needs them even when no other communication crosses those ports.
  double nic_capacity = 0;
  double nvlink_capacity = 0;
};

//! Time per micro-batch and stage of each communication the pipeline needs. DeepEP's normal
//! kernels run in phases (deepseek-ai/DeepEP csrc/kernels/internode.cu): a dispatch is
//! `get_dispatch_layout` + `notify_dispatch` (count exchange over the EP group, then a barrier)
//! + payload; a combine is `cached_notify` (barrier) + payload. Payload precision follows
//! DeepSeek-V3 §3.3.3: both dispatch patterns in FP8, both combines in BF16.
struct CommTimes {
  Nanoseconds dispatch{};              //!< forward dispatch payload, FP8
  Nanoseconds combine{};               //!< forward combine payload, BF16
  Nanoseconds dispatch_backward{};     //!< backward of combine: gradients to the experts (dispatch
                                       //!< pattern, FP8)
  Nanoseconds combine_backward{};      //!< backward of dispatch: gradients to the token owners
                                       //!< (combine pattern, BF16)
  Nanoseconds notify_dispatch{};       //!< layout + count exchange + barrier, before a dispatch
  Nanoseconds notify_combine{};        //!< barrier before a combine
  Nanoseconds notify_layout{};         //!< the layout kernel inside notify_dispatch (memory-bound)
  Nanoseconds notify_layout_launch{};  //!< of notify_layout: its launch gap
  //! The layout kernel's run time, without its launch gap (what a trace times as the kernel).
  [[nodiscard]] Nanoseconds notify_layout_run() const {
    return notify_layout - notify_layout_launch;
  }
  Nanoseconds pp_forward{};
  Nanoseconds pp_backward{};
  //! One all-reduce of the hidden state over the TP group (BF16, ring), twice per layer in
  //! forward (after attention and after the MLP) and twice in backward; 0 without TP.
  Nanoseconds tp_allreduce{};
  //! The same transfers as bytes through one GPU's ports, for the shared step network; a
  //! transfer alone takes max(bytes / capacity) + latency = the time above.
  PortTraffic dispatch_traffic, combine_traffic, pp_traffic, tp_traffic;
  double nic_capacity = 0;
  double nvlink_capacity = 0;
  bool pp_over_nic = true;
  double ep_bottleneck_gbps = 0;  //!< bandwidth of the bottleneck link class, as DeepEP reports
  std::string ep_bottleneck;      //!< "nvlink" or "rdma"
  //! Gradient reduce-scatter of the dense parameters over DP and of the experts over the
  //! experts' DP (DP*TP/EP). A default CommTimes is a step without communication.
  DpSyncRate dense_sync, expert_sync;
};

//! One micro-batch through one unit (layer, MTP module, embedding or head) on the compute
//! partition, by component, and its EP communication. B includes recomputation.
struct LayerComponents {
  std::string unit;  //!< "L3", "embedding", "head"; MTP modules are L<n_layers + d>
  std::string kind;  //!< dense, moe, mtp, embedding, head
  Nanoseconds attention_f{}, attention_b{}, attention_w{};
  Nanoseconds mlp_f{}, mlp_b{}, mlp_w{};
  Nanoseconds dispatch_f{}, dispatch_b{}, combine_f{}, combine_b{};  //!< payload phases
  Nanoseconds notify{};    //!< all notify phases of the unit's four DeepEP calls
  Nanoseconds non_gemm{};  //!< of the compute: casts, norms, permutes, routing, elementwise
  int kernels = 0;         //!< launches per forward + backward, DeepEP's included
};

struct SimResult {
  std::string scenario;
  SimMode mode = SimMode::kSymmetry;  //!< how the step was simulated (RunOptions::mode)
  VariationConfig variation;          //!< the plan's variation the step was simulated with
  //! Stopped at RunOptions::stop_after: step_time and pipeline_time are that bound, the rest
  //! is unset.
  bool stopped = false;
  Nanoseconds step_time{};
  Nanoseconds pipeline_time{};   //!< schedule makespan
  Nanoseconds dp_exposed{};      //!< DP gradient sync not hidden behind backward
  Nanoseconds optimizer_time{};  //!< optimizer step + ZeRO all-gather + FP8 re-quantisation
  double tokens_per_step = 0;
  double tokens_per_second = 0;
  double tokens_per_second_per_gpu = 0;
  double model_flops_per_step = 0;  //!< 6*N-style training FLOPs incl. attention (and MTP)
  double tflops_per_gpu = 0;
  double mfu_bf16 = 0;               //!< against the nominal dense BF16 peak at boost clock
  double mfu_fp8 = 0;                //!< against the nominal dense FP8 peak
  double bubble_fraction = 0;        //!< compute-lane idle not explained by exposed comm
  double exposed_comm_fraction = 0;  //!< comm with the compute lane idle, per step
  double compute_utilisation = 0;    //!< compute lane busy / step, mean over ranks
  double comm_utilisation = 0;       //!< comm lane busy / step, mean over ranks
  CommTimes comm;
  int compute_sms = 0;
  int comm_sms = 0;
  std::vector<int> layers_per_stage;
  std::vector<LayerComponents> layers;  //!< every unit of the model, in model order
  //! Median duration of a DualPipe F&B pair (both chunks, op start to op end) per pipeline rank;
  //! 0 where a rank runs none (other schedules).
  std::vector<Nanoseconds> pair_time_per_rank;
  //! With RunOptions::collect_timeline: every sub-op of replica 0 in completion order, and the
  //! program they point into.
  std::vector<TimelineSlice> timeline;
  //! With RunOptions::collect_timeline: every pipeline send of replica 0 (activations forward,
  //! gradients backward), in the order they ended, for flows from sender to receiver.
  std::vector<TransferEvent> transfers;
  std::shared_ptr<const PipelineProgram> program;
  std::vector<std::string> warnings;
  ExecutionResult execution;
  //! The share of the run's wall-clock time that trains (CostInputs::interruptions; 1 without).
  double effective_training_time = 1.0;
  // Cost per trillion tokens, wall-clock: step time / effective_training_time.
  double gpu_hours_per_trillion = 0;
  double days_per_trillion = 0;
  double dollars_per_trillion = 0;
  double energy_kwh_per_trillion = 0;
  double avg_power_watts = 0;  //!< per GPU, from utilisation
  std::string cost_source;
};

//! Runs a scenario. Throws PlanError / ConfigError for impossible input.
[[nodiscard]] SimResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

//! The per-stage chunk programs of a scenario (exposed for tests and the GUI).
//! `expected_stragglers`: fold the expected slowest EP peer into each notify and the expected
//! busiest receiver into each payload (symmetry mode); false when the executor draws per-rank
//! variation itself (full mode). `shared_network`: EP
//! payloads and PP sends share each GPU's ports as flows on the step's engine; false replays
//! each at its stand-alone duration (the analytical fast path).
[[nodiscard]] PipelineProgram build_pipeline_program(const Scenario& scenario,
                                                     const CostModel& cost, const CommTimes& comm,
                                                     int stages, std::vector<int>* layers_per_stage,
                                                     bool expected_stragglers = true,
                                                     bool shared_network = true);

//! The scenario's step as an execution graph (build_execution_graph) of `replicas` pipeline
//! replicas: 1, or a multiple of EP up to DP*TP (whole EP groups). Each sub-op keeps its
//! stand-alone duration (the analytical fast path, no HBM interference, no per-rank draws; a
//! scenario's variation enters as symmetry mode's expected waits and busiest payloads): what
//! another simulator should add is its own network. Throws PlanError for other replica counts.
[[nodiscard]] ExecutionGraph scenario_execution_graph(const Scenario& scenario, int replicas,
                                                      const RunOptions& options = {});
//! The same, GPU by GPU into `on_gpu` (for writers that stream); returns the groups.
std::map<int, std::vector<int>> scenario_execution_graph(const Scenario& scenario, int replicas,
                                                         const GraphGpuSink& on_gpu,
                                                         const RunOptions& options = {});

//! Communication times of a scenario from the network model.
[[nodiscard]] CommTimes communication_times(const Scenario& scenario, const CostModel& cost);

//! The entry of predicted_class_times and predicted_component_group_times that holds the launch
//! gaps (CostParameters::launch_overhead per kernel): a trace shows them between kernels.
inline constexpr const char* kLaunchGaps = "launch_gaps";

//! Predicted GPU busy time per step on one pipeline rank, by kernel class, named as the trace
//! classifier names them (profiler/data/kernel_classes.yaml): fp8_gemm, bf16_gemm, grouped_gemm,
//! wgrad_gemm, attention_fwd, attention_bwd, moe_routing, norm, elementwise, fp8_cast and the
//! DeepEP classes deepep_layout, deepep_notify, deepep_dispatch, deepep_combine: the kernels'
//! run time; the compute kernels' launch gaps are the kLaunchGaps entry (the layout kernel's,
//! on the communication stream, is in neither). For comparison with a measured trace; rank -1
//! means the mean over ranks.
[[nodiscard]] std::map<std::string, Nanoseconds> predicted_class_times(
    const Scenario& scenario, const RunOptions& options = {}, int rank = -1);

//! Predicted GPU time per step on one pipeline rank (-1: the mean over ranks), by component as
//! SimResult::layers names them: attention_f/b/w, mlp_f/b/w and, for MoE units, dispatch_f/b and
//! combine_f/b with their notify phases: the kernels' run time, without their launch gaps (an
//! annotation's time in a trace is its kernels' durations). For comparison with annotated traces.
[[nodiscard]] std::map<std::string, Nanoseconds> predicted_component_times(
    const Scenario& scenario, const RunOptions& options = {}, int rank = -1);

//! The components of predicted_component_times split by the cost model's time-scale group of
//! each kernel (gemm, attention, memory_bound, deepep_payload, deepep_notify), and the launch
//! gaps as the kLaunchGaps group: the basis `calibrate --from-trace` fits
//! CostParameters::time_scale with.
[[nodiscard]] std::map<std::string, std::map<std::string, Nanoseconds>>
predicted_component_group_times(const Scenario& scenario, const RunOptions& options = {},
                                int rank = -1);

//! What the step engine makes of pipeline rank `rank`'s components (-1: the mean over ranks) per
//! step, where it differs from the analytical component times: the time HBM interference between
//! the partitions adds to each compute component (a compute sub-op that starts while the
//! communication partition moves a payload; CostParameters::comm_hbm_bytes_per_wire_byte), and
//! each DeepEP component's payloads as they ran, sharing the GPU's ports with the other traffic.
//! Runs the step once (symmetry mode, variation off). The basis `calibrate --from-trace` fits
//! the interference and the payload scale with.
struct EngineComponentTimes {
  std::map<std::string, Nanoseconds> interference;  //!< attention_f ... mlp_w; absent = none
  std::map<std::string, Nanoseconds> payload;       //!< dispatch_f ... combine_b
};
[[nodiscard]] EngineComponentTimes engine_component_times(const Scenario& scenario,
                                                          const RunOptions& options = {},
                                                          int rank = -1);

//! Component times of every unit of the scenario's model (what SimResult::layers holds).
[[nodiscard]] std::vector<LayerComponents> layer_components(const Scenario& scenario,
                                                            const CostModel& cost,
                                                            const CommTimes& comm);

//! The stage placement the runner simulates: place_stages balanced by this cost model's time
//! of each unit (forward, input and weight gradient, recompute, on the compute partition).
[[nodiscard]] StagePlacement stage_placement(const Scenario& scenario, const CostModel& cost);

//! Memory per pipeline rank with the runner's placement: what `hopsim memory`, the run's memory
//! check and plan search report.
[[nodiscard]] std::vector<MemoryBreakdown> rank_memory(const Scenario& scenario,
                                                       const RunOptions& options = {});

//! A user-facing run: the plan validated (throws PlanError listing every problem), the run, the
//! plan's warnings and the memory check with the runner's placement added to the result's
//! warnings. The one wrapper the CLI, reports, the what-if study and the GUI use.
struct CheckedRun {
  SimResult result;
  std::vector<MemoryBreakdown> ranks;  //!< memory of every pipeline rank
  MemoryBreakdown memory;              //!< the worst of them
};
[[nodiscard]] CheckedRun run_checked(const Scenario& scenario, const RunOptions& options = {});

//! Average power per GPU: idle + (TDP - idle) * compute utilisation. Idle is 30% of TDP, a
//! modelling default (docs/COST_MODEL.md).
[[nodiscard]] double gpu_power_watts(const GpuProfile& gpu, double compute_utilisation);

}  // namespace hopsim::sim
