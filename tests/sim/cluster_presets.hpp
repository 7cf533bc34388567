#pragma once
//! H800 and H100 cluster presets for sim tests, built in C++ (independent of the YAML loaders).
//! Figures from the shipped hardware profiles' sources (hwprofiles/gpus, nodes, fabrics: vendor
//! and DeepSeek figures, each cited there) unless marked "assumed".

#include "hopsim/core/hardware.hpp"

namespace hopsim::test {

inline GpuProfile h800_gpu() {
  GpuProfile g;
  g.name = "H800 SXM5";
  g.sms = 132;                   // DeepSeek-V3 report §3.5.1, p.20
  g.boost_clock_mhz = 1830;      // FlashMLA docs/20250929-hopper-fp8-sparse-deep-dive.md
  g.sustained_clock_mhz = 1600;  // FlashMLA docs/20250422-new-kernel-deep-dive.md: ~1600 MHz
  g.bf16_dense = tflops(989);    // FlashMLA docs/20250422-new-kernel-deep-dive.md
  g.fp8_dense = tflops(1979);    // derived: 2x BF16 (aliyun/SimAI device_sku_config.py: 1979)
  g.hbm_capacity = Bytes(80LL * 1000 * 1000 * 1000);
  g.hbm_bandwidth = gb_per_s(3350);  // FlashMLA docs/20250422-new-kernel-deep-dive.md
  // 400 GB/s bidirectional, 8 NVLink4 links (third-party: tumgag.com, philisun.com; SimAI).
  g.nvlink_bidirectional = gb_per_s(400);
  g.nvlink_links = 8;
  g.pcie_unidirectional = gb_per_s(64);  // assumed: PCIe Gen5 x16 nominal (PCI-SIG 5.0)
  g.tdp_watts = 700;
  return g;
}

inline GpuProfile h100_gpu() {
  GpuProfile g = h800_gpu();
  g.name = "H100 SXM5";
  g.bf16_dense = tflops(989.4);  // glennklockwood.com/garden/processors/h100
  // 18 links x 50 GB/s bidirectional (third-party: tumgag.com, philisun.com; SimAI calbusbw.h).
  g.nvlink_bidirectional = gb_per_s(900);
  g.nvlink_links = 18;
  return g;
}

//! 8 GPUs per node, one 400 Gb/s (50 GB/s) CX7 NIC per GPU (deepseek-ai/DeepEP README @ebfe47e
//! and DeepSeek-V3 report §3.2.2, p.13).
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

//! Rail-optimised, non-blocking, one plane of 400 Gb/s IB (assumed layout; DeepSeek-V3 report
//! §3.1 names only "IB").
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
