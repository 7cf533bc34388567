#pragma once
//! What one pipeline stage does for one micro-batch, as sequences of timed sub-ops (kernels and
//! transfers) on a GPU's two lanes: the compute SM partition and the communication SM partition.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "hopsim/core/units.hpp"

namespace hopsim::sim {

//! The GPU partition a sub-op occupies. Sub-ops on one lane run one at a time.
enum class Lane : std::uint8_t { kCompute = 0, kComm = 1 };
inline constexpr int kLaneCount = 2;

//! What a sub-op's time counts as in the result.
enum class WorkClass : std::uint8_t {
  kCompute = 0,
  kEpComm = 1,
  kPpComm = 2,
  kDpComm = 3,
  kTpComm = 4
};
inline constexpr int kWorkClassCount = 5;

//! What part of a layer a sub-op is: DualPipe's F&B pair interleaves these in the published
//! order (DeepSeek-V3 §3.2.1 Figure 4).
enum class Component : std::uint8_t {
  kAttention = 0,
  kMlp = 1,
  kNotifyDispatch = 2,  //!< DeepEP layout + count exchange + barrier
  kDispatch = 3,
  kNotifyCombine = 4,  //!< DeepEP cached notify (barrier)
  kCombine = 5,
};
inline constexpr int kComponentCount = 6;

//! What a communication sub-op moves through one GPU's own ports (send and receive alike, as in
//! a symmetric all-to-all or a point-to-point send), and the latency it pays on top. With a
//! shared step network (StepNetwork::shared) its time comes from flows over those ports.
struct PortTraffic {
  double nic_bytes = 0;
  double nvlink_bytes = 0;
  Nanoseconds latency{};
  [[nodiscard]] bool empty() const { return nic_bytes <= 0 && nvlink_bytes <= 0; }
  //! The same transfer with k times the bytes through each port (latency unchanged).
  [[nodiscard]] PortTraffic with_bytes_scaled(double k) const {
    return {nic_bytes * k, nvlink_bytes * k, latency};
  }
};

//! One op's kernels inside a compute sub-op: what a trace shows of it. An exported trace names
//! each kernel by its class, as the trace classifier names it (profiler/data/kernel_classes.yaml).
struct SubOpKernels {
  std::string op;                //!< the op, e.g. "wq_a", "experts_gate_up"
  const char* trace_class = "";  //!< "fp8_gemm", "attention_bwd", "norm", ...
  Nanoseconds run{};             //!< its kernels' run time, without their launch gaps
  int kernels = 0;               //!< kernels it launches
  bool routed = false;           //!< works on the token copies the rank's experts received
  bool memory_bound = false;     //!< HBM-bound (SubOp::memory_bound): slowed by interference
};

struct SubOp {
  std::string name;  //!< e.g. "L3.attn", "L3.dispatch"
  Lane lane = Lane::kCompute;
  WorkClass cls = WorkClass::kCompute;
  Nanoseconds duration{};
  Flops flops{};            //!< model FLOPs done (for TFLOPS/MFU)
  bool collective = false;  //!< all members of the EP group take part (full mode rendezvous)
  Component component = Component::kAttention;
  int slot = 0;         //!< the unit (layer) of the stage it belongs to, 0 = first in forward order
  PortTraffic traffic;  //!< communication payload; empty for compute and notify
  //! Of `duration`: the HBM-bound kernels (casts, norms, permutes, elementwise), which slow down
  //! while a communication kernel takes its share of HBM bandwidth (StepNetwork).
  Nanoseconds memory_bound{};
  Nanoseconds launch{};  //!< of `duration`: the launch gaps before its `kernels` kernels
  //! Of `duration`: the kernels on the token copies this rank's experts received, which follow
  //! the rank's share of the routing (full mode draws it per rank, ExecutorOptions::routing_cv).
  Nanoseconds routed{};
  int kernels = 0;  //!< kernels a compute sub-op launches (0 for communication)
  //! The kernels a trace shows of it, by op, in launch order: a compute sub-op's ops, and the
  //! forward dispatch notify's layout and count-exchange kernels; empty for the other sub-ops.
  std::vector<SubOpKernels> parts;
};

//! A DeepEP payload phase (dispatch or combine, either pass), as opposed to its notify.
[[nodiscard]] inline bool is_ep_payload(const SubOp& so) {
  return so.component == Component::kDispatch || so.component == Component::kCombine;
}

//! The pass a sub-op belongs to, as its name says: 'W' ("L3.attn.W"), 'B' ("L3.mlp.B",
//! "L3.dispatch.bwd"), else 'F' ("L3.attn", "L3.combine").
[[nodiscard]] inline char sub_op_pass(const SubOp& so) {
  const std::string_view n = so.name;
  if (n.find(".W") != std::string_view::npos) return 'W';
  if (n.find(".B") != std::string_view::npos || n.find(".bwd") != std::string_view::npos) {
    return 'B';
  }
  return 'F';
}

//! One stage's work for one micro-batch. A full backward is backward_input then backward_weight.
struct ChunkProgram {
  std::vector<SubOp> forward;
  std::vector<SubOp> backward_input;
  std::vector<SubOp> backward_weight;
  //! Per slot (block of the stage): the data-parallel reduce-scatter of the block's gradients
  //! through one GPU's ports, one bucket per block, and its time alone (the fast path). It
  //! starts when the rank's last weight gradient of the block is done.
  std::vector<PortTraffic> dp_sync;
  std::vector<Nanoseconds> dp_sync_time;
  //! Slots [layer_slots_begin, layer_slots_end) are transformer layers and MTP modules, which an
  //! F&B pair overlaps; the embedding before them and the output head after them run alone.
  //! By default every slot is a layer.
  int layer_slots_begin = 0;
  int layer_slots_end = std::numeric_limits<int>::max();
};

//! The ports every GPU of the step shares between its transfers: EP payloads and PP sends that
//! overlap in time share a GPU's NIC and NVLink max-min fairly (one engine for the step).
struct StepNetwork {
  bool shared = false;         //!< false: fixed durations (the analytical fast path)
  double nic_capacity = 0;     //!< bytes/s per direction of a GPU's NIC, achievable
  double nvlink_capacity = 0;  //!< bytes/s per direction of a GPU's NVLink, comm-SM limited
  bool pp_over_nic = true;     //!< consecutive stages on different nodes
  PortTraffic pp_forward;      //!< activations to the next stage
  PortTraffic pp_backward;     //!< gradients to the previous stage
  //! Partitions interfere: a payload moving b bytes through the ports in time t takes
  //! k b / t of HBM bandwidth B (k = comm_hbm_bytes_per_wire_byte). A compute sub-op that starts
  //! meanwhile has its memory-bound part stretched by 1 / (1 - share), share = k b / (t B).
  double comm_hbm_bytes_per_wire_byte = 0;  //!< 0 = partitions do not interfere
  double hbm_bandwidth = 0;                 //!< bytes/s, nominal
};

//! Every stage's chunk program plus the pipeline transfers between consecutive stages.
struct PipelineProgram {
  std::vector<ChunkProgram> stages;    //!< indexed by stage along a direction
  Nanoseconds pp_forward_transfer{};   //!< activations to the next stage, alone
  Nanoseconds pp_backward_transfer{};  //!< gradients to the previous stage, alone
  StepNetwork network;
  //! Each gradient bucket's reduce-scatter starts when backward makes it final; false: every
  //! bucket of a rank starts when the rank's last op ends (ParallelPlan::overlap_grad_reduce).
  bool overlap_grad_reduce = true;
};

}  // namespace hopsim::sim
