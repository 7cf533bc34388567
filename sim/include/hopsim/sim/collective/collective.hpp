#pragma once
//! Collectives built from transfers: DeepEP-style MoE dispatch/combine, ring/tree all-reduce,
//! reduce-scatter, all-gather, p2p; each reports time, nccl-tests/DeepEP bandwidths, link use.

#include <cstdint>
#include <string>
#include <vector>

#include "hopsim/core/hardware.hpp"
#include "hopsim/sim/network/network.hpp"

namespace hopsim::sim {

//! The GPUs taking part, in rank order (a ring visits them in this order).
struct GroupSpec {
  std::vector<int> gpus;
  [[nodiscard]] static GroupSpec contiguous(int n, int first = 0);
  //! n GPUs first, first + stride, ...: e.g. stride = gpus_per_node for one GPU per node (a rail).
  [[nodiscard]] static GroupSpec strided(int n, int first, int stride);
  //! The first n GPUs in a snake over nodes (0..g-1 on even nodes, g-1..0 on odd ones), so each
  //! ring hop between nodes joins GPUs of the same local index and stays on one rail, as NCCL
  //! arranges its rings on rail-optimised fabrics.
  [[nodiscard]] static GroupSpec rail_aligned(int n, int gpus_per_node);
};

enum class Algorithm { kRing, kTree };

//! Bytes of FP32 scales an FP8 token carries: one per 128 channels (DeepSeek-V3 report §3.3.2,
//! 1x128 tile-wise activation quantisation; DeepEP sends them with the token).
[[nodiscard]] constexpr Bytes fp8_scale_bytes_per_token(int hidden) {
  return Bytes((std::int64_t{hidden} + 127) / 128 * 4);
}

//! One MoE layer's expert-parallel all-to-all, DeepEP V1 normal-kernel style. Defaults are
//! DeepEP's training benchmark setting (deepseek-ai/DeepEP README @ebfe47e): 4096 tokens, hidden
//! 7168, top-8 experts in at most 4 nodes, FP8 dispatch with one FP32 scale per 128 channels, BF16
//! combine.
struct MoeCommSpec {
  int ep_ranks = 64;
  int first_gpu = 0;  //!< the group is GPUs first_gpu .. first_gpu + ep_ranks - 1
  std::int64_t tokens_per_rank = 4096;
  int hidden = 7168;
  int top_k = 8;
  int node_limit = 4;  //!< at most this many nodes per token (M); <= 0 means no limit
  int num_experts = 256;
  int bytes_per_element = 1;                            //!< dispatch payload (FP8)
  Bytes scale_bytes = fp8_scale_bytes_per_token(7168);  //!< dispatch scales per token
  int combine_bytes_per_element = 2;                    //!< combine payload (BF16)
  int comm_sms = 20;  //!< SMs of the communication partition; 0 = not SM-limited
  //! Uneven routing: destination rank j receives (1 + skew (2j/(n-1) - 1)) times the mean, so the
  //! last rank gets (1 + skew) x the mean. 0 = balanced (the default), at most 1.
  double routing_skew = 0.0;
  //! DeepEP V1 pushes a rank's own share (own GPU) through its NVLink buffers like the remote
  //! shares, so it costs link time; false treats it as free. The own node never uses RDMA.
  bool local_share_uses_link = true;
};

struct CollectiveResult {
  std::string algorithm;
  int ranks = 0;
  Bytes bytes_per_rank{
      0};  //!< the collective's size as nccl-tests counts it (MoE: payload delivered per rank)
  Nanoseconds time{0};
  BytesPerSecond algorithm_bandwidth{};  //!< bytes_per_rank / time
  BytesPerSecond bus_bandwidth{};        //!< nccl-tests busbw; for MoE: bottleneck_bandwidth
  //! The link class whose busiest link needs the most time, and that link's bytes / time: DeepEP's
  //! "bottleneck bandwidth" (RDMA for internode, NVLink for intranode).
  LinkClass bottleneck = LinkClass::kNvlink;
  BytesPerSecond bottleneck_bandwidth{};
  LinkUsageByClass per_class{};
  //! MoE only: bandwidth as DeepEP's benchmarks report it (NVLink bytes per destination rank or
  //! RDMA bytes per destination node, the own node included) over the kernel time.
  BytesPerSecond reported_bandwidth{};
};

//! Dispatch (FP8 + scales): each token goes over RDMA to the same-rail GPU of each of its target
//! nodes, which forwards it over NVLink to the target GPUs; IB and NVLink stages are pipelined.
[[nodiscard]] CollectiveResult moe_dispatch(const ClusterProfile& cluster, const MoeCommSpec& spec,
                                            const NetworkOptions& opts);
//! Combine (BF16): the reverse path of dispatch.
[[nodiscard]] CollectiveResult moe_combine(const ClusterProfile& cluster, const MoeCommSpec& spec,
                                           const NetworkOptions& opts);

//! `bytes` is the buffer size on every rank (nccl-tests "size"); busbw = algbw 2(n-1)/n.
[[nodiscard]] CollectiveResult all_reduce(const ClusterProfile& cluster, const GroupSpec& group,
                                          Bytes bytes, Algorithm algorithm,
                                          const NetworkOptions& opts);
//! `bytes` is the full (unreduced) buffer size per rank; busbw = algbw (n-1)/n.
[[nodiscard]] CollectiveResult reduce_scatter(const ClusterProfile& cluster, const GroupSpec& group,
                                              Bytes bytes, const NetworkOptions& opts);
//! `bytes` is the gathered buffer size per rank; busbw = algbw (n-1)/n.
[[nodiscard]] CollectiveResult all_gather(const ClusterProfile& cluster, const GroupSpec& group,
                                          Bytes bytes, const NetworkOptions& opts);
//! One send from `src` to `dst` (pipeline-parallel activations and gradients).
[[nodiscard]] CollectiveResult p2p(const ClusterProfile& cluster, int src, int dst, Bytes bytes,
                                   const NetworkOptions& opts);

}  // namespace hopsim::sim
