#pragma once
//! The cluster's network as a Boost.Graph: GPUs, NVSwitches, NICs, rail leaves and spines joined
//! by directed links (one per direction) with bandwidth, latency and a link class; plus routing.

#include <array>
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "hopsim/core/hardware.hpp"

namespace hopsim::sim {

enum class LinkClass : std::uint8_t { kNvlink, kPcie, kNic, kLeafUplink, kSpine };
inline constexpr int kNumLinkClasses = 5;
[[nodiscard]] std::string_view to_string(LinkClass c);

enum class VertexKind : std::uint8_t { kGpu, kNvSwitch, kNic, kLeaf, kSpine };

struct VertexInfo {
  VertexKind kind = VertexKind::kGpu;
  int index = 0;  //!< GPU/NIC: global index; switches: index within their kind
  int node = -1;  //!< node of GPUs, NICs and NVSwitches; -1 for fabric switches
  int plane = 0;  //!< fabric plane of leaves and spines
};

using LinkId = std::uint32_t;

struct LinkInfo {
  LinkClass cls = LinkClass::kNvlink;
  BytesPerSecond bandwidth{};  //!< nominal, one direction
  Nanoseconds latency{};
  LinkId id = 0;
};

using TopologyGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, VertexInfo, LinkInfo>;
using Vertex = TopologyGraph::vertex_descriptor;

//! A path through the network: the links in order and the sum of their latencies.
struct Route {
  std::vector<LinkId> links;
  Nanoseconds latency{0};
};

//! Built from a ClusterProfile:
//! - per node, each GPU has an NVLink pair to the node's NVSwitch at
//!   GpuProfile::nvlink_unidirectional() per direction, and a PCIe pair to its NIC;
//! - NIC r of every node sits on rail r: for each plane, a leaf per rail (or per leaf_radix
//!   downlinks) for kRailOptimized, leaves filled node by node for kFatTree; each NIC port runs
//!   at nic_unidirectional / planes;
//! - each leaf has ceil(downlinks in use / oversubscription) uplinks, one to each of the first
//!   spines of its plane, at fabric.link_unidirectional.
//! Invalid profiles (non-positive bandwidths that are needed, a disconnected result) throw
//! ConfigError naming the key.
class Topology {
 public:
  explicit Topology(const ClusterProfile& cluster);

  [[nodiscard]] const TopologyGraph& graph() const { return g_; }
  [[nodiscard]] int num_gpus() const { return static_cast<int>(gpu_.size()); }
  [[nodiscard]] int gpus_per_node() const { return gpus_per_node_; }
  [[nodiscard]] int num_nodes() const { return num_nodes_; }
  [[nodiscard]] int planes() const { return planes_; }
  [[nodiscard]] std::size_t num_links() const { return links_.size(); }
  [[nodiscard]] const LinkInfo& link(LinkId id) const { return links_[id]; }
  [[nodiscard]] Vertex link_source(LinkId id) const { return ends_[id].first; }
  [[nodiscard]] Vertex link_target(LinkId id) const { return ends_[id].second; }
  [[nodiscard]] int count_vertices(VertexKind k) const;

  //! The vertex of GPU `gpu`; throws PlanError when the index is outside the cluster.
  [[nodiscard]] Vertex gpu_vertex(int gpu) const;
  [[nodiscard]] int node_of(int gpu) const { return check_gpu(gpu) / gpus_per_node_; }
  [[nodiscard]] int local_of(int gpu) const { return check_gpu(gpu) % gpus_per_node_; }

  //! A GPU's loopback through its own NVLink port (gpu -> NVSwitch -> gpu) or its own NIC
  //! (gpu -> NIC -> leaf -> NIC -> gpu, plane picked by `salt`). Used where a kernel pushes its
  //! local share through the same path as the remote ones.
  [[nodiscard]] Route loopback(int gpu, LinkClass via, std::uint64_t salt = 0) const;

 private:
  int check_gpu(int gpu) const;
  LinkId add_link(Vertex u, Vertex v, LinkClass cls, BytesPerSecond bw, Nanoseconds latency);
  LinkId find_link(Vertex u, Vertex v) const;
  void check_connected() const;

  TopologyGraph g_;
  std::vector<LinkInfo> links_;
  std::vector<std::pair<Vertex, Vertex>> ends_;
  std::vector<Vertex> gpu_;
  std::vector<Vertex> nic_of_gpu_;
  std::vector<std::vector<Vertex>> leaves_of_nic_;  //!< per NIC vertex index order, one per plane
  int gpus_per_node_ = 0;
  int num_nodes_ = 0;
  int planes_ = 1;
};

//! Shortest-path routing (hop count, Boost BFS) with deterministic ECMP: at each hop with several
//! equal-length continuations, the choice is a hash of (src, dst, flow id, hop). GPUs are never
//! transit vertices: forwarding through a GPU is a collective's decision, made explicitly.
//! Caches one distance table per destination, so keep one Router per topology and reuse it.
class Router {
 public:
  explicit Router(const Topology& topo)
      : topo_(&topo), dist_(static_cast<std::size_t>(topo.num_gpus())) {}
  //! Throws PlanError for a GPU index outside the cluster, src == dst, or no path (naming both).
  [[nodiscard]] Route route(int src, int dst, std::uint64_t flow_id = 0);

 private:
  const std::vector<int>& distances_to(int dst);
  const Topology* topo_;
  std::vector<std::vector<int>> dist_;
};

}  // namespace hopsim::sim
