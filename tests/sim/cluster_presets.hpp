#pragma once
//! H800 and H100 cluster presets for sim tests, built in C++ (independent of the YAML loaders).
//! Figures from /work/shared/REFERENCE.md §6 unless marked "assumed".

#include "hopsim/core/hardware.hpp"

namespace hopsim::test {

inline GpuProfile h800_gpu() {
  GpuProfile g;
  g.name = "H800 SXM5";
  g.sms = 132;                   // REFERENCE §6 (S2 p.20)
  g.boost_clock_mhz = 1830;      // §6 (S6)
  g.sustained_clock_mhz = 1600;  // §6 (S6 deep-dive: ~1600 MHz throttle)
  g.bf16_dense = tflops(989);    // §6
  g.fp8_dense = tflops(1979);    // §6 [D]: 2x BF16
  g.hbm_capacity = Bytes(80LL * 1000 * 1000 * 1000);
  g.hbm_bandwidth = gb_per_s(3350);        // §6
  g.nvlink_bidirectional = gb_per_s(400);  // §6: 400 GB/s bidirectional, 8 NVLink4 links
  g.nvlink_links = 8;
  g.pcie_unidirectional = gb_per_s(64);  // assumed: PCIe Gen5 x16 nominal (not in REFERENCE)
  g.tdp_watts = 700;
  return g;
}

inline GpuProfile h100_gpu() {
  GpuProfile g = h800_gpu();
  g.name = "H100 SXM5";
  g.bf16_dense = tflops(989.4);            // §6
  g.nvlink_bidirectional = gb_per_s(900);  // §6: 18 links x 50 GB/s bidirectional
  g.nvlink_links = 18;
  return g;
}

//! 8 GPUs per node, one 400 Gb/s (50 GB/s) CX7 NIC per GPU (§6, S7 and S2 p.13).
inline NodeProfile hgx_node() {
  NodeProfile n;
  n.name = "HGX 8-GPU";
  n.gpus_per_node = 8;
  n.nvswitch = true;
  n.nics_per_node = 8;
  n.nic_unidirectional = gb_per_s(50);
  n.nvlink_latency = us(1);  // assumed
  n.nic_latency = us(2);     // assumed
  return n;
}

//! Rail-optimised, non-blocking, one plane of 400 Gb/s IB (assumed layout; §2 names only "IB").
inline FabricProfile ib_fabric() {
  FabricProfile f;
  f.name = "IB NDR rail-optimised";
  f.topology = FabricTopology::kRailOptimized;
  f.planes = 1;
  f.oversubscription = 1.0;
  f.leaf_radix = 64;
  f.link_unidirectional = gb_per_s(50);
  f.switch_latency = ns(500);  // assumed
  return f;
}

inline ClusterProfile h800_cluster(int nodes) {
  return ClusterProfile{h800_gpu(), hgx_node(), ib_fabric(), nodes};
}
inline ClusterProfile h100_cluster(int nodes) {
  return ClusterProfile{h100_gpu(), hgx_node(), ib_fabric(), nodes};
}

}  // namespace hopsim::test
