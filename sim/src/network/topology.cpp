#include "hopsim/sim/network/topology.hpp"

#include <algorithm>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <cmath>
#include <deque>
#include <string>

#include "hopsim/core/enum_names.hpp"
#include "hopsim/core/error.hpp"
#include "hopsim/core/random.hpp"

namespace hopsim::sim {
namespace {

[[noreturn]] void config_error(const char* key, const std::string& message) {
  throw ConfigError(SourceLocation{"", 0, 0, key}, message);
}

// Edges into a GPU other than the destination are hidden, so GPUs are never transit vertices.
struct NoTransitThroughGpu {
  const TopologyGraph* g = nullptr;
  Vertex dst = 0;
  template <class Edge>
  bool operator()(const Edge& e) const {
    const Vertex t = boost::target(e, *g);
    return (*g)[t].kind != VertexKind::kGpu || t == dst;
  }
};

}  // namespace

constexpr EnumNames<LinkClass::kSpine> kLinkClassNames{
    {"nvlink", "pcie", "nic", "leaf-uplink", "spine"}};

std::string_view to_string(LinkClass c) {
  return kLinkClassNames.name(c, "?");
}

Topology::Topology(const ClusterProfile& c) {
  const int nodes = c.num_nodes;
  const int gpn = c.node.gpus_per_node;
  const int nics = c.node.nics_per_node;
  if (nodes < 1)
    config_error("cluster.num_nodes", "must be at least 1, got " + std::to_string(nodes));
  if (gpn < 1) config_error("node.gpus_per_node", "must be at least 1, got " + std::to_string(gpn));
  if (nics < 0) config_error("node.nics_per_node", "must not be negative");
  if (c.fabric.planes < 1) config_error("fabric.planes", "must be at least 1");
  const bool use_nvlink = c.node.nvswitch && gpn > 1;
  if (use_nvlink && !(c.gpu.nvlink_bidirectional.value() > 0)) {
    config_error("gpu.nvlink_bidirectional", "must be positive for a node with an NVSwitch");
  }
  if (nics > 0) {
    if (!(c.node.nic_unidirectional.value() > 0))
      config_error("node.nic_unidirectional", "must be positive");
    if (!(c.gpu.pcie_unidirectional.value() > 0))
      config_error("gpu.pcie_unidirectional", "must be positive");
    if (!(c.fabric.oversubscription > 0))
      config_error("fabric.oversubscription", "must be positive");
    if (c.fabric.leaf_radix < 2) config_error("fabric.leaf_radix", "must be at least 2");
  }
  if (nodes > 1 && nics == 0) {
    config_error("node.nics_per_node", "is 0 but the cluster has " + std::to_string(nodes) +
                                           " nodes: the topology is disconnected");
  }
  if (gpn > 1 && !use_nvlink && nics == 0) {
    config_error("node.nvswitch",
                 "is false and there are no NICs: the node's GPUs are disconnected");
  }
  gpus_per_node_ = gpn;
  num_nodes_ = nodes;
  planes_ = c.fabric.planes;

  std::vector<Vertex> nvswitch(static_cast<std::size_t>(nodes));
  for (int n = 0; n < nodes; ++n) {
    for (int l = 0; l < gpn; ++l) {
      gpu_.push_back(boost::add_vertex(VertexInfo{VertexKind::kGpu, n * gpn + l, n, 0}, g_));
    }
    if (use_nvlink) {
      nvswitch[n] = boost::add_vertex(VertexInfo{VertexKind::kNvSwitch, n, n, 0}, g_);
      const Nanoseconds half = c.node.nvlink_latency / 2;
      for (int l = 0; l < gpn; ++l) {
        const Vertex gv = gpu_[static_cast<std::size_t>(n * gpn + l)];
        add_link(gv, nvswitch[n], LinkClass::kNvlink, c.gpu.nvlink_unidirectional(), half);
        add_link(nvswitch[n], gv, LinkClass::kNvlink, c.gpu.nvlink_unidirectional(), half);
      }
    }
  }
  if (nics == 0) {
    check_connected();
    return;
  }

  // NICs and PCIe.
  std::vector<Vertex> nic_v;
  for (int n = 0; n < nodes; ++n) {
    for (int r = 0; r < nics; ++r) {
      nic_v.push_back(boost::add_vertex(VertexInfo{VertexKind::kNic, n * nics + r, n, 0}, g_));
    }
  }
  nic_of_gpu_.resize(gpu_.size());
  for (int gi = 0; gi < nodes * gpn; ++gi) {
    const int r = (gi % gpn) * nics / gpn;
    const Vertex nv = nic_v[static_cast<std::size_t>((gi / gpn) * nics + r)];
    nic_of_gpu_[static_cast<std::size_t>(gi)] = nv;
    add_link(gpu_[static_cast<std::size_t>(gi)], nv, LinkClass::kPcie, c.gpu.pcie_unidirectional,
             Nanoseconds(0));
    add_link(nv, gpu_[static_cast<std::size_t>(gi)], LinkClass::kPcie, c.gpu.pcie_unidirectional,
             Nanoseconds(0));
  }

  // Leaves: downlinks per leaf follow the radix split implied by the oversubscription ratio.
  const double os = c.fabric.oversubscription;
  const int radix = c.fabric.leaf_radix;
  const int down_cap = std::max(1, static_cast<int>(std::floor(radix * os / (1.0 + os))));
  const bool rail = c.fabric.topology == FabricTopology::kRailOptimized;
  const int per_rail = (nodes + down_cap - 1) / down_cap;
  const int leaves_per_plane = rail ? nics * per_rail : (nodes * nics + down_cap - 1) / down_cap;
  const BytesPerSecond port_bw = c.node.nic_unidirectional / static_cast<double>(planes_);
  const Nanoseconds nic_half = c.node.nic_latency / 2;
  const Nanoseconds sw = c.fabric.switch_latency;
  leaves_of_nic_.assign(nic_v.size(), {});
  int spine_index = 0;
  int leaf_index = 0;
  for (int p = 0; p < planes_; ++p) {
    std::vector<Vertex> leaves;
    std::vector<int> used(static_cast<std::size_t>(leaves_per_plane), 0);
    for (int k = 0; k < leaves_per_plane; ++k) {
      leaves.push_back(boost::add_vertex(VertexInfo{VertexKind::kLeaf, leaf_index++, -1, p}, g_));
    }
    for (std::size_t i = 0; i < nic_v.size(); ++i) {
      const int n = static_cast<int>(i) / nics;
      const int r = static_cast<int>(i) % nics;
      const int li = rail ? r * per_rail + n / down_cap : static_cast<int>(i) / down_cap;
      const Vertex leaf = leaves[static_cast<std::size_t>(li)];
      ++used[static_cast<std::size_t>(li)];
      leaves_of_nic_[i].push_back(leaf);
      add_link(nic_v[i], leaf, LinkClass::kNic, port_bw, nic_half);
      add_link(leaf, nic_v[i], LinkClass::kNic, port_bw, nic_half + sw);
    }
    if (leaves_per_plane < 2) continue;
    if (!(c.fabric.link_unidirectional.value() > 0)) {
      config_error("fabric.link_unidirectional", "must be positive when the fabric has spines");
    }
    int spines = 0;
    std::vector<int> ups(used.size());
    for (std::size_t k = 0; k < used.size(); ++k) {
      ups[k] = std::max(1, static_cast<int>(std::ceil(used[k] / os - 1e-9)));
      spines = std::max(spines, ups[k]);
    }
    std::vector<Vertex> spine_v;
    for (int s = 0; s < spines; ++s) {
      spine_v.push_back(
          boost::add_vertex(VertexInfo{VertexKind::kSpine, spine_index++, -1, p}, g_));
    }
    for (std::size_t k = 0; k < leaves.size(); ++k) {
      for (int s = 0; s < ups[k]; ++s) {
        add_link(leaves[k], spine_v[static_cast<std::size_t>(s)], LinkClass::kLeafUplink,
                 c.fabric.link_unidirectional, sw);
        add_link(spine_v[static_cast<std::size_t>(s)], leaves[k], LinkClass::kSpine,
                 c.fabric.link_unidirectional, sw);
      }
    }
  }
  check_connected();
}

LinkId Topology::add_link(Vertex u, Vertex v, LinkClass cls, BytesPerSecond bw,
                          Nanoseconds latency) {
  if (!(bw.value() > 0)) {
    throw ConfigError(SourceLocation{"", 0, 0, "link." + std::string(to_string(cls))},
                      "bandwidth must be positive");
  }
  const auto id = static_cast<LinkId>(links_.size());
  LinkInfo info{cls, bw, latency, id};
  boost::add_edge(u, v, info, g_);
  links_.push_back(info);
  ends_.emplace_back(u, v);
  return id;
}

LinkId Topology::find_link(Vertex u, Vertex v) const {
  for (auto [it, end] = boost::out_edges(u, g_); it != end; ++it) {
    if (boost::target(*it, g_) == v) return g_[*it].id;
  }
  throw PlanError("topology: no link between the two vertices");
}

int Topology::count_vertices(VertexKind k) const {
  int n = 0;
  for (auto [it, end] = boost::vertices(g_); it != end; ++it) n += g_[*it].kind == k ? 1 : 0;
  return n;
}

int Topology::check_gpu(int gpu) const {
  if (gpu < 0 || gpu >= static_cast<int>(gpu_.size())) {
    throw PlanError("gpu index " + std::to_string(gpu) + " is outside the cluster, which has " +
                    std::to_string(gpu_.size()) + " GPUs (cluster.num_nodes x node.gpus_per_node)");
  }
  return gpu;
}

Vertex Topology::gpu_vertex(int gpu) const {
  return gpu_[static_cast<std::size_t>(check_gpu(gpu))];
}

Route Topology::loopback(int gpu, LinkClass via, std::uint64_t salt) const {
  const Vertex gv = gpu_vertex(gpu);
  Route r;
  auto add = [&](Vertex u, Vertex v) {
    const LinkId id = find_link(u, v);
    r.links.push_back(id);
    r.latency += links_[id].latency;
  };
  if (via == LinkClass::kNvlink) {
    for (auto [it, end] = boost::out_edges(gv, g_); it != end; ++it) {
      const Vertex t = boost::target(*it, g_);
      if (g_[t].kind == VertexKind::kNvSwitch) {
        add(gv, t);
        add(t, gv);
        return r;
      }
    }
    throw PlanError("gpu " + std::to_string(gpu) + " has no NVLink (node.nvswitch is false)");
  }
  if (via == LinkClass::kNic) {
    if (nic_of_gpu_.empty()) throw PlanError("gpu " + std::to_string(gpu) + " has no NIC");
    const Vertex nic = nic_of_gpu_[static_cast<std::size_t>(gpu)];
    const Vertex leaf = leaves_of_nic_[static_cast<std::size_t>(g_[nic].index)]
                                      [salt % static_cast<std::uint64_t>(planes_)];
    add(gv, nic);
    add(nic, leaf);
    add(leaf, nic);
    add(nic, gv);
    return r;
  }
  throw PlanError("loopback is defined through nvlink or nic only, not " +
                  std::string(to_string(via)));
}

void Topology::check_connected() const {
  // Every GPU must reach GPU 0 and be reached from it without transiting another GPU. With the
  // regular structures built here that is equivalent to all pairs being connected.
  const std::size_t nv = boost::num_vertices(g_);
  for (int dir = 0; dir < 2; ++dir) {
    std::vector<char> seen(nv, 0);
    std::deque<Vertex> q{gpu_[0]};
    seen[gpu_[0]] = 1;
    while (!q.empty()) {
      const Vertex v = q.front();
      q.pop_front();
      if (v != gpu_[0] && g_[v].kind == VertexKind::kGpu) continue;
      auto visit = [&](Vertex w) {
        if (!seen[w]) {
          seen[w] = 1;
          q.push_back(w);
        }
      };
      if (dir == 0) {
        for (auto [it, end] = boost::out_edges(v, g_); it != end; ++it)
          visit(boost::target(*it, g_));
      } else {
        for (auto [it, end] = boost::in_edges(v, g_); it != end; ++it)
          visit(boost::source(*it, g_));
      }
    }
    for (std::size_t i = 0; i < gpu_.size(); ++i) {
      if (!seen[gpu_[i]]) {
        throw ConfigError(SourceLocation{"", 0, 0, "cluster"},
                          "the topology is disconnected: gpu " + std::to_string(i) +
                              (dir == 0 ? " cannot be reached from gpu 0" : " cannot reach gpu 0"));
      }
    }
  }
}

const std::vector<int>& Router::distances_to(int dst) {
  auto& d = dist_[static_cast<std::size_t>(dst)];
  if (!d.empty()) return d;
  const TopologyGraph& g = topo_->graph();
  const Vertex dv = topo_->gpu_vertex(dst);
  d.assign(boost::num_vertices(g), -1);
  d[dv] = 0;
  boost::filtered_graph<TopologyGraph, NoTransitThroughGpu> fg(g, NoTransitThroughGpu{&g, dv});
  auto rg = boost::make_reverse_graph(fg);
  auto dist_map = boost::make_iterator_property_map(d.begin(), boost::get(boost::vertex_index, g));
  boost::breadth_first_search(rg, dv,
                              boost::visitor(boost::make_bfs_visitor(
                                  boost::record_distances(dist_map, boost::on_tree_edge()))));
  return d;
}

Route Router::route(int src, int dst, std::uint64_t flow_id) {
  const Vertex sv = topo_->gpu_vertex(src);
  const Vertex dv = topo_->gpu_vertex(dst);
  if (src == dst) {
    throw PlanError("route from gpu " + std::to_string(src) +
                    " to itself: use Topology::loopback for a GPU's own links");
  }
  const std::vector<int>& d = distances_to(dst);
  if (d[sv] < 0) {
    throw PlanError("no route from gpu " + std::to_string(src) + " to gpu " + std::to_string(dst) +
                    ": the topology is disconnected");
  }
  const TopologyGraph& g = topo_->graph();
  Route r;
  Vertex v = sv;
  std::uint64_t hop = 0;
  const std::uint64_t key =
      splitmix64(splitmix64(static_cast<std::uint64_t>(src)) ^ static_cast<std::uint64_t>(dst)) ^
      splitmix64(flow_id);
  while (v != dv) {
    const int want = d[v] - 1;
    LinkId choices[64];
    int n = 0;
    std::vector<LinkId> many;
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
      const Vertex t = boost::target(*it, g);
      if (d[t] != want || (g[t].kind == VertexKind::kGpu && t != dv)) continue;
      if (n < 64) {
        choices[n++] = g[*it].id;
      } else {
        if (many.empty()) many.assign(choices, choices + 64);
        many.push_back(g[*it].id);
        ++n;
      }
    }
    const std::uint64_t pick = splitmix64(key + hop) % static_cast<std::uint64_t>(n);
    const LinkId id = many.empty() ? choices[pick] : many[pick];
    r.links.push_back(id);
    r.latency += topo_->link(id).latency;
    v = topo_->link_target(id);
    ++hop;
  }
  return r;
}

}  // namespace hopsim::sim
