#include "hopsim/sim/network/topology.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "cluster_presets.hpp"
#include "hopsim/core/error.hpp"

using namespace hopsim;
using namespace hopsim::sim;

namespace {
std::vector<LinkClass> classes(const Topology& t, const Route& r) {
  std::vector<LinkClass> out;
  for (LinkId l : r.links) out.push_back(t.link(l).cls);
  return out;
}
}  // namespace

TEST_CASE("Topology of two H800 nodes: vertices and links", "[topology]") {
  const Topology t(test::h800_cluster(2));
  CHECK(t.num_gpus() == 16);
  CHECK(t.count_vertices(VertexKind::kNvSwitch) == 2);
  CHECK(t.count_vertices(VertexKind::kNic) == 16);
  // Rail-optimised: one leaf per rail (2 nodes fit in a 64-port leaf), each with
  // ceil(2 downlinks / oversubscription 1) = 2 uplinks, so 2 spines.
  CHECK(t.count_vertices(VertexKind::kLeaf) == 8);
  CHECK(t.count_vertices(VertexKind::kSpine) == 2);
  // 2 x 16 NVLink + 2 x 16 PCIe + 2 x 16 NIC + 8 leaves x 2 spines x 2 directions.
  CHECK(t.num_links() == 32 + 32 + 32 + 16 + 16);
  // NVLink per direction is half the bidirectional figure: 200 GB/s on H800, 450 on H100.
  const Route r = Router(t).route(0, 1);
  CHECK(t.link(r.links[0]).bandwidth.value() == Approx(200e9));
  const Topology h100(test::h100_cluster(1));
  CHECK(h100.link(0).bandwidth.value() == Approx(450e9));
}

TEST_CASE("Routing: NVLink within a node, rail leaf across nodes, spine across rails",
          "[topology]") {
  const Topology t(test::h800_cluster(2));
  Router router(t);
  const Route intra = router.route(0, 5);
  CHECK(classes(t, intra) == std::vector<LinkClass>{LinkClass::kNvlink, LinkClass::kNvlink});
  CHECK(intra.latency == us(1));          // nvlink_latency split over the two hops
  const Route rail = router.route(0, 8);  // GPU 0 of node 0 -> GPU 0 of node 1: same rail
  CHECK(classes(t, rail) == std::vector<LinkClass>{LinkClass::kPcie, LinkClass::kNic,
                                                   LinkClass::kNic, LinkClass::kPcie});
  // nic_latency (2 us) split over the two NIC hops, plus the leaf's switch latency (0.5 us).
  CHECK(rail.latency == ns(2500));
  const Route cross = router.route(0, 9);  // rail 0 -> rail 1: through a spine
  CHECK(classes(t, cross) == std::vector<LinkClass>{LinkClass::kPcie, LinkClass::kNic,
                                                    LinkClass::kLeafUplink, LinkClass::kSpine,
                                                    LinkClass::kNic, LinkClass::kPcie});
  CHECK(cross.latency == ns(3500));
}

TEST_CASE("ECMP is deterministic per flow and spreads flows over equal paths", "[topology]") {
  const Topology t(test::h800_cluster(2));
  Router router(t);
  std::set<LinkId> uplinks;
  for (std::uint64_t flow = 0; flow < 32; ++flow) {
    const Route a = router.route(0, 9, flow);
    const Route b = router.route(0, 9, flow);
    CHECK(a.links == b.links);
    uplinks.insert(a.links[2]);
  }
  CHECK(uplinks.size() == 2);  // both spines are used
}

TEST_CASE("Oversubscription sets the leaf uplink count; planes split the NIC", "[topology]") {
  ClusterProfile c = test::h800_cluster(4);
  c.fabric.leaf_radix = 4;  // 2 downlinks + 2 uplinks at 1:1
  const Topology one(c);
  CHECK(one.count_vertices(VertexKind::kLeaf) == 16);  // 8 rails x 2 leaves of 2 nodes
  CHECK(one.count_vertices(VertexKind::kSpine) == 2);
  c.fabric.oversubscription = 2.0;  // floor(4 * 2/3) = 2 downlinks, ceil(2 / 2) = 1 uplink
  const Topology two(c);
  CHECK(two.count_vertices(VertexKind::kSpine) == 1);
  c.fabric.planes = 2;
  const Topology planes(c);
  CHECK(planes.count_vertices(VertexKind::kLeaf) == 32);
  const Route r = Router(planes).route(0, 8);
  CHECK(planes.link(r.links[1]).bandwidth.value() == Approx(25e9));  // 50 GB/s over 2 planes
}

TEST_CASE("Topology errors name the offending key", "[topology]") {
  ClusterProfile c = test::h800_cluster(2);
  c.node.nics_per_node = 0;
  CHECK_THROWS_WITH(Topology(c),
                    Catch::Contains("node.nics_per_node") && Catch::Contains("disconnected"));
  c = test::h800_cluster(2);
  c.node.nic_unidirectional = BytesPerSecond(0);
  CHECK_THROWS_WITH(Topology(c), Catch::Contains("node.nic_unidirectional"));
  c = test::h800_cluster(1);
  c.gpu.nvlink_bidirectional = gb_per_s(-1);
  CHECK_THROWS_WITH(Topology(c), Catch::Contains("gpu.nvlink_bidirectional"));
  c = test::h800_cluster(2);
  c.fabric.link_unidirectional = BytesPerSecond(0);
  CHECK_THROWS_WITH(Topology(c), Catch::Contains("fabric.link_unidirectional"));
  c = test::h800_cluster(0);
  CHECK_THROWS_WITH(Topology(c), Catch::Contains("cluster.num_nodes"));

  const Topology t(test::h800_cluster(2));
  Router router(t);
  CHECK_THROWS_WITH(router.route(0, 16),
                    Catch::Contains("gpu index 16") && Catch::Contains("16 GPUs"));
  CHECK_THROWS_AS(router.route(3, 3), PlanError);
}
