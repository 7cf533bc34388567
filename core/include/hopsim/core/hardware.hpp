#pragma once
//! Hardware profiles: nominal figures of a GPU, a node and a fabric, each with its source.
//! What kernels or links achieve is a cost-model or calibration parameter, not stored here.

#include <string>
#include <vector>

#include "hopsim/core/units.hpp"

namespace hopsim {

//! One GPU model (e.g. H800 SXM5, H100 SXM5). Peaks are dense (no sparsity) at boost clock.
struct GpuProfile {
  std::string name;
  int sms = 0;
  double boost_clock_mhz = 0;
  double sustained_clock_mhz = 0;  //!< clock seen under sustained tensor-core load
  FlopsPerSecond bf16_dense{};
  FlopsPerSecond fp8_dense{};
  FlopsPerSecond fp32_cuda_core{};  //!< non-tensor FP32 (elementwise, norms)
  Bytes hbm_capacity{};
  BytesPerSecond hbm_bandwidth{};
  Bytes l2_cache{};
  BytesPerSecond nvlink_bidirectional{};  //!< per GPU, both directions together
  int nvlink_links = 0;
  BytesPerSecond pcie_unidirectional{};
  double tdp_watts = 0;
  int sm_partition_granularity = 8;  //!< green-context SM splits come in multiples of this
  //! USD per GPU-hour where the profile cites one (0: none); a scenario's cost overrides it.
  double price_per_gpu_hour = 0;

  //! NVLink per direction: half of the bidirectional figure.
  [[nodiscard]] BytesPerSecond nvlink_unidirectional() const { return nvlink_bidirectional / 2.0; }
};

//! One server: GPUs joined by NVSwitch, one scale-out NIC per GPU.
struct NodeProfile {
  std::string name;
  int gpus_per_node = 8;
  bool nvswitch = true;
  int nics_per_node = 8;
  BytesPerSecond nic_unidirectional{};  //!< per NIC, one direction
  Nanoseconds nvlink_latency{};
  Nanoseconds nic_latency{};
};

enum class FabricTopology { kRailOptimized, kFatTree };

//! The scale-out network between nodes.
struct FabricProfile {
  std::string name;
  FabricTopology topology = FabricTopology::kRailOptimized;
  int planes = 1;
  double oversubscription = 1.0;  //!< leaf downlink : uplink bandwidth ratio (1 = non-blocking)
  int leaf_radix = 64;            //!< ports per leaf switch
  BytesPerSecond link_unidirectional{};
  Nanoseconds switch_latency{};
};

//! A whole cluster: `num_nodes` identical nodes of `gpu` on `fabric`.
struct ClusterProfile {
  GpuProfile gpu;
  NodeProfile node;
  FabricProfile fabric;
  int num_nodes = 1;
  [[nodiscard]] int num_gpus() const { return num_nodes * node.gpus_per_node; }
};

}  // namespace hopsim
